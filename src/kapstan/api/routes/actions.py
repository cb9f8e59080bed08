"""Resource actions: ``GET /api/v1/applications/{name}/resource/actions`` (list) and
``POST .../resource/actions`` / ``POST .../resource/actions/v2`` (run), as Argo CD's
``ListResourceActions``, ``RunResourceAction`` and ``RunResourceActionV2``.

Contract:

- the resource is named as for ``.../resource`` and must be in the app's tree, or be the
  Application itself (``group=argoproj.io&kind=Application&resourceName=<app>``);
- listing needs ``applications, get``; running needs ``applications,
  action/<group>/<kind>/<action>, <project>/<app>``;
- actions come from :mod:`kapstan.engine.actions` (built-ins and argocd-cm customizations;
  scripts run off the event loop, in the sandbox, with the request's clock) and what they
  change is written by :func:`kapstan.services.resourceactions.apply_action` after the
  app's project permits every impacted resource (Argo CD's message: ``application is not
  permitted to manage <group>/<kind>/<name> in <namespace>``);
- the v1 body is the action name as a JSON string (the resource in the query); the v2 body is
  ``ResourceActionRunRequestV2`` (``action``, ``resourceActionParameters: [{name, value}]``
  and the resource fields); a failing action answers code 2 (Unknown), as Argo CD's plain
  errors do;
- a run is recorded as an Event on the Application: ``<user> ran action <action> on resource
  <group>/<kind>/<name>`` (reason ``ResourceActionRan``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api import audit
from kapstan.api.body import field_str, json_object, read_limited
from kapstan.api.common import JSON, Caller, Ctx, project_of
from kapstan.api.context import ApiContext
from kapstan.api.errors import ApiError, Code, invalid
from kapstan.api.live import (
    AppScope,
    Live,
    ResourceRef,
    Scope,
    cluster_of,
    lookup_app,
    resource_ref,
    target_object,
)
from kapstan.api.routes.applications import api_error
from kapstan.api.security import Principal
from kapstan.engine import actions
from kapstan.engine.project import Project, destination_permitted, resource_permitted
from kapstan.kube.errors import KubeError
from kapstan.services.resourceactions import Permit, apply_action

router = APIRouter()
Ref = Annotated[ResourceRef, Depends(resource_ref)]
PATH = "/api/v1/applications/{name}/resource/actions"
V2_FIELDS = {
    "name",
    "namespace",
    "resourceName",
    "version",
    "group",
    "kind",
    "action",
    "appNamespace",
    "project",
    "resourceActionParameters",
}


def _config(ctx: ApiContext) -> actions.ActionsConfig:
    return actions.ActionsConfig.from_argocd_cm(ctx.settings().cm)


def _failed(err: actions.ActionError) -> ApiError:
    return ApiError(Code.UNKNOWN, f"error running resource action: {err}")


@router.get(PATH)
async def list_actions(
    name: str,
    ref: Ref,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
) -> Response:
    """``applicationResourceActionsListResponse``."""
    app = lookup_app(ctx, principal, "get", name, scope)
    live = await target_object(ctx, app, ref)
    now = datetime.now(UTC)
    try:
        found = await asyncio.to_thread(actions.discover, live.obj, _config(ctx), now)
    except actions.ActionError as err:
        raise ApiError(Code.UNKNOWN, f"error getting available actions: {err}") from None
    return JSON({"actions": [a.to_dict() for a in found]})


def _permit(app: Mapping[str, Any], project: Project) -> Permit:
    destination = (app.get("spec") or {}).get("destination") or {}
    server, cluster = str(destination.get("server") or ""), str(destination.get("name") or "")

    def permitted(group: str, kind: str, name: str, namespace: str, namespaced: bool) -> str | None:
        allowed = resource_permitted(project, group, kind, namespaced) and (
            not namespace or destination_permitted(project, server, cluster, namespace)
        )
        if allowed:
            return None
        return f"application is not permitted to manage {group}/{kind}/{name} in {namespace}"

    return permitted


async def _run(
    ctx: ApiContext,
    principal: Principal,
    name: str,
    ref: ResourceRef,
    action: str,
    params: dict[str, str],
    scope: AppScope,
) -> Response:
    if not action:
        raise invalid("action is required")
    rbac = f"action/{ref.group}/{ref.kind}/{action}"
    app = lookup_app(ctx, principal, rbac, name, scope)
    live = await target_object(ctx, app, ref)
    now = datetime.now(UTC)
    try:
        impacted = await asyncio.to_thread(actions.run, live.obj, action, params, _config(ctx), now)
    except actions.ActionError as err:
        raise _failed(err) from None
    await _write(ctx, app, live, impacted)
    what = f"ran action {action}"
    if live.node is not None:
        what += f" on resource {ref.group}/{ref.kind}/{ref.name}"
    await audit.record(ctx.kube, app, principal.username, audit.ACTION_RAN, what)
    return JSON({})


async def _write(
    ctx: ApiContext, app: Mapping[str, Any], live: Live, impacted: list[actions.Impacted]
) -> None:
    raw = ctx.mirror.project(project_of(app)) or {}
    project = Project.from_spec(project_of(app), raw.get("spec"))
    source_kube = live.cluster.kube if live.cluster is not None else ctx.kube
    target = live.cluster if live.cluster is not None else await cluster_of(ctx, app)
    try:
        await apply_action(
            source_kube,
            live.path,
            live.obj,
            target.kube,
            target.discovery,
            impacted,
            _permit(app, project),
        )
    except actions.ActionError as err:
        raise _failed(err) from None
    except KubeError as err:
        raise api_error(err) from None


@router.post(PATH)
async def run_action(
    name: str,
    request: Request,
    ref: Ref,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
) -> Response:
    """Deprecated in Argo CD for v2; the body is the action name as a JSON string."""
    raw = await read_limited(request, ctx.max_body)
    try:
        action = orjson.loads(raw) if raw.strip() else ""
    except orjson.JSONDecodeError:
        action = raw.decode(errors="replace").strip()
    if not isinstance(action, str):
        raise invalid("the body must be the action name as a JSON string")
    return await _run(ctx, principal, name, ref, action, {}, scope)


def _params(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise invalid("resourceActionParameters must be a list")
    out: dict[str, str] = {}
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise invalid("each resourceActionParameters entry needs a name")
        value = item.get("value")
        out[item["name"]] = "" if value is None else str(value)
    return out


@router.post(PATH + "/v2")
async def run_action_v2(
    name: str,
    request: Request,
    ctx: Ctx,
    principal: Caller,
) -> Response:
    """``ResourceActionRunRequestV2`` in the body."""
    body = await json_object(request, ctx.max_body, known=V2_FIELDS)
    ref = ResourceRef(
        field_str(body, "namespace"),
        field_str(body, "resourceName"),
        field_str(body, "version"),
        field_str(body, "group"),
        field_str(body, "kind"),
    )
    return await _run(
        ctx,
        principal,
        name,
        ref,
        field_str(body, "action"),
        _params(body.get("resourceActionParameters")),
        AppScope(field_str(body, "project"), field_str(body, "appNamespace")),
    )


__all__ = ["router"]
