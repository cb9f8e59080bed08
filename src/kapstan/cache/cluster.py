"""The live-state cache of one cluster.

Contract:

- :meth:`ClusterCache.start` discovers every preferred-version resource that can be listed and
  watched and that the :class:`~kapstan.cache.filters.ResourceFilter` allows, and runs one
  :class:`~kapstan.cache.reflector.Reflector` per kind (list, then watch with bookmarks,
  resuming from the last resourceVersion; relist and reconcile after 410; backoff after
  connection errors);
- every change goes through the :class:`~kapstan.cache.index.Index`; subscribers get
  ``(apps, change)`` for each change, where ``apps`` comes from the indexes (the object's app
  and its owners' apps), never from scanning apps; a subscriber that raises is logged and
  does not stop the cache;
- :meth:`wait_synced` returns once every kind known at start was listed;
- CustomResourceDefinition events re-read discovery (a few times, because a CRD becomes
  served shortly after it is Established) and start or stop watches for the kinds that
  appeared or disappeared; objects of a removed kind are deleted (with DELETED changes);
- :meth:`set_rules` applies a changed filter without a restart;
- :meth:`stop` cancels every task it started; the caller owns (and closes) the client.
  Pass a ``KubeClient`` and its ``Discovery`` (see :mod:`kapstan.cache.ports`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from kapstan.cache.entry import Entry, Key, key_of
from kapstan.cache.filters import ResourceFilter
from kapstan.cache.index import Change, Index
from kapstan.cache.ports import (
    DiscoveryApi,
    DiscoveryModelLike,
    KubeApi,
    ResourceInfoLike,
    WatchEventLike,
    status_code,
)
from kapstan.cache.reflector import Backoff, Reflector
from kapstan.engine.tracking import Tracking

log = logging.getLogger(__name__)
Subscriber = Callable[[frozenset[str], Change], None]
GroupKind = tuple[str, str]
CRD: GroupKind = ("apiextensions.k8s.io", "CustomResourceDefinition")
_CRD_RETRY_DELAYS = (0.0, 0.3, 0.6, 1.2, 2.5, 5.0)


def watchable_kinds(
    model: DiscoveryModelLike, rules: ResourceFilter, cluster: str = ""
) -> dict[GroupKind, ResourceInfoLike]:
    """Preferred-version resources with list and watch verbs that ``rules`` allow."""
    kinds: dict[GroupKind, ResourceInfoLike] = {}
    for r in model.resources:
        if r.version != model.preferred.get(r.group) or not {"list", "watch"} <= r.verbs:
            continue
        if rules.allows(r.group, r.kind, cluster):
            kinds.setdefault((r.group, r.kind), r)
    return kinds


class ClusterCache:
    """Watch-driven, indexed mirror of one cluster (see the module contract)."""

    def __init__(
        self,
        client: KubeApi,
        discovery: DiscoveryApi,
        *,
        name: str = "in-cluster",
        tracking: Tracking | None = None,
        rules: ResourceFilter | None = None,
        page_size: int = 500,
        watch_timeout: int = 240,
        backoff: Backoff | None = None,
        discovery_interval: float = 300.0,
        server: str = "",
    ) -> None:
        self.client = client
        self.name = name
        self.server = server or name  # what ``clusters`` globs of the filter rules match
        self.rules = rules or ResourceFilter()
        self.index = Index(tracking)
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.backoff = backoff or Backoff()
        self.discovery_interval = discovery_interval
        self.discovery = discovery
        self.reflectors: dict[GroupKind, Reflector] = {}
        self._infos: dict[GroupKind, ResourceInfoLike] = {}
        self._tasks: dict[GroupKind, asyncio.Task[None]] = {}
        self._helpers: set[asyncio.Task[Any]] = set()
        self._subscribers: list[Subscriber] = []
        self._initial: list[Reflector] = []
        self._crd_changed = asyncio.Event()
        self._discovery_task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Discover kinds and start watching them (returns at once; see :meth:`wait_synced`)."""
        await self._resync_kinds()
        self._initial = list(self.reflectors.values())
        self._discovery_task = asyncio.create_task(self._discovery_loop())

    async def stop(self) -> None:
        """Cancel every watch and helper task and wait for them to finish."""
        # Discovery first: a resync in flight could otherwise start watches after this point.
        if self._discovery_task is not None:
            self._discovery_task.cancel()
            await asyncio.gather(self._discovery_task, return_exceptions=True)
        tasks: list[asyncio.Task[Any]] = [*self._tasks.values(), *self._helpers]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._helpers.clear()
        self._discovery_task = None

    async def wait_synced(self, timeout: float | None = None) -> None:
        """Wait until every kind known at :meth:`start` has been listed once."""
        waits = [r.synced.wait() for r in self._initial]
        await asyncio.wait_for(asyncio.gather(*waits), timeout)

    @property
    def synced(self) -> bool:
        """True once every kind known at :meth:`start` has been listed."""
        return bool(self._initial) and all(r.synced.is_set() for r in self._initial)

    async def set_rules(self, rules: ResourceFilter) -> None:
        """Watch what ``rules`` allow from now on: kinds newly excluded are dropped (their
        objects leave with DELETED changes), newly included ones are listed and watched."""
        if rules == self.rules:
            return
        self.rules = rules
        await self._resync_kinds()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(apps, change)`` for every change; returns the unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    # -- queries -------------------------------------------------------------------------------
    def get(self, key: Key) -> Entry | None:
        return self.index.get(key)

    def app_tree(self, app: str) -> list[Entry]:
        """The app's tracked objects and everything they own (the resource tree)."""
        out: list[Entry] = []
        for key in sorted(self.index.of_app(app)):
            entry = self.index.get(key)
            if entry is not None:
                out.append(entry)
                out.extend(self.index.descendants(entry.uid))
        return out

    # -- changes -------------------------------------------------------------------------------
    def _emit(self, change: Change | None) -> None:
        if change is None:
            return
        for callback in list(self._subscribers):
            try:
                callback(change.apps, change)
            except Exception:
                log.exception("cache subscriber failed on %s", change.key)

    def _on_list(self, gk: GroupKind, items: list[dict[str, Any]]) -> None:
        present: set[Key] = set()
        for item in items:
            present.add(key_of(item))
            self._emit(self.index.upsert(item))
        for key in self.index.of_kind(*gk) - present:
            self._emit(self.index.delete(key))  # vanished while we were not watching
        self._promote()

    def _on_event(self, gk: GroupKind, event: WatchEventLike) -> None:
        if event.type == "DELETED":
            self._emit(self.index.delete(key_of(event.object)))
        elif event.type in ("ADDED", "MODIFIED"):
            self._emit(self.index.upsert(event.object))
            self._promote()
        if gk == CRD:
            self._crd_changed.set()

    def _promote(self) -> None:
        keys = self.index.take_promotions()
        if keys:
            self._spawn(self._fetch_full(keys))

    async def _fetch_full(self, keys: list[Key]) -> None:
        for key in keys:
            info = self._infos.get((key[0], key[1]))
            if info is None:
                continue
            try:
                self.index.fill(await self.client.get(info.path(key[2], key[3])))
            except Exception as e:
                if status_code(e) is None:
                    raise
                # Deleted meanwhile, or the API is down: the next watch event stores it in full.

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._helpers.add(task)
        task.add_done_callback(self._helpers.discard)

    # -- kinds ---------------------------------------------------------------------------------
    async def _resync_kinds(self) -> bool:
        """Start/stop reflectors to match discovery; True when the set of kinds changed."""
        model = await self.discovery.refresh()
        wanted = watchable_kinds(model, self.rules, self.server)
        changed = False
        for gk in list(self.reflectors):
            if gk not in wanted:
                changed = True
                await self._stop_kind(gk)
        for gk, info in wanted.items():
            self._infos[gk] = info
            if gk not in self.reflectors:
                changed = True
                self._start_kind(gk, info)
        return changed

    def _start_kind(self, gk: GroupKind, info: ResourceInfoLike) -> None:
        reflector = Reflector(
            self.client,
            info.path(),
            on_list=lambda items: self._on_list(gk, items),
            on_event=lambda ev: self._on_event(gk, ev),
            page_size=self.page_size,
            watch_timeout=self.watch_timeout,
            backoff=self.backoff,
        )
        self.reflectors[gk] = reflector
        self._tasks[gk] = asyncio.create_task(self._run_kind(gk, reflector))

    async def _run_kind(self, gk: GroupKind, reflector: Reflector) -> None:
        await reflector.run()
        # The server stopped serving this kind (404): forget it until discovery brings it back.
        if self.reflectors.get(gk) is reflector:
            del self.reflectors[gk]
            self._tasks.pop(gk, None)
            self._drop_kind(gk)

    async def _stop_kind(self, gk: GroupKind) -> None:
        self.reflectors.pop(gk, None)
        task = self._tasks.pop(gk, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._drop_kind(gk)

    def _drop_kind(self, gk: GroupKind) -> None:
        for key in self.index.of_kind(*gk):
            self._emit(self.index.delete(key))

    async def _discovery_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._crd_changed.wait(), self.discovery_interval)
            self._crd_changed.clear()
            # A new CRD is served a moment after it is Established: look again a few times.
            for delay in _CRD_RETRY_DELAYS:
                await asyncio.sleep(delay)
                try:
                    if await self._resync_kinds():
                        break
                except Exception as e:
                    if status_code(e) is None:
                        raise
                    log.debug("discovery refresh of %s failed: %s", self.name, e)
