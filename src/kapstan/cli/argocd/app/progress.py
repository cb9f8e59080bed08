"""Following an app until it reaches a state (``app sync``, ``wait``, ``rollback``), as
``argocd``'s ``waitOnApplicationStatus`` does.

Contract of :func:`follow`: reads the app, then its changes on the API's stream
(``GET /api/v1/stream/applications?name=NAME``, reconnected whenever the server closes it or
it stays quiet), until :meth:`Until.reached` holds, and returns the app. On a terminal the
progress is a live table (operation phase, per-resource results, health); otherwise one plain
line per resource whose status, health, hook or message changed (argocd's
``TIMESTAMP GROUP KIND NAMESPACE NAME STATUS HEALTH HOOK MESSAGE`` columns). ``timeout``
seconds (0: forever) without reaching the state raise :class:`CommandExit` with argocd's
``timed out (Ns) waiting for app "NAME" match desired state``. An operation that completed
``Failed`` or ``Error`` while the operation is awaited raises :class:`CommandExit` with the
operation's message (after the final view is printed by the caller's :func:`finish`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from kapstan.cli.argocd.errors import GENERIC, CommandExit
from kapstan.client.http import ApiCallError, ApiClient
from kapstan.model.health import HealthStatus
from kapstan.model.status import SyncStatusCode
from kapstan.model.sync import OperationPhase

COLUMNS = ("TIMESTAMP", "GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE")
RESOURCE_COLUMNS = COLUMNS[1:]
WIDTHS = (25, 5, 10, 9, 10, 9, 11, 4, 0)  # the plain lines' first column widths (they grow)
QUIET = 30.0  # seconds a stream may stay silent before it is reopened
Row = tuple[str, ...]
RefKey = tuple[str, str, str, str]  # group, kind, namespace, name


def field_at(obj: Any, *path: str) -> Any:
    """``obj[path[0]][path[1]]…``, or ``None`` where the path ends early."""
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def resource_rows(app: Mapping[str, Any]) -> dict[RefKey, Row]:
    """``GROUP KIND NAMESPACE NAME STATUS HEALTH HOOK MESSAGE`` per resource: the app's
    resources, with the last operation's results (status, hook phase, message) over them."""
    rows: dict[RefKey, list[str]] = {}
    for res in field_at(app, "status", "resources") or []:
        key = _key(res)
        health = str(field_at(res, "health", "status") or "")
        rows[key] = [*key, str(res.get("status") or ""), health, "", ""]
    for res in field_at(app, "status", "operationState", "syncResult", "resources") or []:
        key = _key(res)
        row = rows.setdefault(key, [*key, "", "", "", ""])
        if res.get("hookType"):
            row[4] = str(res.get("hookPhase") or row[4])
            row[6] = str(res.get("hookType") or "")
        elif res.get("status"):
            row[4] = str(res.get("status"))
        row[7] = str(res.get("message") or "")
    return {k: tuple(v) for k, v in sorted(rows.items())}


