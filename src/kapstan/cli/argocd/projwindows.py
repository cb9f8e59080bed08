"""``kapstan proj windows add|list|delete|update|enable-manual-sync|disable-manual-sync``, as
``argocd proj windows`` has them.

Contract: windows are the project's ``spec.syncWindows``; a window's ID is its index in that
list (as argocd numbers them). ``list`` shows whether each is open now (``Active``), as the
server computes it (``/api/v1/projects/P/syncwindows``); the server validates schedules,
durations and time zones when the project is saved.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.login import OutputOpt
from kapstan.cli.argocd.output import OutputFormat, check_format, emit, table
from kapstan.cli.argocd.projcommon import PROJECTS, client, fetch, modify

windows = typer.Typer(no_args_is_help=True, help="Manage a project's sync windows.")
ProjectArg = Annotated[str, typer.Argument(help="Project.")]
IdArg = Annotated[int, typer.Argument(help="Window ID (its index, from windows list).")]
Strings = list[str] | None


class WindowKind(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


ScheduleOpt = Annotated[str | None, typer.Option("--schedule", help="Cron schedule.")]
DurationOpt = Annotated[str | None, typer.Option("--duration", help="How long (e.g. 1h).")]
AppsOpt = Annotated[Strings, typer.Option("--applications", help="Application name globs.")]
NsOpt = Annotated[Strings, typer.Option("--namespaces", help="Namespace globs.")]
ClustersOpt = Annotated[Strings, typer.Option("--clusters", help="Cluster name globs.")]
TzOpt = Annotated[str | None, typer.Option("--time-zone", help="Time zone of the schedule.")]


def _split(values: Strings) -> list[str] | None:
    if values is None:
        return None
    return [v for raw in values for v in raw.split(",") if v]


def _window(spec: dict[str, Any], index: int) -> dict[str, Any]:
    listed = spec.get("syncWindows") or []
    if not 0 <= index < len(listed):
        raise CommandExit(20, f"window with id '{index}' not found")
    found: dict[str, Any] = listed[index]
    return found


_FIELDS = {
    "schedule": "schedule",
    "duration": "duration",
    "applications": "applications",
    "namespaces": "namespaces",
    "clusters": "clusters",
    "time_zone": "timeZone",
}


def _fill(window: dict[str, Any], **given: Any) -> None:
    for flag, key in _FIELDS.items():
        value = given.get(flag)
        if flag in ("applications", "namespaces", "clusters"):
            value = _split(value)
        if value is not None:
            window[key] = value


@windows.command()
def add(
    project: ProjectArg,
    kind: Annotated[WindowKind, typer.Option("--kind", "-k", help="allow or deny.")],
    schedule: ScheduleOpt = None,
    duration: DurationOpt = None,
    applications: AppsOpt = None,
    namespaces: NsOpt = None,
    clusters: ClustersOpt = None,
    manual_sync: Annotated[
        bool, typer.Option("--manual-sync", help="Allow manual syncs in a deny window.")
    ] = False,
    time_zone: TzOpt = "UTC",
    use_and_operator: Annotated[
        bool, typer.Option("--use-and-operator", help="Match all of the selectors, not any.")
    ] = False,
) -> None:
    """Add a sync window."""
    with handled():
        if not schedule or not duration:
            raise CommandExit(20, "--schedule and --duration are required")
        window: dict[str, Any] = {"kind": kind.value}
        _fill(window, schedule=schedule, duration=duration, applications=applications,
              namespaces=namespaces, clusters=clusters, time_zone=time_zone)  # fmt: skip
        if manual_sync:
            window["manualSync"] = True
        if use_and_operator:
            window["andOperator"] = True
        modify(project, lambda spec: spec.setdefault("syncWindows", []).append(window))


@windows.command()
def update(
    project: ProjectArg,
    window_id: IdArg,
    schedule: ScheduleOpt = None,
    duration: DurationOpt = None,
    applications: AppsOpt = None,
    namespaces: NsOpt = None,
    clusters: ClustersOpt = None,
    time_zone: TzOpt = None,
) -> None:
    """Change a sync window's schedule, duration, selectors or time zone."""
    with handled():

        def edit(spec: dict[str, Any]) -> None:
            _fill(_window(spec, window_id), schedule=schedule, duration=duration,
                  applications=applications, namespaces=namespaces, clusters=clusters,
                  time_zone=time_zone)  # fmt: skip

        modify(project, edit)


@windows.command()
def delete(project: ProjectArg, window_id: IdArg) -> None:
    """Delete a sync window."""
    with handled():

        def edit(spec: dict[str, Any]) -> None:
            _window(spec, window_id)
            del spec["syncWindows"][window_id]

        modify(project, edit)


def _manual(project: str, index: int, value: bool) -> None:
    def edit(spec: dict[str, Any]) -> None:
        window = _window(spec, index)
        if value:
            window["manualSync"] = True
        else:
            window.pop("manualSync", None)

    modify(project, edit)


@windows.command("enable-manual-sync")
def enable_manual_sync(project: ProjectArg, window_id: IdArg) -> None:
    """Allow manual syncs during a window."""
    with handled():
        _manual(project, window_id, True)


@windows.command("disable-manual-sync")
def disable_manual_sync(project: ProjectArg, window_id: IdArg) -> None:
    """Refuse manual syncs during a window."""
    with handled():
        _manual(project, window_id, False)


def _cell(values: list[str] | None) -> str:
    return ",".join(values) if values else "-"


@windows.command("list")
def list_(project: ProjectArg, output: OutputOpt = "") -> None:
    """List a project's sync windows."""
    with handled():
        fmt = check_format(output, (OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.YAML))
        listed = (fetch(project).get("spec") or {}).get("syncWindows") or []
        if emit(listed, fmt):
            return
        active = client().get(f"{PROJECTS}/{project}/syncwindows").get("windows") or []
        rows = [
            (
                i, "Active" if w in active else "Inactive", w.get("kind", ""),
                w.get("schedule", ""), w.get("duration", ""), _cell(w.get("applications")),
                _cell(w.get("namespaces")), _cell(w.get("clusters")),
                "Enabled" if w.get("manualSync") else "Disabled", w.get("timeZone") or "UTC",
                "Enabled" if w.get("andOperator") else "Disabled",
            )
            for i, w in enumerate(listed)
        ]  # fmt: skip
        table(
            ("ID", "STATUS", "KIND", "SCHEDULE", "DURATION", "APPLICATIONS", "NAMESPACES",
             "CLUSTERS", "MANUALSYNC", "TIMEZONE", "USEANDOPERATOR"),
            rows,
        )  # fmt: skip


def register(group: typer.Typer) -> None:
    group.add_typer(windows, name="windows")


__all__ = ["WindowKind", "register"]
