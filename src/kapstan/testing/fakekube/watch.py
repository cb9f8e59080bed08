"""Watch responses: newline-delimited JSON events streamed through the transport.

Contract of :class:`WatchStream` (an ``httpx2.AsyncByteStream``):

- it starts with the events after the requested resourceVersion (from the store's history),
  or with a synthetic ADDED per existing object when the watch has no resourceVersion (or
  ``"0"``), as the watch cache does; a resourceVersion older than the history gives one
  ``ERROR`` event with a 410 ``Expired`` Status, then the stream ends (kube-apiserver answers
  too-old watches with 200 and that event, not with an HTTP 410);
- selectors filter like the watch cache: an object that starts matching arrives as ADDED, one
  that stops matching as DELETED;
- with ``allowWatchBookmarks`` it sends BOOKMARK events (``metadata.resourceVersion`` only)
  when asked (:meth:`bookmark`), every ``bookmark_interval`` seconds if set, and once just
  before ``timeoutSeconds`` runs out; then it ends, as the server closes the watch;
- with a ``lag`` (seconds) every line reaches the client that much after the write, as a
  loaded watch cache trails the write answers;
- :meth:`end` finishes it from the server side (optionally with an ``ERROR`` event);
  :meth:`aclose` (the client closing the response) unsubscribes it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx2
import orjson

from kapstan.testing.fakekube.kinds import Kind
from kapstan.testing.fakekube.store import Event, Store

Render = Callable[[dict[str, Any]], dict[str, Any]]


def hand_over(
    loop: asyncio.AbstractEventLoop,
    thread: int,
    queue: asyncio.Queue[bytes | None],
    item: bytes | None,
    lag: float = 0.0,
) -> None:
    """Put ``item`` on a stream's queue from any thread (the queue belongs to ``loop``, run by
    ``thread``), ``lag`` seconds later if set; nothing happens once that loop is closed."""
    if lag > 0:
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.call_later, lag, queue.put_nowait, item)
    elif threading.get_ident() == thread:
        queue.put_nowait(item)
    elif not loop.is_closed():
        loop.call_soon_threadsafe(queue.put_nowait, item)


class WatchStream(httpx2.AsyncByteStream):
    """One open watch of one kind (see the module contract)."""

    def __init__(
        self,
        store: Store,
        kind: Kind,
        *,
        namespace: str,
        match: Callable[[Mapping[str, Any]], bool],
        render: Render,
        api_version: str,
        bookmarks: bool,
        timeout: float,
        bookmark_interval: float | None = None,
        on_close: Callable[[WatchStream], None] | None = None,
        lag: float = 0.0,
    ) -> None:
        self._store = store
        self.kind = kind
        self._namespace = namespace
        self._match = match
        self._render = render
        self._api_version = api_version
        self._bookmarks = bookmarks
        self._interval = bookmark_interval
        self.on_close = on_close
        self._lag = lag
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._deadline = self._loop.time() + timeout
        self._ended = False
        self._closed = False

    # -- server side (called with the store lock held) ----------------------------------------
    def start(self, resource_version: str) -> None:
        """Queue the initial events and subscribe, atomically with respect to writes."""
        with self._store.lock:
            if resource_version in ("", "0"):
                for obj in self._store.items(self.kind.group, self.kind.plural, self._namespace):
                    if self._match(obj):
                        self._push("ADDED", obj)
            else:
                try:
                    since = int(resource_version)
                except ValueError:
                    since = -1
                events = self._store.since(since) if since >= 0 else None
                if events is None:
                    self.end(_too_old(resource_version, self._store.compacted))
                    return
                for event in events:
                    self.offer(event)
            self._store.subscribe(self)

    def watches(self, group: str, plural: str) -> bool:
        return (self.kind.group, self.kind.plural) == (group, plural)

    def offer(self, event: Event) -> None:
        key = event.key
        if not self.watches(key[0], key[1]) or (self._namespace and key[2] != self._namespace):
            return
        was = event.old is not None and event.type != "ADDED" and self._match(event.old)
        now = self._match(event.obj)
        if event.type == "DELETED":
            if was:
                self._push("DELETED", event.obj)
        elif now and was:
            self._push("MODIFIED", event.obj)
        elif now:
            self._push("ADDED", event.obj)
        elif was:
            self._push("DELETED", event.obj)

    def bookmark(self, rv: int) -> None:
        if self._bookmarks:
            meta = {"resourceVersion": str(rv)}
            obj = {"kind": self.kind.kind, "apiVersion": self._api_version, "metadata": meta}
            self._send(orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n")

    def end(self, error: dict[str, Any] | None = None) -> None:
        if error is not None:
            self._send(orjson.dumps({"type": "ERROR", "object": error}) + b"\n")
        self._store.unsubscribe(self)
        self._ended = True
        self._deliver(None)

    def _push(self, type_: str, obj: dict[str, Any]) -> None:
        self._send(orjson.dumps({"type": type_, "object": self._render(obj)}) + b"\n")

    def _send(self, line: bytes) -> None:
        if not self._ended:
            self._deliver(line)

    def _deliver(self, item: bytes | None) -> None:
        hand_over(self._loop, self._thread, self._queue, item, self._lag)

    # -- client side ---------------------------------------------------------------------------
    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        while not self._closed:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                wake = self._deadline
                if self._interval is not None:
                    wake = min(wake, self._loop.time() + self._interval)
                try:
                    async with asyncio.timeout_at(wake):
                        item = await self._queue.get()
                except TimeoutError:
                    self._tick()
                    continue
            if item is None:
                break
            return item
        self._finish()
        raise StopAsyncIteration

    def _tick(self) -> None:
        """A wake-up without an event: a periodic bookmark, or the end of the watch."""
        with self._store.lock:
            self.bookmark(self._store.rv)
            if self._loop.time() >= self._deadline:
                self.end()

    async def aclose(self) -> None:
        self._finish()

    def _finish(self) -> None:
        if not self._closed:
            self._closed = True
            self._ended = True
            self._store.unsubscribe(self)
            if self.on_close is not None:
                self.on_close(self)


def _too_old(requested: str, compacted: int) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f"too old resource version: {requested} ({compacted})",
        "reason": "Expired",
        "code": 410,
    }
