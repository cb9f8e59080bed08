"""What the controller learned about an app, read from the snapshot store: the resource tree
and the managed resources (target, live, normalized and predicted states, Secret values
masked); plus the app's Kubernetes Events and its sync windows. RBAC ``get`` on the app."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from kapstan.api.common import JSON, Caller, Ctx, find_app
from kapstan.api.fields import parse_fields, project
from kapstan.api.routes.applications import api_error
from kapstan.engine.project import Project, sync_allowed
from kapstan.kube.errors import KubeError

router = APIRouter()


@router.get("/api/v1/applications/{name}/resource-tree")
async def resource_tree(
    name: str,
    ctx: Ctx,
    principal: Caller,
    project_name: str = Query(default="", alias="project"),
) -> Response:
    find_app(ctx, principal, "get", name, project_name)
    snapshot = await ctx.snapshots.get(ctx.namespace, name)
    # Not compared yet: an empty tree (Argo CD answers an error until its cache has one).
    return JSON(dict(snapshot.tree) if snapshot is not None else {"nodes": []})


@router.get("/api/v1/applications/{name}/managed-resources")
async def managed_resources(
    name: str,
    ctx: Ctx,
    principal: Caller,
    namespace: str = "",
    resource_name: str = Query(default="", alias="name"),
    version: str = "",
    group: str = "",
    kind: str = "",
    fields: str | None = None,
    project_name: str = Query(default="", alias="project"),
) -> Response:
    find_app(ctx, principal, "get", name, project_name)
    snapshot = await ctx.snapshots.get(ctx.namespace, name)
    items = list(snapshot.managed) if snapshot is not None else []
    wanted = {"namespace": namespace, "name": resource_name, "group": group, "kind": kind}
    items = [i for i in items if all(not v or str(i.get(k) or "") == v for k, v in wanted.items())]
    del version  # every version of a resource is the same object
    return JSON(project({"items": items}, parse_fields(fields)))


@router.get("/api/v1/applications/{name}/events")
async def events(
    name: str,
    ctx: Ctx,
    principal: Caller,
    resource_uid: str = Query(default="", alias="resourceUID"),
    resource_namespace: str = Query(default="", alias="resourceNamespace"),
    resource_name: str = Query(default="", alias="resourceName"),
) -> Response:
    """Events of the Application itself, or of one of its resources (``resourceUID``)."""
    app = find_app(ctx, principal, "get", name)
    meta = app.get("metadata") or {}
    if resource_uid:
        namespace = resource_namespace or str(
            ((app.get("spec") or {}).get("destination") or {}).get("namespace") or ""
        )
        selector = f"involvedObject.uid={resource_uid}"
        if resource_name:
            selector += f",involvedObject.name={resource_name}"
    else:
        namespace = ctx.namespace
        selector = f"involvedObject.uid={meta.get('uid')},involvedObject.name={meta.get('name')}"
    try:
        found = await ctx.kube.list(
            f"/api/v1/namespaces/{namespace}/events", {"fieldSelector": selector}
        )
    except KubeError as err:
        raise api_error(err) from None
    return JSON({"metadata": {"resourceVersion": found.resource_version}, "items": found.items})


@router.get("/api/v1/applications/{name}/syncwindows")
def sync_windows(name: str, ctx: Ctx, principal: Caller) -> Response:
    """``ApplicationSyncWindowsResponse``: the project's windows, which are active, whether a
    manual sync may run now."""
    app = find_app(ctx, principal, "get", name)
    spec = app.get("spec") or {}
    raw = ctx.mirror.project(str(spec.get("project") or "default")) or {}
    windows: list[dict[str, Any]] = list((raw.get("spec") or {}).get("syncWindows") or [])
    project = Project.from_spec(str(spec.get("project") or "default"), raw.get("spec"))
    destination = spec.get("destination") or {}
    now = datetime.now(UTC)
    allowed, _ = sync_allowed(
        project,
        name,
        str(destination.get("namespace") or ""),
        str(destination.get("server") or ""),
        now,
        manual=True,
        cluster_name=str(destination.get("name") or ""),
    )
    return JSON({"assignedWindows": windows, "activeWindows": [], "canSync": allowed})


__all__ = ["router"]
