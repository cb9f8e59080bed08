"""Clusters as Argo CD stores them: the implicit in-cluster one and Secrets labelled
``argocd.argoproj.io/secret-type: cluster`` (keys ``server``, ``name``, ``config``,
``namespaces``, ``shard``, ``clusterResources``, ``project``).

Contract:

- :class:`ClusterRecord` is one cluster; :meth:`ClusterRecord.public` is the API's
  ``v1alpha1Cluster`` and never holds a credential: ``config`` keeps only
  ``tlsClientConfig.insecure``/``serverName``, ``awsAuthConfig``, the exec plugin's command
  (not its args nor env), ``proxyUrl`` without credentials and ``disableCompression``;
- :func:`record_from_body` validates an API body (server an http(s) URL, known fields only);
  :func:`record_from_secret` reads a Secret (:class:`InvalidCluster` when it cannot);
- :func:`probe` asks a cluster for its version with the Secret's credentials within a time
  limit; it does not run exec credential plugins (a command given through the API is never
  run by the API server): such clusters are :class:`NotProbed`;
- Secret names follow Argo CD: ``cluster-<host>-<fnv32a(server)>``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from kapstan.kube.client import KubeClient
from kapstan.kube.config import ConfigError, from_argocd_cluster_secret
from kapstan.kube.errors import KubeError
from kapstan.model.vocabulary import (
    IN_CLUSTER_NAME,
    IN_CLUSTER_URL,
    REFRESH,
    SECRET_TYPE_CLUSTER,
)
from kapstan.services.typedsecrets import (
    MANAGED_BY,
    TypedSecrets,
    fnv32a,
    secret_name,
    secret_strings,
)
from kapstan.source.urls import strip_credentials

BODY_FIELDS = frozenset(
    {
        "server", "name", "config", "namespaces", "shard", "clusterResources", "project",
        "labels", "annotations",
        # read-only fields clients send back as they read them
        "connectionState", "serverVersion", "info", "refreshRequestedAt",
    }
)  # fmt: skip
CONFIG_FIELDS = frozenset(
    {
        "username", "password", "bearerToken", "tlsClientConfig", "awsAuthConfig",
        "execProviderConfig", "proxyUrl", "disableCompression",
    }
)  # fmt: skip
SECRET_CONFIG_FIELDS = ("password", "bearerToken")
SECRET_TLS_FIELDS = ("keyData", "certData", "caData")
_FIELD_NAMES = ("name", "namespaces", "config", "shard", "clusterResources", "labels",
                "annotations", "project")  # fmt: skip


class InvalidCluster(ValueError):
    """A cluster body or Secret that cannot be used (the message is safe to show)."""


class NotProbed(RuntimeError):
    """The cluster was not asked (exec credential plugin)."""


@dataclass(frozen=True)
class ClusterRecord:
    """One cluster (see the module contract); ``secret`` is "" for the implicit in-cluster."""

    server: str
    name: str
    config: Mapping[str, Any] = field(default_factory=dict, repr=False)
    namespaces: tuple[str, ...] = ()
    shard: int | None = None
    cluster_resources: bool = False
    project: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    secret: str = ""

    @property
    def rbac_object(self) -> str:
        """Argo CD's RBAC object: ``<project>/<server>`` or the server URL."""
        return f"{self.project}/{self.server}" if self.project else self.server

    def secrets(self) -> tuple[str, ...]:
        """Credential values that must never leave the server."""
        found = [str(self.config.get(k) or "") for k in SECRET_CONFIG_FIELDS]
        tls = self.config.get("tlsClientConfig") or {}
        found += [str(tls.get(k) or "") for k in SECRET_TLS_FIELDS]
        return tuple(s for s in found if s)

    def public(self, info: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The API's view (see the module contract), with ``info`` (Argo CD's ClusterInfo)."""
        out: dict[str, Any] = {"server": self.server, "name": self.name}
        out["config"] = sanitized_config(self.config)
        if self.namespaces:
            out["namespaces"] = list(self.namespaces)
        if self.shard is not None:
            out["shard"] = str(self.shard)  # int64 travels as a string in grpc-gateway JSON
        if self.cluster_resources:
            out["clusterResources"] = True
        if self.project:
            out["project"] = self.project
        labels = {k: v for k, v in self.labels.items() if not k.startswith("argocd.argoproj.io/")}
        if labels:
            out["labels"] = labels
        annotations = {k: v for k, v in self.annotations.items() if k not in (MANAGED_BY, REFRESH)}
        if annotations:
            out["annotations"] = annotations
        if self.annotations.get(REFRESH):
            out["refreshRequestedAt"] = self.annotations[REFRESH]
        if info is not None:
            out["info"] = dict(info)
            out["connectionState"] = info.get("connectionState")
            if info.get("serverVersion"):
                out["serverVersion"] = info["serverVersion"]
        return out

    def values(self) -> dict[str, str]:
        """The Secret's values."""
        values = {"server": self.server, "name": self.name or self.server}
        values["config"] = orjson.dumps(dict(self.config)).decode()
        if self.namespaces:
            values["namespaces"] = ",".join(self.namespaces)
        if self.shard is not None:
            values["shard"] = str(self.shard)
        if self.cluster_resources:
            values["clusterResources"] = "true"
        if self.project:
            values["project"] = self.project
        return values

    def with_fields(self, other: ClusterRecord, names: list[str]) -> ClusterRecord:
        """This record with the fields ``names`` (Argo CD's ``updatedFields``) from ``other``."""
        keys = {"clusterResources": "cluster_resources"}
        changes = {
            keys.get(n, n): getattr(other, keys.get(n, n)) for n in names if n in _FIELD_NAMES
        }
        return ClusterRecord(**{**self.__dict__, **changes})


