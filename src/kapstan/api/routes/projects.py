"""AppProjects: list, get, detailed, create, update, delete, events, sync windows and global
projects (Argo CD's ``ProjectService`` paths and shapes; role tokens live elsewhere).

Reads come from the mirror; RBAC is ``projects, <action>, <name>``, a list filtered per item.
Writes go to the API server and are recorded as Events on the AppProject, as Argo CD does.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api import audit
from kapstan.api.body import field_bool, json_object
from kapstan.api.common import JSON, Caller, Ctx, project_of
from kapstan.api.context import ApiContext
from kapstan.api.errors import ApiError, invalid, not_found
from kapstan.api.fields import parse_fields, project
from kapstan.api.routes.applications import api_error
from kapstan.api.security import Principal, require
from kapstan.engine.project import Project, SyncWindowError, parse_duration, window_active
from kapstan.kube.errors import Conflict, KubeError
from kapstan.model.vocabulary import API_VERSION, DEFAULT_PROJECT, project_path
from kapstan.services import projects as views
from kapstan.services.clusterstore import read_clusters
from kapstan.services.repostore import RepoKind, read_records

router = APIRouter()
RESOURCE = "projects"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _missing(name: str) -> ApiError:
    return not_found(f'appprojects.argoproj.io "{name}" not found')


def _get(ctx: ApiContext, principal: Principal, action: str, name: str) -> dict[str, Any]:
    """The project ``name`` once ``principal`` may ``action`` it (checked first, as Argo CD)."""
    require(ctx.authz, principal, RESOURCE, action, name)
    found = ctx.mirror.project(name)
    if found is None:
        raise _missing(name)
    return found


@router.get("/api/v1/projects")
def list_projects(ctx: Ctx, principal: Caller, fields: str | None = None) -> Response:
    items = [
        p
        for p in ctx.mirror.projects()
        if ctx.may(principal, RESOURCE, "get", str(p["metadata"]["name"]))
    ]
    return JSON(project({"metadata": {}, "items": items}, parse_fields(fields)))


@router.get("/api/v1/projects/{name}")
def get_project(name: str, ctx: Ctx, principal: Caller) -> Response:
    return JSON(_get(ctx, principal, "get", name))


@router.get("/api/v1/projects/{name}/globalprojects")
def global_projects(name: str, ctx: Ctx, principal: Caller) -> Response:
    found = _get(ctx, principal, "get", name)
    items = views.global_projects(found, ctx.mirror.projects(), ctx.settings().cm)
    return JSON({"items": items})


@router.get("/api/v1/projects/{name}/detailed")
async def detailed(name: str, ctx: Ctx, principal: Caller) -> Response:
    """``DetailedProjectsResponse``: the virtual project, its global projects and the
    repositories and clusters scoped to it (sanitized)."""
    found = _get(ctx, principal, "get", name)
    try:
        repos = [
            r
            for r in await read_records(ctx.kube, ctx.namespace, RepoKind.REPOSITORY)
            if r.project == name
        ]
        clusters = [c for c in await read_clusters(ctx.kube, ctx.namespace) if c.project == name]
    except KubeError as err:
        raise api_error(err) from None
    globals_ = views.global_projects(found, ctx.mirror.projects(), ctx.settings().cm)
    virtual = views.virtual_project(
        found, globals_, [r.url for r in repos], [(c.server, c.namespaces) for c in clusters]
    )
    return JSON(
        {
            "project": virtual,
            "globalProjects": globals_,
            "repositories": [r.public() for r in repos],
            "clusters": [c.public() for c in clusters],
        }
    )


@router.get("/api/v1/projects/{name}/syncwindows")
def sync_windows(name: str, ctx: Ctx, principal: Caller) -> Response:
    """``SyncWindowsResponse``: the project's windows that are open now."""
    found = _get(ctx, principal, "get", name)
    try:
        windows = views.active_windows(found, datetime.now(UTC))
    except SyncWindowError as err:
        raise invalid(str(err)) from None
    return JSON({"windows": windows})


@router.get("/api/v1/projects/{name}/events")
async def events(name: str, ctx: Ctx, principal: Caller) -> Response:
    found = _get(ctx, principal, "get", name)
    meta = found.get("metadata") or {}
    selector = (
        f"involvedObject.name={name},involvedObject.uid={meta.get('uid', '')},"
        f"involvedObject.namespace={ctx.namespace}"
    )
    try:
        listed = await ctx.kube.list(
            f"/api/v1/namespaces/{ctx.namespace}/events", {"fieldSelector": selector}
        )
    except KubeError as err:
        raise api_error(err) from None
    return JSON({"metadata": {"resourceVersion": listed.resource_version}, "items": listed.items})


def _body_project(data: Any, ctx: ApiContext) -> dict[str, Any]:
    """A project from a request, as it will be written (validated as Argo CD's
    ``ValidateProject`` does for what Kapstan enforces)."""
    if not isinstance(data, dict):
        raise invalid("missing payload 'project' in request")
    proj = copy.deepcopy(data)
    meta = proj.setdefault("metadata", {})
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        raise invalid("project.metadata.name is required")
    if not _NAME.match(meta["name"]) or len(meta["name"]) > 253:
        raise invalid(f"invalid project name {meta['name']!r}: must be a DNS subdomain name")
    if meta.get("namespace") not in (None, "", ctx.namespace):
        raise invalid(f"projects live in {ctx.namespace}, not {meta['namespace']}")
    meta["namespace"] = ctx.namespace
    proj["apiVersion"], proj["kind"] = API_VERSION, "AppProject"
    spec = proj.setdefault("spec", {})
    if not isinstance(spec, dict):
        raise invalid("project.spec must be an object")
    _validate_spec(meta["name"], spec)
    for key in ("uid", "creationTimestamp", "generation", "managedFields"):
        meta.pop(key, None)
    return proj


