"""The view ``argocd`` prints when a long operation ends: the app's header block, the last
operation's block, then the resource table (``GROUP KIND NAMESPACE NAME STATUS HEALTH HOOK
MESSAGE``).

Contract: :func:`finish` prints ``app`` as ``-o json|yaml`` (the API object unchanged) or as
that view; ``operation`` adds the operation block.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kapstan.cli.argocd.app.progress import RESOURCE_COLUMNS, field_at, resource_rows
from kapstan.cli.argocd.output import OutputFormat, block, emit, table


def _short(revision: str) -> str:
    return revision[:7] if len(revision) == 40 else revision


def app_block(app: Mapping[str, Any], server_url: str = "") -> list[tuple[str, Any]]:
    meta = app.get("metadata") or {}
    spec = app.get("spec") or {}
    dest = spec.get("destination") or {}
    source: Mapping[str, Any] = spec.get("source") or next(iter(spec.get("sources") or []), {})
    sync = field_at(app, "status", "sync") or {}
    auto = field_at(spec, "syncPolicy", "automated")
    policy = (
        "Manual"
        if auto is None
        else "Automated" + (" (Prune)" if isinstance(auto, Mapping) and auto.get("prune") else "")
    )
    revision = str(sync.get("revision") or "")
    target = str(source.get("targetRevision") or "")
    status = str(sync.get("status") or "")
    shown = f"{status} to {target or 'HEAD'}" + (f" ({_short(revision)})" if revision else "")
    health = field_at(app, "status", "health", "status") or ""
    name = (
        f"{meta.get('namespace')}/{meta.get('name')}" if meta.get("namespace") else meta.get("name")
    )
    url = f"{server_url.rstrip('/')}/applications/{meta.get('name')}" if server_url else ""
    return [
        ("Name", name),
        ("Project", spec.get("project") or "default"),
        ("Server", dest.get("server") or dest.get("name") or ""),
        ("Namespace", dest.get("namespace") or ""),
        ("URL", url),
        ("Repo", source.get("repoURL") or ""),
        ("Target", target),
        ("Path", source.get("path") or ""),
        ("Sync Policy", policy),
        ("Sync Status", shown if status else ""),
        ("Health Status", health),
    ]


def _duration(start: str, end: str) -> str:
    try:
        began = datetime.fromisoformat(start.replace("Z", "+00:00"))
        ended = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return f"{int((ended - began).total_seconds())}s"


def operation_block(app: Mapping[str, Any]) -> list[tuple[str, Any]]:
    state = field_at(app, "status", "operationState") or {}
    if not state:
        return []
    result = state.get("syncResult") or {}
    kind = "Sync" if field_at(state, "operation", "sync") is not None else ""
    start, end = str(state.get("startedAt") or ""), str(state.get("finishedAt") or "")
    return [
        ("Operation", kind),
        ("Sync Revision", result.get("revision") or ", ".join(result.get("revisions") or [])),
        ("Phase", state.get("phase") or ""),
        ("Start", start),
        ("Finished", end),
        ("Duration", _duration(start, end) if start and end else ""),
        ("Message", state.get("message") or ""),
    ]


def finish(
    app: Mapping[str, Any], fmt: OutputFormat, *, operation: bool, server_url: str = ""
) -> None:
    """See the module contract."""
    if emit(dict(app), fmt):
        return
    block(app_block(app, server_url))
    if operation:
        ops = operation_block(app)
        if ops:
            sys.stdout.write("\n")
            block(ops)
    rows = list(resource_rows(app).values())
    sys.stdout.write("\n")
    table(RESOURCE_COLUMNS, rows)


__all__ = ["app_block", "finish", "operation_block"]
