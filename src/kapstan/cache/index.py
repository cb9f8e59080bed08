"""The in-memory indexes of one cluster's objects.

Contract (single-threaded: one asyncio loop owns an :class:`Index`):

- :meth:`Index.upsert` stores an object and returns the :class:`Change`, or ``None`` when the
  same resourceVersion is already stored (a relist or a resumed watch never yields duplicates);
- objects are indexed by key, uid, namespace, (group, kind), owner uid and tracked app;
- :meth:`Index.apps_of` is the object's own app plus the apps of its owners, walked up through
  ownerReferences: a Pod reaches the app of its Deployment via its ReplicaSet, without scanning
  any app;
- an object keeps its full manifest only while :meth:`apps_of` is non-empty. When an object
  becomes managed, its already-cached descendants that are compact are queued in
  :meth:`take_promotions` so the cluster cache fetches their full manifests (children are often
  listed before their owners). An object that stops being managed is compacted on its next
  update.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kapstan.cache.entry import Entry, Key, key_of
from kapstan.engine.tracking import Tracking

_MAX_DEPTH = 32  # ownerReference chains are short; this only guards against cycles


@dataclass(frozen=True)
class Change:
    """One change of the cache: ``type`` is ADDED, MODIFIED or DELETED; ``apps`` the affected
    apps (the apps of the old and the new version, so leaving an app notifies it)."""

    type: str
    key: Key
    old: Entry | None
    new: Entry | None
    apps: frozenset[str]


def _add(index: dict[Any, set[Key]], k: Any, key: Key) -> None:
    bucket = index.get(k)
    if bucket is None:
        index[k] = {key}
    else:
        bucket.add(key)


def _remove(index: dict[Any, set[Key]], k: Any, key: Key) -> None:
    bucket = index.get(k)
    if bucket is not None:
        bucket.discard(key)
        if not bucket:
            del index[k]


class Index:
    """Objects of one cluster with secondary indexes."""

    def __init__(self, tracking: Tracking | None = None) -> None:
        self.tracking = tracking or Tracking()
        self._by_key: dict[Key, Entry] = {}
        self._by_uid: dict[str, Key] = {}
        self._by_ns: dict[str, set[Key]] = {}
        self._by_gk: dict[tuple[str, str], set[Key]] = {}
        self._children: dict[str, set[Key]] = {}
        self._by_app: dict[str, set[Key]] = {}
        self._promote: set[Key] = set()

    # -- queries -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def get(self, key: Key) -> Entry | None:
        return self._by_key.get(key)

    def by_uid(self, uid: str) -> Entry | None:
        key = self._by_uid.get(uid)
        return self._by_key.get(key) if key is not None else None

    def entries(self) -> Iterator[Entry]:
        return iter(self._by_key.values())

    def in_namespace(self, namespace: str) -> set[Key]:
        return set(self._by_ns.get(namespace, ()))

    def of_kind(self, group: str, kind: str) -> set[Key]:
        return set(self._by_gk.get((group, kind), ()))

    def children(self, owner_uid: str) -> set[Key]:
        return set(self._children.get(owner_uid, ()))

    def of_app(self, app: str) -> set[Key]:
        """Keys of objects tracked by ``app`` itself (their children via :meth:`children`)."""
        return set(self._by_app.get(app, ()))

    def apps_of(self, entry: Entry) -> frozenset[str]:
        """The entry's own app and the apps of all its ancestors (ownerReferences)."""
        apps = {entry.app} if entry.app else set()
        seen: set[str] = set()
        frontier = list(entry.owners)
        depth = 0
        while frontier and depth < _MAX_DEPTH:
            depth += 1
            nxt: list[str] = []
            for uid in frontier:
                if uid in seen:
                    continue
                seen.add(uid)
                owner = self.by_uid(uid)
                if owner is None:
                    continue  # owner not cached (yet, or excluded): nothing to inherit
                if owner.app:
                    apps.add(owner.app)
                nxt.extend(owner.owners)
            frontier = nxt
        return frozenset(apps)

    def descendants(self, uid: str) -> Iterator[Entry]:
        """Every cached object owned, transitively, by ``uid`` (each once)."""
        seen = {uid}
        frontier = [uid]
        while frontier:
            nxt: list[str] = []
            for parent in frontier:
                for key in self._children.get(parent, ()):
                    child = self._by_key[key]
                    if child.uid and child.uid not in seen:
                        seen.add(child.uid)
                        nxt.append(child.uid)
                        yield child
            frontier = nxt

    def take_promotions(self) -> list[Key]:
        """Keys that became managed while compact; the caller fetches their full manifests."""
        keys, self._promote = list(self._promote), set()
        return [k for k in keys if k in self._by_key and self._by_key[k].obj is None]

    # -- updates -------------------------------------------------------------------------------
    def upsert(self, obj: dict[str, Any]) -> Change | None:
        key = key_of(obj)
        old = self._by_key.get(key)
        rv = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        if old is not None and rv and old.resource_version == rv:
            return None
        probe = Entry.from_obj(obj, self.tracking.app_of(obj), full=False)
        apps = self.apps_of(probe)
        new = probe.with_obj(obj) if apps else probe
        if old is not None:
            self._unindex(old)
        self._index(new)
        if apps and (old is None or old.obj is None):
            for child in self.descendants(new.uid):
                if child.obj is None:
                    self._promote.add(child.key)
        old_apps = self.apps_of(old) if old is not None else frozenset()
        return Change("ADDED" if old is None else "MODIFIED", key, old, new, apps | old_apps)

    def fill(self, obj: dict[str, Any]) -> bool:
        """Store the full manifest fetched for a promoted entry (same resourceVersion only: a
        newer version arrives through the watch and is stored in full then)."""
        entry = self._by_key.get(key_of(obj))
        rv = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        if entry is None or entry.obj is not None or entry.resource_version != rv:
            return False
        self._by_key[entry.key] = entry.with_obj(obj)
        return True

    def delete(self, key: Key) -> Change | None:
        old = self._by_key.get(key)
        if old is None:
            return None
        apps = self.apps_of(old)
        self._unindex(old)
        return Change("DELETED", key, old, None, apps)

    def _index(self, e: Entry) -> None:
        key = e.key
        self._by_key[key] = e
        if e.uid:
            self._by_uid[e.uid] = key
        _add(self._by_ns, key[2], key)
        _add(self._by_gk, (key[0], key[1]), key)
        for uid in e.owners:
            _add(self._children, uid, key)
        if e.app:
            _add(self._by_app, e.app, key)

    def _unindex(self, e: Entry) -> None:
        key = e.key
        self._by_key.pop(key, None)
        if e.uid and self._by_uid.get(e.uid) == key:
            del self._by_uid[e.uid]
        _remove(self._by_ns, key[2], key)
        _remove(self._by_gk, (key[0], key[1]), key)
        for uid in e.owners:
            _remove(self._children, uid, key)
        if e.app:
            _remove(self._by_app, e.app, key)
