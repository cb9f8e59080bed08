"""Caches for many clusters: the local one plus those of Argo CD cluster secrets.

Contract:

- :meth:`ClusterManager.start` starts the cache of the local cluster (when a config is given)
  and watches Secrets labelled ``argocd.argoproj.io/secret-type=cluster`` in ``namespace`` of
  the local cluster;
- each secret is turned into a :class:`Connection` by ``connect`` (the caller builds the
  client with ``kapstan.kube.config.from_argocd_cluster_secret``; it raises ``ValueError`` for
  a bad secret, which is logged and ignored) and gets its own
  :class:`~kapstan.cache.cluster.ClusterCache`, keyed by the server URL (how Argo CD names
  clusters); a secret whose data changed replaces the cache, a deleted one tears it down
  (tasks cancelled, client closed);
- subscribers registered on the manager receive ``(server, apps, change)`` from every cache;
- :meth:`reconfigure` applies changed :class:`CacheOptions` (settings edited at run time);
- listeners registered with :meth:`on_clusters_changed` are called with the server URL
  whenever a cluster is added or removed (a destination appearing or going away);
- :meth:`stop` stops everything the manager started.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from kapstan.cache.cluster import ClusterCache
from kapstan.cache.filters import ResourceFilter
from kapstan.cache.index import Change
from kapstan.cache.ports import DiscoveryApi, KubeApi, WatchEventLike
from kapstan.cache.reflector import Reflector
from kapstan.engine.tracking import Tracking
from kapstan.model.vocabulary import IN_CLUSTER_URL, SECRET_TYPE_CLUSTER, SECRET_TYPE_LABEL

log = logging.getLogger(__name__)
ManagerSubscriber = Callable[[str, frozenset[str], Change], None]


@dataclass(frozen=True)
class CacheOptions:
    """Settings shared by every cluster cache."""

    tracking: Tracking = field(default_factory=Tracking)
    rules: ResourceFilter = field(default_factory=ResourceFilter)
    page_size: int = 500
    watch_timeout: int = 240


@dataclass(frozen=True)
class Connection:
    """A cluster to cache: its server URL, display name, client and discovery."""

    server: str
    name: str
    client: KubeApi
    discovery: DiscoveryApi


Connector = Callable[[Mapping[str, Any]], Connection]


def secret_fingerprint(secret: Mapping[str, Any]) -> bytes:
    """What a cluster Secret says (its data), to tell a real change from a relist or a
    metadata-only update."""
    return orjson.dumps([secret.get("data"), secret.get("stringData")], option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True)
class _Managed:
    conn: Connection
    cache: ClusterCache
    secret: str  # namespace/name of the secret, "" for the local cluster
    fingerprint: bytes  # the secret's data, to tell a real change from a relist


class ClusterManager:
    """One cache per cluster, following the cluster secrets (see the module contract)."""

    def __init__(
        self,
        local: Connection,
        connect: Connector,
        *,
        namespace: str = "argocd",
        cache_local: bool = True,
        options: CacheOptions | None = None,
        local_name: str = "in-cluster",
    ) -> None:
        self.local = local
        self.connect = connect
        self.namespace = namespace
        self.cache_local = cache_local
        self.options = options or CacheOptions()
        self.local_name = local_name
        self.clusters: dict[str, _Managed] = {}
        self._by_secret: dict[str, str] = {}
        self._subscribers: list[ManagerSubscriber] = []
        self._cluster_listeners: list[Callable[[str], None]] = []
        self._secrets: Reflector | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._pending: set[asyncio.Task[None]] = set()

    def cache(self, server: str) -> ClusterCache | None:
        managed = self.clusters.get(server)
        return managed.cache if managed is not None else None

    def subscribe(self, callback: ManagerSubscriber) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def on_clusters_changed(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback(server)`` when a cluster is added or removed."""
        self._cluster_listeners.append(callback)
        return lambda: self._cluster_listeners.remove(callback)

    def _cluster_changed(self, server: str) -> None:
        for callback in list(self._cluster_listeners):
            try:
                callback(server)
            except Exception:
                log.exception("cluster listener failed")

    async def start(self) -> None:
        if self.cache_local:
            await self._add(self.local, secret="", fingerprint=b"")
        self._secrets = Reflector(
            self.local.client,
            f"/api/v1/namespaces/{self.namespace}/secrets",
            params={"labelSelector": f"{SECRET_TYPE_LABEL}={SECRET_TYPE_CLUSTER}"},
            on_list=self._on_list,
            on_event=self._on_event,
        )
        self._task = asyncio.create_task(self._secrets.run())

    async def wait_synced(self, timeout: float | None = None) -> None:
        """Wait for the secret list, the pending cache changes and every cache's first sync."""

        async def all_synced() -> None:
            if self._secrets is not None:
                await self._secrets.synced.wait()
            while self._pending:
                await asyncio.gather(*list(self._pending), return_exceptions=True)
            for managed in list(self.clusters.values()):
                await managed.cache.wait_synced()

        await asyncio.wait_for(all_synced(), timeout)

    async def reconfigure(self, options: CacheOptions) -> None:
        """Apply new options to every cache: a changed filter is applied in place; a changed
        tracking method rebuilds each cache (which app an object belongs to is decided when
        it is indexed), keeping the clusters' connections."""
        async with self._lock:
            old, self.options = self.options, options
            if options.tracking == old.tracking:
                for managed in list(self.clusters.values()):
                    await managed.cache.set_rules(options.rules)
                return
            for server, managed in list(self.clusters.items()):
                await managed.cache.stop()
                del self.clusters[server]
                await self._add(
                    managed.conn, secret=managed.secret, fingerprint=managed.fingerprint
                )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await asyncio.gather(*self._pending, return_exceptions=True)
        for server in list(self.clusters):
            await self._remove(server)

    # -- secrets -------------------------------------------------------------------------------
    def _on_list(self, items: list[dict[str, Any]]) -> None:
        seen = {self._secret_id(s) for s in items}
        for sid in set(self._by_secret) - seen:
            self._later(self._drop_secret(sid))
        for secret in items:
            self._later(self._apply_secret(secret))

    def _on_event(self, event: WatchEventLike) -> None:
        if event.type == "DELETED":
            self._later(self._drop_secret(self._secret_id(event.object)))
        elif event.type in ("ADDED", "MODIFIED"):
            self._later(self._apply_secret(event.object))

    def _later(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    @staticmethod
    def _secret_id(secret: dict[str, Any]) -> str:
        meta = secret.get("metadata") or {}
        return f"{meta.get('namespace', '')}/{meta.get('name', '')}"

    async def _apply_secret(self, secret: dict[str, Any]) -> None:
        sid = self._secret_id(secret)
        fingerprint = secret_fingerprint(secret)
        async with self._lock:
            server = self._by_secret.get(sid)
            current = self.clusters.get(server) if server is not None else None
            if current is not None and current.fingerprint == fingerprint:
                return  # unchanged (a relist, or a metadata-only update)
            try:
                conn = self.connect(secret)
            except ValueError as e:
                log.warning("ignoring cluster secret %s: %s", sid, e)
                return
            if server is not None:
                await self._remove(server)
            if conn.server in self.clusters:
                await self._remove(conn.server)
            await self._add(conn, secret=sid, fingerprint=fingerprint)

    async def _drop_secret(self, sid: str) -> None:
        async with self._lock:
            server = self._by_secret.get(sid)
            if server is not None:
                await self._remove(server)

    async def _add(self, conn: Connection, *, secret: str, fingerprint: bytes) -> None:
        o = self.options
        cache = ClusterCache(
            conn.client,
            conn.discovery,
            name=conn.name or conn.server,
            tracking=o.tracking,
            rules=o.rules,
            page_size=o.page_size,
            watch_timeout=o.watch_timeout,
            # Filter rules name clusters by URL, the in-cluster one as Argo CD does.
            server=conn.server if secret else IN_CLUSTER_URL,
        )
        server = conn.server
        cache.subscribe(lambda apps, change: self._emit(server, apps, change))
        self.clusters[server] = _Managed(conn, cache, secret, fingerprint)
        if secret:
            self._by_secret[secret] = server
        try:
            await cache.start()
        except Exception:
            # Unreachable right now: keep the entry so a later secret change retries.
            log.exception("cannot start the cache of %s", server)
        self._cluster_changed(server)

    async def _remove(self, server: str) -> None:
        managed = self.clusters.pop(server, None)
        if managed is None:
            return
        if managed.secret:
            self._by_secret.pop(managed.secret, None)
        self._cluster_changed(server)
        await managed.cache.stop()
        if managed.conn.client is not self.local.client:
            try:
                await managed.conn.client.aclose()
            except Exception:
                log.exception("closing the client of %s failed", server)

    def _emit(self, server: str, apps: frozenset[str], change: Change) -> None:
        for callback in list(self._subscribers):
            try:
                callback(server, apps, change)
            except Exception:
                log.exception("cluster manager subscriber failed")
