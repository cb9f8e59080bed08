"""Deployment history (``status.history``) and the rollback operation built from it.

Argo CD's rules: only a successful, complete sync is recorded — not a dry run, not a
selective sync; ids grow by one from the highest; the list keeps the newest
``spec.revisionHistoryLimit`` entries (default 10). A rollback is a sync of a history entry's
source at its revision, and is refused while automated sync is on (it would be undone at
once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kapstan.model.application import Application

DEFAULT_HISTORY_LIMIT = 10


class RollbackError(ValueError):
    """A rollback that cannot be done (unknown id, automated sync on)."""


def next_entry(
    history: Sequence[Mapping[str, Any]], operation: Mapping[str, Any], **fields: Any
) -> dict[str, Any]:
    """The next ``status.history`` entry (``fields`` are its revision, source and times)."""
    next_id = max((int(h.get("id") or 0) for h in history), default=-1) + 1
    return {"id": next_id, **fields, "initiatedBy": dict(operation.get("initiatedBy") or {})}


def recorded(succeeded: bool, sync: Mapping[str, Any]) -> bool:
    """Whether a finished sync goes into the history."""
    return succeeded and not sync.get("dryRun") and not sync.get("resources")


def trimmed(history: list[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    """The newest ``limit`` entries (``None``: the default of 10; ``0`` keeps none)."""
    keep = DEFAULT_HISTORY_LIMIT if limit is None else max(0, int(limit))
    return history[-keep:] if keep else []


def rollback_operation(
    app: Mapping[str, Any], history_id: int, *, prune: bool = False, username: str = "kapstan"
) -> dict[str, Any]:
    """The ``operation`` that rolls ``app`` back to history entry ``history_id``; raises
    :class:`RollbackError` for an unknown id or while automated sync is on."""
    view = Application.of(app)
    if view.spec.sync_policy.auto_sync:
        raise RollbackError("rollback cannot be initiated when auto-sync is enabled")
    for entry in view.status.history:
        if int(entry.get("id", -1)) == history_id:
            sync = {
                "revision": entry.get("revision"),
                "source": entry.get("source"),
                "prune": prune,
            }
            return {"sync": sync, "initiatedBy": {"username": username}}
    raise RollbackError(f"application {view.name} has no history {history_id}")


__all__ = [
    "DEFAULT_HISTORY_LIMIT",
    "RollbackError",
    "next_entry",
    "recorded",
    "rollback_operation",
    "trimmed",
]
