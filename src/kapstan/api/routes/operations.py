"""Operations on an Application: sync, rollback and terminate. The API never runs them: it
writes them into the Application, as Argo CD's API server does, and the controller executes.

- ``POST .../{name}/sync`` (``ApplicationSyncRequest``): RBAC ``sync``; refused while another
  operation runs; written as ``operation.sync`` with ``initiatedBy.username``; ``infos`` become
  ``operation.info``, ``retryStrategy`` ``operation.retry``;
- ``POST .../{name}/rollback`` (``{id, prune, dryRun}``): RBAC ``sync``; refused while automated
  sync is on (Argo CD's message); the history entry's source at its revision;
- ``DELETE .../{name}/operation``: RBAC ``sync``; sets ``operationState.phase: Terminating``
  on a running operation, and on one that is set but has no running state yet (waiting for
  the controller, or in its first second, before its state is written): the controller then
  ends it at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api import audit
from kapstan.api.body import field_bool, field_str, json_object
from kapstan.api.common import JSON, Caller, Ctx, find_app
from kapstan.api.errors import failed_precondition, invalid
from kapstan.api.routes.applications import api_error
from kapstan.engine.conditions import rfc3339
from kapstan.engine.history import RollbackError, rollback_operation
from kapstan.kube.errors import KubeError
from kapstan.model.application import Application
from kapstan.model.sync import OperationPhase

router = APIRouter()
SYNC_FIELDS = {
    "name",
    "revision",
    "revisions",
    "dryRun",
    "prune",
    "strategy",
    "resources",
    "manifests",
    "infos",
    "retryStrategy",
    "syncOptions",
    "appNamespace",
    "project",
    "sourcePositions",
}
IN_PROGRESS = "another operation is already in progress"
# The controller renders every sync from Git and never reads `operation.sync.manifests`:
# storing them would apply Git's state while the caller believes its manifests were used.
LOCAL_SYNC_REFUSED = (
    "syncing local manifests is not supported: Kapstan syncs from Git "
    "(commit the change, or preview it with app diff --local)"
)


def _running(app: dict[str, Any]) -> bool:
    view = Application.of(app)
    return view.operation is not None or view.status.operation_state.in_progress


def sync_operation(data: dict[str, Any], username: str) -> dict[str, Any]:
    """The ``operation`` Argo CD's server writes for an ``ApplicationSyncRequest``."""
    sync: dict[str, Any] = {}
    if data.get("manifests"):
        raise invalid(LOCAL_SYNC_REFUSED)
    for key in ("revision", "revisions", "prune", "dryRun", "resources"):
        if data.get(key) not in (None, "", [], False):
            sync[key] = data[key]
    strategy = data.get("strategy")
    if isinstance(strategy, dict) and strategy:
        sync["syncStrategy"] = strategy
    options = data.get("syncOptions")
    if isinstance(options, dict):
        options = options.get("items")  # the API's SyncOptions message wraps the list
    if options:
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            raise invalid("syncOptions.items must be a list of strings")
        sync["syncOptions"] = options
    for key in ("resources", "revisions"):
        if key in sync and not isinstance(sync[key], list):
            raise invalid(f"{key} must be a list")
    operation: dict[str, Any] = {"sync": sync, "initiatedBy": {"username": username}}
    if data.get("infos"):
        operation["info"] = data["infos"]
    if isinstance(data.get("retryStrategy"), dict):
        operation["retry"] = data["retryStrategy"]
    return operation


@router.post("/api/v1/applications/{name}/sync")
async def sync(
    name: str,
    request: Request,
    ctx: Ctx,
    principal: Caller,
) -> Response:
    data = await json_object(request, ctx.max_body, known=SYNC_FIELDS)
    app = find_app(ctx, principal, "sync", name, field_str(data, "project"))
    if _running(app):
        raise failed_precondition(IN_PROGRESS)
    operation = sync_operation(data, principal.username)
    try:
        updated = await ctx.applications.set_operation(name, operation)
    except KubeError as err:
        raise api_error(err) from None
    target = operation["sync"].get("revision") or (app.get("spec") or {}).get("source", {}).get(
        "targetRevision", "HEAD"
    )
    await audit.record(
        ctx.kube, updated, principal.username, audit.OPERATION, f"initiated sync to {target}"
    )
    return JSON(updated)


@router.post("/api/v1/applications/{name}/rollback")
async def rollback(
    name: str,
    request: Request,
    ctx: Ctx,
    principal: Caller,
) -> Response:
    data = await json_object(
        request, ctx.max_body, known={"name", "id", "prune", "dryRun", "appNamespace", "project"}
    )
    app = find_app(ctx, principal, "sync", name, field_str(data, "project"))
    raw_id = data.get("id")
    try:
        history_id = int(raw_id) if raw_id is not None else -1
    except (TypeError, ValueError):
        raise invalid("id must be a number") from None
    if _running(app):
        raise failed_precondition(IN_PROGRESS)
    try:
        operation = rollback_operation(
            app, history_id, prune=field_bool(data, "prune"), username=principal.username
        )
    except RollbackError as err:
        raise failed_precondition(str(err)) from None
    if field_bool(data, "dryRun"):
        operation["sync"]["dryRun"] = True
    try:
        updated = await ctx.applications.set_operation(name, operation)
    except KubeError as err:
        raise api_error(err) from None
    await audit.record(
        ctx.kube,
        updated,
        principal.username,
        audit.OPERATION,
        f"initiated rollback to {history_id}",
    )
    return JSON(updated)


@router.delete("/api/v1/applications/{name}/operation")
async def terminate(
    name: str,
    ctx: Ctx,
    principal: Caller,
) -> Response:
    app = find_app(ctx, principal, "sync", name)
    state = Application.of(app).status.operation_state
    if state.phase is OperationPhase.RUNNING:
        terminating = {**state.raw, "phase": OperationPhase.TERMINATING.value}
    elif app.get("operation") is not None:
        terminating = {
            "operation": dict(app["operation"]),
            "phase": OperationPhase.TERMINATING.value,
            "startedAt": rfc3339(datetime.now(UTC)),
        }
    else:
        raise failed_precondition("Unable to terminate operation. No operation is in progress")
    try:
        await ctx.applications.write_status(app, {"operationState": terminating})
    except KubeError as err:
        raise api_error(err) from None
    await audit.record(
        ctx.kube, app, principal.username, audit.OPERATION, "terminated running sync"
    )
    return JSON({})


__all__ = ["router", "sync_operation"]
