"""The comparison snapshot store: what the controller learned about each app on its last
comparison, published for the API (Argo CD serves the same from its Redis cache).

Contract: a :class:`Snapshot` holds one app's resource tree and managed resources in Argo CD's
wire shapes (see :mod:`kapstan.engine.snapshot`; every state Secret-masked), with the revision
and time it was compared at. The controller calls :meth:`SnapshotStore.put` after each
comparison and :meth:`delete` when the app is gone; readers call :meth:`get`. Implementations:
:class:`InMemorySnapshots` (one process: the controller and the API share it) and, when the API
runs in other processes, a Redis store satisfying the same :class:`SnapshotStore` protocol.
``put`` may drop a snapshot older than the stored one (``reconciled_at``), never a newer one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Snapshot:
    """One app's last comparison."""

    namespace: str
    name: str
    reconciled_at: str
    revision: str = ""
    tree: Mapping[str, Any] = field(default_factory=lambda: {"nodes": []})
    managed: Sequence[Mapping[str, Any]] = ()

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


__all__ = ["InMemorySnapshots", "Snapshot", "SnapshotStore"]
