"""The object store: objects by key, one global resourceVersion, a bounded event history.

Contract:

- every write (:meth:`Store.write`, :meth:`Store.delete`) takes the next resourceVersion
  (one counter for all kinds, as etcd's revision), records an :class:`Event` in the history
  and offers it to every subscribed watcher, in commit order;
- the history keeps the last ``history`` events; :attr:`Store.compacted` is the newest
  resourceVersion whose events may be gone. A watch from an older resourceVersion cannot be
  served (410 Expired). :meth:`Store.expire` compacts everything, like an etcd compaction;
- all state is guarded by :attr:`Store.lock` (re-entrant), so tests may write from another
  thread than the one serving a client; watchers deliver onto their own event loop.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

# (group, plural, namespace, name): one entry per object whatever its version.
Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class Event:
    """One committed change; ``old`` is the previous state (``None`` for ADDED)."""

    rv: int
    type: str
    key: Key
    obj: dict[str, Any]
    old: dict[str, Any] | None


class Watcher(Protocol):
    def offer(self, event: Event) -> None: ...
    def end(self, error: dict[str, Any] | None = None) -> None: ...
    def bookmark(self, rv: int) -> None: ...
    def watches(self, group: str, plural: str) -> bool: ...


class Store:
    """Objects, the resourceVersion counter, the history and the open watches."""

    def __init__(self, history: int = 10_000) -> None:
        self.lock = threading.RLock()
        self.rv = 1
        self.compacted = 0
        self._objects: dict[Key, dict[str, Any]] = {}
        self._history: deque[Event] = deque(maxlen=max(1, history))
        self._watchers: set[Watcher] = set()

    # -- reads ---------------------------------------------------------------------------------
    def get(self, key: Key) -> dict[str, Any] | None:
        return self._objects.get(key)

    def items(self, group: str, plural: str, namespace: str = "") -> list[dict[str, Any]]:
        """Objects of one kind (one namespace when given), in etcd key order."""
        with self.lock:
            keys = sorted(
                k
                for k in self._objects
                if k[0] == group and k[1] == plural and (not namespace or k[2] == namespace)
            )
            return [self._objects[k] for k in keys]

    def all(self) -> Iterator[tuple[Key, dict[str, Any]]]:
        with self.lock:
            return iter(sorted(self._objects.items()))

    def since(self, rv: int) -> list[Event] | None:
        """Events after ``rv``; ``None`` when some of them were compacted away."""
        with self.lock:
            if rv < self.compacted:
                return None
            return [e for e in self._history if e.rv > rv]

    # -- writes --------------------------------------------------------------------------------
    def _commit(self, event: Event) -> Event:
        if len(self._history) == self._history.maxlen:
            self.compacted = self._history[0].rv
        self._history.append(event)
        for watcher in list(self._watchers):
            watcher.offer(event)
        return event

    def write(self, key: Key, obj: dict[str, Any]) -> Event:
        """Store ``obj`` (ADDED or MODIFIED) at the next resourceVersion."""
        with self.lock:
            self.rv += 1
            obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
            old = self._objects.get(key)
            self._objects[key] = obj
            return self._commit(
                Event(self.rv, "ADDED" if old is None else "MODIFIED", key, obj, old)
            )

    def delete(self, key: Key, final: dict[str, Any] | None = None) -> Event | None:
        """Remove the object; its DELETED event carries ``final`` (default: the stored state)
        at a new resourceVersion."""
        with self.lock:
            old = self._objects.pop(key, None)
            if old is None:
                return None
            self.rv += 1
            last = final if final is not None else old
            gone = {**last, "metadata": {**last["metadata"], "resourceVersion": str(self.rv)}}
            return self._commit(Event(self.rv, "DELETED", key, gone, old))

    def expire(self) -> None:
        """Forget the whole history: any watch from a resourceVersion before now is 410."""
        with self.lock:
            self._history.clear()
            self.compacted = self.rv

    # -- watchers ------------------------------------------------------------------------------
    def subscribe(self, watcher: Watcher) -> None:
        with self.lock:
            self._watchers.add(watcher)

    def unsubscribe(self, watcher: Watcher) -> None:
        with self.lock:
            self._watchers.discard(watcher)

    def watchers(self, group: str | None = None, plural: str | None = None) -> list[Watcher]:
        with self.lock:
            return [
                w
                for w in self._watchers
                if group is None or plural is None or w.watches(group, plural)
            ]
