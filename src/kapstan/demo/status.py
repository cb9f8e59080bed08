"""The demo's status table: one row per Application, built from the objects as the API returns
them (pure functions, no I/O).

An app is *ready* when it is Synced and Healthy and no operation is pending or running.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table

_MESSAGE_WIDTH = 70
_COLOURS = {
    "Synced": "green",
    "Healthy": "green",
    "OutOfSync": "yellow",
    "Progressing": "cyan",
    "Missing": "yellow",
    "Degraded": "red",
    "Unknown": "magenta",
    "Suspended": "blue",
}


@dataclass(frozen=True)
class AppRow:
    """What the table shows of one Application."""

    name: str
    sync: str
    health: str
    revision: str
    message: str
    busy: bool  # an operation is requested or running

    @property
    def ready(self) -> bool:
        return self.sync == "Synced" and self.health == "Healthy" and not self.busy


def _get(obj: Mapping[str, Any] | None, *keys: str) -> Any:
    cur: Any = obj or {}
    for key in keys:
        cur = cur.get(key) if isinstance(cur, Mapping) else None
    return cur


def _message(app: Mapping[str, Any]) -> str:
    status = app.get("status") or {}
    for cond in status.get("conditions") or []:
        if cond.get("message"):
            return f"{cond.get('type', 'Condition')}: {cond['message']}"
    op = status.get("operationState") or {}
    if op.get("phase") and op.get("phase") != "Succeeded":
        return f"sync {op['phase']}: {op.get('message', '')}".strip().rstrip(":")
    if app.get("operation"):
        return "sync requested"
    return str(_get(status, "health", "message") or op.get("message") or "")


def app_row(app: Mapping[str, Any]) -> AppRow:
    """The row of one Application object."""
    status = app.get("status") or {}
    phase = _get(status, "operationState", "phase")
    revision = str(_get(status, "sync", "revision") or "")
    message = " ".join(_message(app).split())
    if len(message) > _MESSAGE_WIDTH:
        message = message[: _MESSAGE_WIDTH - 1] + "…"
    return AppRow(
        name=str(_get(app, "metadata", "name")),
        sync=str(_get(status, "sync", "status") or "-"),
        health=str(_get(status, "health", "status") or "-"),
        revision=revision[:7] or "-",
        message=message,
        busy=bool(app.get("operation")) or phase in ("Running", "Terminating"),
    )


def app_rows(apps: Iterable[Mapping[str, Any]], expected: Sequence[str]) -> list[AppRow]:
    """Rows for the ``expected`` app names in that order (a placeholder row for any app the API
    does not return yet), then any other Application found."""
    found = {r.name: r for r in map(app_row, apps)}
    rows = [found.pop(n, AppRow(n, "-", "-", "-", "not created yet", busy=True)) for n in expected]
    return rows + sorted(found.values(), key=lambda r: r.name)


def all_ready(rows: Sequence[AppRow]) -> bool:
    """True when there is at least one row and every row is ready."""
    return bool(rows) and all(r.ready for r in rows)


def _styled(value: str) -> str:
    colour = _COLOURS.get(value)
    return f"[{colour}]{value}[/]" if colour else value


def status_table(rows: Sequence[AppRow], caption: str = "") -> Table:
    """The rich table: APP, SYNC, HEALTH, REVISION, MESSAGE."""
    table = Table("APP", "SYNC", "HEALTH", "REVISION", "MESSAGE", caption=caption or None)
    for r in rows:
        table.add_row(r.name, _styled(r.sync), _styled(r.health), r.revision, r.message)
    return table
