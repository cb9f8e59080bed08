"""Sync windows: which windows apply to an application and whether it may sync now."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from kapstan.engine.project._glob import glob_match
from kapstan.engine.project.model import Project, SyncWindow

__all__ = [
    "SyncWindowError",
    "active_windows",
    "matching_windows",
    "parse_duration",
    "sync_allowed",
    "window_active",
]

ALLOW = "allow"
DENY = "deny"

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


class SyncWindowError(ValueError):
    """A window whose schedule, duration or time zone cannot be evaluated."""


@dataclass(frozen=True)
class _Target:
    app_name: str
    namespace: str
    server: str
    cluster_name: str


def parse_duration(text: str) -> timedelta:
    """Parse a Go ``time.ParseDuration`` string such as ``1h``, ``90m`` or ``1h30m``."""
    body = text.strip()
    sign = 1.0
    if body and body[0] in "+-":
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:]
    if not body:
        raise SyncWindowError(f"invalid duration {text!r}")
    if body == "0":
        return timedelta(0)
    pos = 0
    seconds = 0.0
    while pos < len(body):
        part = _DURATION_PART.match(body, pos)
        if part is None:
            raise SyncWindowError(f"invalid duration {text!r}")
        seconds += float(part.group(1)) * _UNITS[part.group(2)]
        pos = part.end()
    return timedelta(seconds=sign * seconds)


def _zone(window: SyncWindow) -> ZoneInfo:
    try:
        return ZoneInfo(window.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SyncWindowError(f"invalid time zone {window.time_zone!r}") from exc


def window_active(window: SyncWindow, now: datetime) -> bool:
    """Return whether ``window`` is open at ``now`` (naive ``now`` is taken as UTC).

    Like Argo CD: the window is open when the first schedule tick after
    ``now - duration`` (evaluated in the window's time zone) is strictly before ``now``.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    duration = parse_duration(window.duration)
    zone = _zone(window)
    expr = _DESCRIPTORS.get(window.schedule.strip(), window.schedule.strip())
    start = (now.astimezone(UTC) - duration).astimezone(zone)
    try:
        tick = next(iter(CronSim(expr, start)))
    except (CronSimError, StopIteration) as exc:
        raise SyncWindowError(f"invalid schedule {window.schedule!r}") from exc
    return tick < now


def _matches(window: SyncWindow, target: _Target) -> bool:
    results: list[bool] = []
    if window.applications:
        results.append(any(glob_match(p, target.app_name) for p in window.applications))
    if window.clusters:
        results.append(
            any(
                (target.cluster_name != "" and glob_match(p, target.cluster_name))
                or (target.server != "" and glob_match(p, target.server))
                for p in window.clusters
            )
        )
    if window.namespaces:
        results.append(any(glob_match(p, target.namespace) for p in window.namespaces))
    if not results:
        return False
    return all(results) if window.and_operator else any(results)


def matching_windows(
    project: Project, app_name: str, namespace: str, cluster: str, *, cluster_name: str = ""
) -> tuple[SyncWindow, ...]:
    """Windows of ``project`` that apply to the application.

    ``cluster`` is the destination server URL and ``cluster_name`` its name; a
    ``clusters`` glob may match either. Criteria are OR-ed unless ``andOperator`` is set.
    """
    target = _Target(app_name, namespace, cluster, cluster_name)
    return tuple(w for w in project.sync_windows if _matches(w, target))


def active_windows(
    project: Project,
    app_name: str,
    namespace: str,
    cluster: str,
    now: datetime,
    *,
    cluster_name: str = "",
) -> tuple[SyncWindow, ...]:
    """Windows that apply to the application and are open at ``now``.

    Raises :class:`SyncWindowError` if a matching window cannot be evaluated.
    """
    windows = matching_windows(project, app_name, namespace, cluster, cluster_name=cluster_name)
    return tuple(w for w in windows if window_active(w, now))


def sync_allowed(
    project: Project,
    app_name: str,
    namespace: str,
    cluster: str,
    now: datetime,
    *,
    manual: bool,
    cluster_name: str = "",
) -> tuple[bool, str]:
    """Decide whether the application may sync at ``now``; returns ``(allowed, reason)``.

    Argo CD's ``SyncWindows.CanSync``: no matching windows allow; an open deny window
    blocks unless the sync is manual and every open deny window has ``manualSync``; an
    open allow window allows; otherwise matching allow windows that are all closed block,
    unless the sync is manual and one of them has ``manualSync``.
    """
    windows = matching_windows(project, app_name, namespace, cluster, cluster_name=cluster_name)
    if not windows:
        return True, ""
    try:
        active = [w for w in windows if window_active(w, now)]
    except SyncWindowError as exc:
        return False, f"sync window error: {exc}"
    denies = [w for w in active if w.kind == DENY]
    if denies:
        if manual and all(w.manual_sync for w in denies):
            return True, "manual sync permitted during active deny window"
        return False, "sync blocked by active deny window"
    if any(w.kind == ALLOW for w in active):
        return True, "active allow window"
    inactive_allows = [w for w in windows if w.kind == ALLOW and w not in active]
    if inactive_allows:
        if manual and any(w.manual_sync for w in inactive_allows):
            return True, "manual sync permitted outside allow windows"
        return False, "sync blocked: no active allow window"
    return True, ""
