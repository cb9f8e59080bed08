"""Clients of Applications' destination clusters for the API process, without watch caches.

Contract of :class:`ClusterClients`:

- :meth:`ClusterClients.resolve` maps an Application ``spec.destination`` (``server`` or
  ``name``, Argo CD's rules and wording: :func:`~kapstan.services.clusters.parse_destination`)
  to a :class:`ClusterClient`: the API's own client for the in-cluster destination
  (``https://kubernetes.default.svc``, ``in-cluster`` or the API server's own URL), else a
  client built from the Argo CD cluster Secret (``argocd.argoproj.io/secret-type: cluster``
  in ``namespace``; keys ``server``, ``name``, ``config``) that names it;
- cluster Secrets are listed when needed (at most once per ``ttl`` seconds), not watched; a
  client is built once per Secret content and replaced (the old one closed) when the
  Secret's data changes; clients of Secrets that are gone are closed;
- :attr:`ClusterClient.info` is what Argo CD's deep links may show of a cluster (server,
  name, namespaces, shard, project, labels, annotations): never credentials;
- :meth:`aclose` closes every client built here (the local client is the caller's).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kapstan.cache.manager import secret_fingerprint
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig, ConfigError, secret_value
from kapstan.kube.discovery import Discovery
from kapstan.model.vocabulary import (
    IN_CLUSTER_NAME,
    IN_CLUSTER_URL,
    SECRET_TYPE_CLUSTER,
    SECRET_TYPE_LABEL,
    secrets_path,
)
from kapstan.services.clusters import (
    cluster_config,
    is_local,
    names,
    parse_destination,
    unknown_destination,
)

log = logging.getLogger(__name__)
DEFAULT_TTL = 5.0  # seconds a listing of cluster Secrets is reused
Connect = Callable[[ClusterConfig], KubeClient]


@dataclass(frozen=True)
class ClusterClient:
    """A destination cluster: its URL as Applications name it, its name, a client and its
    discovery, and what deep links may show of it."""

    server: str
    name: str
    kube: KubeClient
    discovery: Discovery
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class _Built:
    fingerprint: bytes
    client: ClusterClient


def _info(server: str, name: str, secret: Mapping[str, Any] | None) -> dict[str, Any]:
    info: dict[str, Any] = {"server": server, "name": name}
    if secret is None:
        return info
    meta = secret.get("metadata") or {}
    try:
        namespaces = secret_value(secret, "namespaces") or ""
        project = secret_value(secret, "project") or ""
        shard = secret_value(secret, "shard") or ""
    except ConfigError:
        return info
    if namespaces:
        info["namespaces"] = [n.strip() for n in namespaces.split(",") if n.strip()]
    if project:
        info["project"] = project
    if shard.isdigit():
        info["shard"] = int(shard)
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != SECRET_TYPE_LABEL}
    if labels:
        info["labels"] = labels
    if meta.get("annotations"):
        info["annotations"] = dict(meta["annotations"])
    return info


class ClusterClients:
    """Destination clients for the API (see the module contract)."""

    def __init__(
        self,
        local: KubeClient,
        namespace: str,
        *,
        ttl: float = DEFAULT_TTL,
        connect: Connect | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.local = ClusterClient(
            IN_CLUSTER_URL,
            IN_CLUSTER_NAME,
            local,
            Discovery(local),
            {"server": IN_CLUSTER_URL, "name": IN_CLUSTER_NAME},
        )
        self.local_server = local.config.server.rstrip("/")
        self.namespace = namespace
        self.ttl = ttl
        self._connect = connect or KubeClient
        self._clock = clock
        self._listed: tuple[float, list[dict[str, Any]]] | None = None
        self._built: dict[str, _Built] = {}  # server URL -> client of the Secret's content
        self._lock = asyncio.Lock()

    async def resolve(self, destination: Mapping[str, Any]) -> ClusterClient:
        """The cluster of ``destination``; raises
        :class:`~kapstan.services.clusters.DestinationError` (unknown or invalid destination)
        or :class:`~kapstan.kube.errors.KubeError` (the Secrets cannot be listed)."""
        server, name = parse_destination(destination)
        if is_local(server, name, self.local_server):
            return self.local
        async with self._lock:
            for secret in await self._secrets():
                try:
                    config = cluster_config(secret)
                except ValueError:
                    continue  # logged when listed
                if names(server, name, config.server, config.name):
                    return await self._client(config, secret)
        raise unknown_destination(server, name)

    async def _secrets(self) -> list[dict[str, Any]]:
        now = self._clock()
        if self._listed is not None and now - self._listed[0] < self.ttl:
            return self._listed[1]
        found = await self.local.kube.list(
            secrets_path(self.namespace),
            {"labelSelector": f"{SECRET_TYPE_LABEL}={SECRET_TYPE_CLUSTER}"},
        )
        self._listed = (now, found.items)
        servers = set()
        for secret in found.items:
            try:
                servers.add(cluster_config(secret).server)
            except ValueError as err:
                meta = secret.get("metadata") or {}
                log.warning("ignoring cluster secret %s: %s", meta.get("name"), err)
        for gone in set(self._built) - servers:
            await self._close(self._built.pop(gone).client)
        return found.items

    async def _client(self, config: ClusterConfig, secret: Mapping[str, Any]) -> ClusterClient:
        fingerprint = secret_fingerprint(secret)
        built = self._built.get(config.server)
        if built is not None and built.fingerprint == fingerprint:
            return built.client
        if built is not None:
            await self._close(built.client)
        kube = self._connect(config)
        client = ClusterClient(
            config.server,
            config.name,
            kube,
            Discovery(kube),
            _info(config.server, config.name, secret),
        )
        self._built[config.server] = _Built(fingerprint, client)
        return client

    @staticmethod
    async def _close(client: ClusterClient) -> None:
        try:
            await client.kube.aclose()
        except Exception:
            log.exception("closing the client of %s failed", client.server)

    async def aclose(self) -> None:
        """Close every client built for a cluster Secret (idempotent)."""
        built, self._built = self._built, {}
        for entry in built.values():
            await self._close(entry.client)


__all__ = ["ClusterClient", "ClusterClients"]