def sanitized_config(config: Mapping[str, Any]) -> dict[str, Any]:
    tls = config.get("tlsClientConfig") or {}
    out: dict[str, Any] = {"tlsClientConfig": {"insecure": bool(tls.get("insecure"))}}
    if tls.get("serverName"):
        out["tlsClientConfig"]["serverName"] = str(tls["serverName"])
    if isinstance(config.get("awsAuthConfig"), Mapping):
        aws = config["awsAuthConfig"]
        out["awsAuthConfig"] = {
            k: str(aws[k]) for k in ("clusterName", "roleARN", "profile") if aws.get(k)
        }
    exec_config = config.get("execProviderConfig")
    if isinstance(exec_config, Mapping):
        out["execProviderConfig"] = {
            k: str(exec_config[k])
            for k in ("command", "apiVersion", "installHint")
            if exec_config.get(k)
        }
    if config.get("proxyUrl"):
        out["proxyUrl"] = strip_credentials(str(config["proxyUrl"]))[0]
    if config.get("disableCompression"):
        out["disableCompression"] = True
    return out


def in_cluster(namespaces: tuple[str, ...] = ()) -> ClusterRecord:
    return ClusterRecord(IN_CLUSTER_URL, IN_CLUSTER_NAME, {}, namespaces)


def _shard(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit():
        raise InvalidCluster("shard must be a non-negative integer")
    return int(text)


def check_server(server: Any) -> str:
    """The server URL, if it is ``http(s)://host[:port][/path]``."""
    if not isinstance(server, str) or not server.strip():
        raise InvalidCluster("server is required")
    server = server.strip().rstrip("/")
    try:
        parts = urlsplit(server)
        host = parts.hostname
    except ValueError:
        raise InvalidCluster(f"invalid server URL {server!r}") from None
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise InvalidCluster(f"server must be an http(s) URL without credentials, not {server!r}")
    return str(server)


def _strings(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidCluster(f"{what} must be an object of strings")
    return {str(k): v for k, v in value.items()}


def record_from_body(body: Mapping[str, Any]) -> ClusterRecord:
    unknown = sorted(set(body) - BODY_FIELDS)
    if unknown:
        raise InvalidCluster(f"unknown field(s) in the cluster: {', '.join(unknown)}")
    config = body.get("config") or {}
    if not isinstance(config, Mapping):
        raise InvalidCluster("config must be an object")
    extra = sorted(set(config) - CONFIG_FIELDS)
    if extra:
        raise InvalidCluster(f"unknown field(s) in config: {', '.join(extra)}")
    namespaces = body.get("namespaces") or []
    if not isinstance(namespaces, list) or not all(isinstance(n, str) for n in namespaces):
        raise InvalidCluster("namespaces must be a list of strings")
    for key in ("name", "project"):
        if not isinstance(body.get(key) or "", str):
            raise InvalidCluster(f"{key} must be a string")
    server = check_server(body.get("server"))
    return ClusterRecord(
        server=server,
        name=str(body.get("name") or "") or server,
        config=dict(config),
        namespaces=tuple(n.strip() for n in namespaces if n.strip()),
        shard=_shard(body.get("shard")),
        cluster_resources=body.get("clusterResources") is True,
        project=str(body.get("project") or ""),
        labels=_strings(body.get("labels"), "labels"),
        annotations=_strings(body.get("annotations"), "annotations"),
    )


def record_from_secret(secret: Mapping[str, Any]) -> ClusterRecord:
    values = secret_strings(secret)
    meta = secret.get("metadata") or {}
    try:
        config = orjson.loads(values.get("config") or "{}")
    except orjson.JSONDecodeError:
        raise InvalidCluster(f"secret {secret_name(secret)}: config is not JSON") from None
    if not isinstance(config, dict):
        raise InvalidCluster(f"secret {secret_name(secret)}: config is not an object")
    server = values.get("server", "").rstrip("/")
    if not server:
        raise InvalidCluster(f"secret {secret_name(secret)}: no server")
    try:
        shard = _shard(values.get("shard"))
    except InvalidCluster:
        shard = None
    return ClusterRecord(
        server=server,
        name=values.get("name") or server,
        config=config,
        namespaces=tuple(n.strip() for n in values.get("namespaces", "").split(",") if n.strip()),
        shard=shard,
        cluster_resources=values.get("clusterResources", "").lower() == "true",
        project=values.get("project", ""),
        labels=dict(meta.get("labels") or {}),
        annotations=dict(meta.get("annotations") or {}),
        secret=secret_name(secret),
    )


async def read_clusters(
    kube: KubeClient, namespace: str, *, in_cluster_enabled: bool = True
) -> list[ClusterRecord]:
    """The in-cluster cluster (unless disabled; a Secret for its URL replaces it) and every
    readable cluster Secret, in Argo CD's order (in-cluster first, then by Secret name)."""
    records: list[ClusterRecord] = []
    for secret in await TypedSecrets(kube, namespace, SECRET_TYPE_CLUSTER).list():
        try:
            records.append(record_from_secret(secret))
        except InvalidCluster:
            continue  # the controller skips it too (and logs why)
    local = next((r for r in records if r.server == IN_CLUSTER_URL), None)
    rest = [r for r in records if r is not local]
    if local is None and in_cluster_enabled:
        local = in_cluster()
    return ([local] if local is not None else []) + rest


def secret_name_for(server: str) -> str:
    """Argo CD's ``URIToSecretName("cluster", server)``."""
    try:
        host = (urlsplit(server).hostname or "").lower()
    except ValueError:
        host = ""
    host = host.replace(":", "-")  # IPv6 literals
    return f"cluster-{host}-{fnv32a(server)}"


async def probe(record: ClusterRecord, local: KubeClient, timeout: float) -> str:
    """The cluster's ``gitVersion`` (see the module contract); raises on any failure."""
    if record.server == IN_CLUSTER_URL and not record.secret:
        return await _version(local, timeout)
    if record.config.get("execProviderConfig"):
        raise NotProbed("exec credential plugins are not run by the API server")
    secret = {"stringData": record.values()}
    try:
        config = from_argocd_cluster_secret(secret)
    except ConfigError as err:
        raise InvalidCluster(str(err)) from None
    async with KubeClient(config, timeout=timeout) as client:
        return await _version(client, timeout)


async def _version(client: KubeClient, timeout: float) -> str:
    try:
        found = await asyncio.wait_for(client.get("/version"), timeout)
    except TimeoutError:
        raise RuntimeError(f"timed out after {timeout:g}s") from None
    except KubeError as err:
        raise RuntimeError(str(err)) from None
    return str(found.get("gitVersion") or "")


__all__ = [
    "ClusterRecord",
    "InvalidCluster",
    "NotProbed",
    "check_server",
    "in_cluster",
    "probe",
    "read_clusters",
    "record_from_body",
    "record_from_secret",
    "sanitized_config",
    "secret_name_for",
]