@dataclass(frozen=True)
class Until:
    """What ``app wait`` waits for (argocd's ``watchOpts``); ``resources`` limits the sync and
    health checks to those resources. ``stale_start`` is the ``startedAt`` of the operation
    that was there before ours: with ``require_new`` (after a sync or rollback was posted) the
    operation awaited must be a newer one; otherwise any completed one will do."""

    sync: bool = False
    health: bool = False
    operation: bool = False
    suspended: bool = False
    degraded: bool = False
    delete: bool = False
    resources: frozenset[RefKey] = field(default_factory=frozenset)
    stale_start: str = ""
    require_new: bool = False

    def operation_done(self, app: Mapping[str, Any]) -> bool:
        """No operation in flight (and, with ``require_new``, ours has completed)."""
        state = field_at(app, "status", "operationState") or {}
        if app.get("operation"):
            return False
        if not state:
            return not self.require_new
        if self.require_new and str(state.get("startedAt") or "") == self.stale_start:
            return False
        try:
            return OperationPhase(str(state.get("phase") or "")).completed
        except ValueError:
            return False

    def _selected(self, app: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        found = field_at(app, "status", "resources") or []
        return [r for r in found if _key(r) in self.resources]

    def reached(self, app: Mapping[str, Any]) -> bool:
        if self.delete:
            return False  # only the app's disappearance ends a --delete wait
        if self.operation and not self.operation_done(app):
            return False
        if self.sync:
            if self.resources:
                if any(r.get("status") != SyncStatusCode.SYNCED for r in self._selected(app)):
                    return False
            elif field_at(app, "status", "sync", "status") != SyncStatusCode.SYNCED:
                return False
        wanted = {
            s.value
            for s, on in (
                (HealthStatus.HEALTHY, self.health),
                (HealthStatus.SUSPENDED, self.suspended),
                (HealthStatus.DEGRADED, self.degraded),
            )
            if on
        }
        if wanted:
            if self.resources:
                picked = self._selected(app)
                return all(str(field_at(r, "health", "status") or "") in wanted for r in picked)
            return str(field_at(app, "status", "health", "status") or "") in wanted
        return True


def _key(res: Mapping[str, Any]) -> RefKey:
    return (str(res.get("group") or ""), str(res.get("kind") or ""),
            str(res.get("namespace") or ""), str(res.get("name") or ""))  # fmt: skip


class Reporter:
    """Shows progress: a live table on a terminal, plain change lines otherwise."""

    def __init__(self, name: str, *, quiet: bool = False) -> None:
        self.name = name
        self.quiet = quiet
        self.tty = sys.stdout.isatty() and not quiet
        self._seen: dict[RefKey, Row] = {}
        self._phase = ""
        self._live: Live | None = None
        self._widths = [max(len(c), w) for c, w in zip(COLUMNS, WIDTHS, strict=True)]
        self._header = False

    def __enter__(self) -> Reporter:
        if self.tty:
            self._live = Live(Table(), console=Console(), refresh_per_second=4, transient=True)
            self._live.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def show(self, app: Mapping[str, Any]) -> None:
        if self.quiet:
            return
        rows = resource_rows(app)
        phase = str(field_at(app, "status", "operationState", "phase") or "")
        if self._live is not None:
            self._live.update(self._table(app, rows, phase))
            return
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        for key, row in rows.items():
            if self._seen.get(key) != row:
                self._line((now, *row))
        self._seen = dict(rows)
        self._phase = phase

    def _line(self, cells: Row) -> None:
        if not self._header:
            self._header = True
            self._line_out(COLUMNS)
        self._line_out(cells)

    def _line_out(self, cells: Sequence[str]) -> None:
        for i, cell in enumerate(cells):
            self._widths[i] = max(self._widths[i], len(cell))
        padded = [c.ljust(self._widths[i]) for i, c in enumerate(cells)]
        sys.stdout.write("  ".join(padded).rstrip() + "\n")
        sys.stdout.flush()

    def _table(self, app: Mapping[str, Any], rows: dict[RefKey, Row], phase: str) -> Table:
        state = field_at(app, "status", "operationState") or {}
        health = field_at(app, "status", "health", "status") or ""
        sync = field_at(app, "status", "sync", "status") or ""
        title = f"{self.name}: operation {phase or '-'} · sync {sync} · health {health}"
        message = str(state.get("message") or "")
        table = Table(*RESOURCE_COLUMNS, title=title, caption=message or None, box=None)
        for row in rows.values():
            table.add_row(*row)
        return table


def timed_out(timeout: int, name: str) -> CommandExit:
    return CommandExit(
        GENERIC, f'timed out ({timeout}s) waiting for app "{name}" match desired state'
    )


def _events(
    client: ApiClient, name: str, project: str, until: Until, wait: float
) -> Iterator[dict[str, Any] | None]:
    """The app at each change (``None`` once it is deleted) until the stream ends or ``wait``
    seconds pass with nothing."""
    params = {"name": name, "projects": project}
    for event in client.stream("/api/v1/stream/applications", params, timeout=wait):
        if not isinstance(event, Mapping):
            continue
        if event.get("type") == "DELETED":
            if until.delete:
                yield None
                return
            raise CommandExit(GENERIC, f'application "{name}" was deleted')
        changed = event.get("application")
        if isinstance(changed, dict):
            yield changed


def follow(
    client: ApiClient,
    name: str,
    until: Until,
    *,
    timeout: int = 0,
    reporter: Reporter | None = None,
    project: str = "",
) -> dict[str, Any] | None:
    """See the module contract; ``None`` when the app was deleted (``--delete``)."""
    deadline = time.monotonic() + timeout if timeout > 0 else None
    app = _current(client, name, project, until, seen_before=False)
    if app is None:
        return None
    while True:
        remaining = QUIET if deadline is None else deadline - time.monotonic()
        if reporter is not None:
            reporter.show(app)
        if until.reached(app):
            return app
        if remaining <= 0:
            raise timed_out(timeout, name)
        for changed in _events(client, name, project, until, min(remaining, QUIET)):
            if changed is None:
                return None
            if reporter is not None:
                reporter.show(changed)
            if until.reached(changed):
                return changed
            if deadline is not None and time.monotonic() >= deadline:
                raise timed_out(timeout, name)
        # The stream ended or was quiet: read the app again, so a change (or a deletion)
        # between two streams is not missed.
        app = _current(client, name, project, until, seen_before=True)
        if app is None:
            return None


def _current(
    client: ApiClient, name: str, project: str, until: Until, *, seen_before: bool
) -> dict[str, Any] | None:
    """The app now; ``None`` when ``--delete`` waits and it is gone (404, or 403 for an app
    this caller could read before: the API does not tell "absent" from "not allowed")."""
    try:
        found = client.get(f"/api/v1/applications/{name}", project=project)
    except ApiCallError as err:
        if until.delete and (err.status == 404 or (seen_before and err.status == 403)):
            return None
        raise
    return found if isinstance(found, dict) else {}


def operation_failure(app: Mapping[str, Any]) -> CommandExit | None:
    """A failed or errored operation as the exit it calls for (argocd's message)."""
    state = field_at(app, "status", "operationState") or {}
    phase = str(state.get("phase") or "")
    if phase in (OperationPhase.FAILED, OperationPhase.ERROR):
        message = str(state.get("message") or "")
        detail = f": {message}" if message else ""
        return CommandExit(GENERIC, f"Operation has completed with phase: {phase}{detail}")
    return None


__all__ = [
    "COLUMNS",
    "RESOURCE_COLUMNS",
    "Reporter",
    "Until",
    "field_at",
    "follow",
    "operation_failure",
    "resource_rows",
    "timed_out",
]
