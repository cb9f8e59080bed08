"""The comparison snapshot store: what the controller learned about each app on its last
comparison, published for the API (Argo CD serves the same from its Redis cache).

Contract: a :class:`Snapshot` holds one app's resource tree and managed resources in Argo CD's
wire shapes (see :mod:`kapstan.engine.snapshot`; every state Secret-masked), with the revision
and time it was compared at. Both are built on first read from what the comparison captured
(``build``), once: a controller refreshing thousands of apps pays nothing for a view nobody
opens; a store that ships snapshots to other processes reads them when it serialises.

The controller calls :meth:`SnapshotStore.put` after each comparison and :meth:`delete` when
the app is gone; readers call :meth:`get`. Implementations: :class:`InMemorySnapshots` (one
process: the controller and the API share it) and, when the API runs in other processes, a
Redis store satisfying the same :class:`SnapshotStore` protocol. ``put`` may drop a snapshot
older than the stored one (``reconciled_at``), never a newer one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

log = logging.getLogger(__name__)
Built = tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]  # (tree, managed resources)


def _empty() -> Built:
    return {"nodes": []}, ()


@dataclass(frozen=True)
class Snapshot:
    """One app's last comparison (see the module contract)."""

    namespace: str
    name: str
    reconciled_at: str
    revision: str = ""
    build: Callable[[], Built] = field(default=_empty, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        namespace: str,
        name: str,
        reconciled_at: str,
        revision: str,
        tree: Mapping[str, Any],
        managed: Sequence[Mapping[str, Any]],
    ) -> Snapshot:
        """A snapshot of ready-made shapes (read back from another process's store)."""
        return cls(namespace, name, reconciled_at, revision, lambda: (tree, managed))

    @cached_property
    def _built(self) -> Built:
        return self.build()

    @property
    def tree(self) -> Mapping[str, Any]:
        """The ``ApplicationTree`` body."""
        return self._built[0]

    @property
    def managed(self) -> Sequence[Mapping[str, Any]]:
        return self._built[1]

    def managed_resources(self) -> dict[str, Any]:
        """The ``ManagedResourcesResponse`` body."""
        return {"items": list(self.managed)}


class SnapshotStore(Protocol):
    """Where snapshots are published and read (see the module contract)."""

    async def put(self, snapshot: Snapshot) -> None: ...

    async def get(self, namespace: str, name: str) -> Snapshot | None: ...

    async def delete(self, namespace: str, name: str) -> None: ...


class InMemorySnapshots:
    """A :class:`SnapshotStore` in this process's memory."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Snapshot] = {}

    async def put(self, snapshot: Snapshot) -> None:
        key = (snapshot.namespace, snapshot.name)
        current = self._items.get(key)
        if current is None or current.reconciled_at <= snapshot.reconciled_at:
            self._items[key] = snapshot

    async def get(self, namespace: str, name: str) -> Snapshot | None:
        return self._items.get((namespace, name))

    async def delete(self, namespace: str, name: str) -> None:
        self._items.pop((namespace, name), None)

    def __len__(self) -> int:
        return len(self._items)


class SnapshotStoreError(Exception):
    """The store cannot answer (unreachable, unreadable, or not configured); the message says
    which and never carries credentials."""


class UnavailableSnapshots:
    """The store of an API server with no snapshot source: every read says how to get one."""

    message = (
        "resource trees and managed resources come from the controller: run "
        "`kapstan server --with-controller`, or start `kapstan controller` and "
        "`kapstan server` with the same --redis"
    )

    async def put(self, snapshot: Snapshot) -> None:
        raise SnapshotStoreError(self.message)

    async def get(self, namespace: str, name: str) -> Snapshot | None:
        raise SnapshotStoreError(self.message)

    async def delete(self, namespace: str, name: str) -> None:
        raise SnapshotStoreError(self.message)


class PublishedSnapshots:
    """The controller's side of a remote store: a failed ``put``/``delete`` is logged (once
    per outage, and when it ends) instead of failing the app's refresh — the Application's
    status is the source of truth; the snapshot only feeds the API's views."""

    def __init__(self, store: SnapshotStore) -> None:
        self.store = store
        self._failing = False

    async def _guard(self, call: Awaitable[None]) -> None:
        try:
            await call
        except Exception as err:  # a store outage must not stop reconciliation
            if not self._failing:
                log.warning("publishing snapshots failed (%s); API views will be stale", err)
            self._failing = True
        else:
            if self._failing:
                log.info("publishing snapshots works again")
            self._failing = False

    async def put(self, snapshot: Snapshot) -> None:
        await self._guard(self.store.put(snapshot))

    async def get(self, namespace: str, name: str) -> Snapshot | None:
        return await self.store.get(namespace, name)

    async def delete(self, namespace: str, name: str) -> None:
        await self._guard(self.store.delete(namespace, name))


__all__ = [
    "InMemorySnapshots",
    "PublishedSnapshots",
    "Snapshot",
    "SnapshotStore",
    "SnapshotStoreError",
    "UnavailableSnapshots",
]