def _validate_spec(name: str, spec: dict[str, Any]) -> None:
    for key in ("sourceRepos", "destinations", "roles", "syncWindows"):
        if not isinstance(spec.get(key) or [], list):
            raise invalid(f"spec.{key} must be a list")
    for dest in spec.get("destinations") or []:
        if not isinstance(dest, dict) or not (dest.get("server") or dest.get("name")):
            raise invalid("each destination needs a server or a name")
    roles = [r.get("name") if isinstance(r, dict) else None for r in spec.get("roles") or []]
    if any(not isinstance(r, str) or not r for r in roles) or len(set(roles)) != len(roles):
        raise invalid("each role needs a name, and role names must be unique")
    for raw in spec.get("syncWindows") or []:
        if not isinstance(raw, dict) or raw.get("kind") not in ("allow", "deny"):
            raise invalid("a sync window's kind must be allow or deny")
        try:
            (window,) = Project.from_spec(name, {"syncWindows": [raw]}).sync_windows
            parse_duration(window.duration)
            window_active(window, datetime.now(UTC))
        except SyncWindowError as err:
            raise invalid(f"invalid sync window: {err}") from None


async def _write(ctx: ApiContext, method: str, proj: dict[str, Any]) -> dict[str, Any]:
    name = str(proj["metadata"]["name"])
    path = project_path(ctx.namespace, name if method == "PUT" else "")
    try:
        written: dict[str, Any] = await ctx.kube.request(method, path, None, proj)
    except KubeError as err:
        raise api_error(err) from None
    return written


@router.post("/api/v1/projects")
async def create_project(request: Request, ctx: Ctx, principal: Caller) -> Response:
    data = await json_object(request, ctx.max_body, known={"project", "upsert"})
    proj = _body_project(data.get("project"), ctx)
    upsert = field_bool(data, "upsert")
    name = str(proj["metadata"]["name"])
    require(ctx.authz, principal, RESOURCE, "create", name)
    proj["metadata"].pop("resourceVersion", None)
    try:
        created: dict[str, Any] = await ctx.kube.request(
            "POST", project_path(ctx.namespace), None, proj
        )
    except Conflict:
        existing = await _fresh(ctx, name)
        if not upsert:
            if existing.get("spec") != proj.get("spec"):
                raise invalid(
                    "existing project spec is different; use upsert flag to force update"
                ) from None
            return JSON(existing)
        require(ctx.authz, principal, RESOURCE, "update", name)
        existing["spec"] = proj["spec"]
        created = await _write(ctx, "PUT", existing)
    except KubeError as err:
        raise api_error(err) from None
    await audit.record(
        ctx.kube, created, principal.username, audit.CREATED, "created project", kind="AppProject"
    )
    return JSON(created)


async def _fresh(ctx: ApiContext, name: str) -> dict[str, Any]:
    try:
        found: dict[str, Any] = await ctx.kube.get(project_path(ctx.namespace, name))
    except KubeError as err:
        raise api_error(err) from None
    return found


def _added(new: list[Any], old: list[Any]) -> list[Any]:
    return [item for item in new if item not in old]


@router.put("/api/v1/projects/{name}")
async def update_project(name: str, request: Request, ctx: Ctx, principal: Caller) -> Response:
    data = await json_object(request, ctx.max_body, known={"project"})
    proj = _body_project(data.get("project"), ctx)
    if proj["metadata"]["name"] != name:
        raise invalid("project.metadata.name does not match the path")
    require(ctx.authz, principal, RESOURCE, "update", name)
    old = await _fresh(ctx, name)
    new_spec, old_spec = proj["spec"], old.get("spec") or {}
    for dest in _added(new_spec.get("destinations") or [], old_spec.get("destinations") or []):
        require(
            ctx.authz, principal, "clusters", "update", str(dest.get("server") or dest.get("name"))
        )
    for repo in _added(new_spec.get("sourceRepos") or [], old_spec.get("sourceRepos") or []):
        require(ctx.authz, principal, "repositories", "update", str(repo))
    if not proj["metadata"].get("resourceVersion"):
        proj["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
    updated = await _write(ctx, "PUT", proj)
    await audit.record(
        ctx.kube, updated, principal.username, audit.UPDATED, "updated project", kind="AppProject"
    )
    return JSON(updated)


@router.delete("/api/v1/projects/{name}")
async def delete_project(name: str, ctx: Ctx, principal: Caller) -> Response:
    if name == DEFAULT_PROJECT:
        raise invalid(f"name '{name}' is reserved and cannot be deleted")
    require(ctx.authz, principal, RESOURCE, "delete", name)
    found = await _fresh(ctx, name)
    using = [a for a in ctx.mirror.apps() if project_of(a) == name]
    if using:
        raise invalid(f"project is referenced by {len(using)} applications")
    try:
        await ctx.kube.request("DELETE", project_path(ctx.namespace, name))
    except KubeError as err:
        raise api_error(err) from None
    await audit.record(
        ctx.kube, found, principal.username, audit.DELETED, "deleted project", kind="AppProject"
    )
    return JSON({})


__all__ = ["router"]
