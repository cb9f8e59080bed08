"""Destination clusters: the controller's own cluster plus those of Argo CD cluster secrets.

Contract of :class:`Clusters`:

- the local cluster is the one the controller's client talks to; it is the destination for
  ``server: https://kubernetes.default.svc``, for ``name: in-cluster`` and for its own URL;
- every Secret labelled ``argocd.argoproj.io/secret-type: cluster`` in the controller's
  namespace adds a cluster (its ``server`` and ``name`` keys, Argo CD's ``config`` JSON), with
  a live-state cache, through :class:`~kapstan.cache.manager.ClusterManager`;
- :meth:`resolve` maps an Application ``destination`` to a :class:`Target` or raises
  :class:`DestinationError` with Argo CD's wording; setting both ``server`` and ``name`` is
  an error, as in Argo CD (:func:`parse_destination`, :func:`is_local`, :func:`names` and
  :func:`unknown_destination` are that rule, shared with the API's
  :mod:`~kapstan.services.clusterclients`);
- :meth:`start` / :meth:`stop` run and tear down the caches (the local client is the
  caller's; clients made for secrets are closed by the manager); :meth:`reconfigure` applies
  settings changed at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.cache.cluster import ClusterCache
from kapstan.cache.manager import CacheOptions, ClusterManager, Connection
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig, ConfigError, from_argocd_cluster_secret
from kapstan.kube.discovery import Discovery
from kapstan.model.vocabulary import IN_CLUSTER_NAME, IN_CLUSTER_URL


class DestinationError(ValueError):
    """The destination names no known cluster (an ``InvalidSpecError``)."""


def parse_destination(destination: Mapping[str, Any]) -> tuple[str, str]:
    """``(server, name)`` of an Application destination (the server without a trailing
    ``/``); raises :class:`DestinationError` when both or neither are set."""
    server = str(destination.get("server") or "").rstrip("/")
    name = str(destination.get("name") or "")
    if server and name:
        msg = "application destination can't have both name and server defined"
        raise DestinationError(f"{msg}: {name} {server}")
    if not server and not name:
        raise DestinationError("application destination has neither server nor name")
    return server, name


def is_local(server: str, name: str, local_server: str) -> bool:
    """Whether a parsed destination names the controller's (or API server's) own cluster."""
    return server in (IN_CLUSTER_URL, local_server) or (not server and name == IN_CLUSTER_NAME)


def names(server: str, name: str, cluster_server: str, cluster_name: str) -> bool:
    """Whether a parsed destination names the cluster ``cluster_server``/``cluster_name``."""
    return cluster_server == server if server else cluster_name == name


def unknown_destination(server: str, name: str) -> DestinationError:
    """Argo CD's error for a destination that names no configured cluster."""
    if server:
        msg = f"cluster '{server}' has not been configured"
        return DestinationError(f"application destination server '{server}' is invalid: {msg}")
    return DestinationError(f"there are no clusters with this name: {name}")


def cluster_config(secret: Mapping[str, Any]) -> ClusterConfig:
    """The connection of an Argo CD cluster Secret; ``ValueError`` for a bad one."""
    try:
        return from_argocd_cluster_secret(secret)
    except ConfigError as err:
        raise ValueError(str(err)) from err


@dataclass(frozen=True)
class Target:
    """A resolved destination cluster."""

    server: str  # as the Application names it (Argo CD's cluster key)
    name: str
    kube: KubeClient
    discovery: Discovery
    cache: ClusterCache | None


class Clusters:
    """Resolves destinations and owns the live-state caches (see the module contract)."""

    def __init__(
        self,
        local: KubeClient,
        *,
        namespace: str = "argocd",
        options: CacheOptions | None = None,
    ) -> None:
        self.local = local
        self.local_server = local.config.server.rstrip("/")
        self.local_discovery = Discovery(local)
        self._clients: dict[str, tuple[KubeClient, Discovery]] = {}
        self.manager = ClusterManager(
            Connection(self.local_server, IN_CLUSTER_NAME, local, self.local_discovery),
            self._connect,
            namespace=namespace,
            options=options,
            local_name=IN_CLUSTER_NAME,
        )

    def _connect(self, secret: Mapping[str, Any]) -> Connection:
        config = cluster_config(secret)
        client = KubeClient(config)
        discovery = Discovery(client)
        self._clients[config.server] = (client, discovery)
        return Connection(config.server, config.name, client, discovery)

    async def start(self) -> None:
        await self.manager.start()

    async def stop(self) -> None:
        await self.manager.stop()

    async def reconfigure(self, options: CacheOptions) -> None:
        """Apply changed cache options (tracking method, resource filter) to every cache."""
        await self.manager.reconfigure(options)

    def _local_target(self) -> Target:
        return Target(
            IN_CLUSTER_URL,
            IN_CLUSTER_NAME,
            self.local,
            self.local_discovery,
            self.manager.cache(self.local_server),
        )

    def resolve(self, destination: Mapping[str, Any]) -> Target:
        """The cluster of ``destination`` (``server`` or ``name``)."""
        server, name = parse_destination(destination)
        if is_local(server, name, self.local_server):
            return self._local_target()
        for url, managed in self.manager.clusters.items():
            conn = managed.conn
            if names(server, name, url, conn.name):
                client, discovery = self._clients.get(url, (None, None))
                if client is None or discovery is None:
                    break
                return Target(url, conn.name, client, discovery, managed.cache)
        raise unknown_destination(server, name)

    def servers(self) -> dict[str, str]:
        """Known clusters as server URL → name (the local one under its in-cluster URL)."""
        out = {IN_CLUSTER_URL: IN_CLUSTER_NAME}
        for url, managed in self.manager.clusters.items():
            if url != self.local_server:
                out[url] = managed.conn.name
        return out


__all__ = [
    "IN_CLUSTER_NAME",
    "IN_CLUSTER_URL",
    "Clusters",
    "DestinationError",
    "Target",
    "cluster_config",
    "is_local",
    "names",
    "parse_destination",
    "unknown_destination",
]
