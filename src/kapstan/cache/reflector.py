"""List then watch one collection, forever, the way client-go's reflector does.

Contract of :meth:`Reflector.run` (runs until cancelled):

- lists the collection (paged), hands every item to ``on_list`` (which reconciles: the
  callback sees the complete set, so it can emit deletions for objects that vanished), then
  watches from the list's resourceVersion with bookmarks and hands events to ``on_event``;
- remembers the last resourceVersion seen (objects and bookmarks) and resumes the watch from
  it when the server ends the watch or the connection drops;
- on 410 Gone (the resourceVersion was compacted) relists; on connection errors and 5xx it
  retries with exponential backoff and jitter (an API server restart), keeping the
  resourceVersion; on 404 (the resource type was removed, e.g. its CRD deleted) it returns;
- ``synced`` is set once the first list was handed over.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.cache.ports import KubeApi, WatchEventLike, status_code

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter (half to full delay), capped at ``maximum`` seconds."""

    initial: float = 0.2
    maximum: float = 5.0
    factor: float = 2.0

    def delay(self, attempt: int) -> float:
        base = min(self.maximum, self.initial * self.factor ** max(0, attempt - 1))
        return base * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not security


@dataclass
class ReflectorStats:
    """Counters for tests and metrics."""

    lists: int = 0
    relists_after_gone: int = 0
    reconnects: int = 0
    events: int = 0


class Reflector:
    """Mirror one collection into callbacks (see the module contract)."""

    def __init__(
        self,
        client: KubeApi,
        path: str,
        *,
        on_list: Callable[[list[dict[str, Any]]], None],
        on_event: Callable[[WatchEventLike], None],
        params: Mapping[str, Any] | None = None,
        page_size: int = 500,
        watch_timeout: int = 240,
        backoff: Backoff | None = None,
    ) -> None:
        self.client = client
        self.path = path
        self.on_list = on_list
        self.on_event = on_event
        self.params = dict(params or {})
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.backoff = backoff or Backoff()
        self.resource_version = ""
        self.synced = asyncio.Event()
        self.stats = ReflectorStats()

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                if not self.resource_version:
                    await self._list()
                started = time.monotonic()
                await self._watch()
                if time.monotonic() - started < 1.0:
                    # A watch the server ends at once (shutting down) must not become a hot loop.
                    failures += 1
                    await asyncio.sleep(self.backoff.delay(failures))
                else:
                    failures = 0
            except Exception as e:
                code = status_code(e)
                if code == 410:
                    # Our resourceVersion is older than etcd's compaction (or the watch cache):
                    # only a fresh list can tell what changed meanwhile.
                    self.resource_version = ""
                    self.stats.relists_after_gone += 1
                    continue
                if code == 404:
                    log.info("%s: resource type gone, stopping its watch", self.path)
                    return
                failures += 1
                self.stats.reconnects += 1
                if code is None:
                    log.exception("%s: unexpected error; retrying", self.path)
                else:
                    log.debug("%s: %s; retrying", self.path, e)
                if code == 403:
                    self.synced.set()  # nothing is visible to us: do not hold up wait_synced
                # Forbidden waits the longest: RBAC changes slowly.
                delay = self.backoff.maximum if code == 403 else self.backoff.delay(failures)
                await asyncio.sleep(delay)

    async def _list(self) -> None:
        result = await self.client.list(self.path, self.params, limit=self.page_size)
        self.stats.lists += 1
        self.on_list(result.items)
        self.resource_version = result.resource_version
        self.synced.set()

    async def _watch(self) -> None:
        # Jitter the server-side timeout so that hundreds of watches do not reconnect together.
        timeout = int(self.watch_timeout * (0.5 + random.random() / 2))  # noqa: S311
        events = self.client.watch(
            self.path,
            resource_version=self.resource_version,
            timeout_seconds=max(1, timeout),
            params=self.params,
        )
        try:
            async for event in events:
                meta = event.object.get("metadata") or {}
                rv = str(meta.get("resourceVersion") or "")
                if event.type != "BOOKMARK":
                    self.stats.events += 1
                    self.on_event(event)
                if rv:
                    self.resource_version = rv
        finally:
            # Close the stream now (not at garbage collection) so its connection is released.
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()
