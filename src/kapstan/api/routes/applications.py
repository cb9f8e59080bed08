"""Applications: list, get, create, update, spec, patch, delete (Argo CD's paths and shapes).

Reads come from the mirror (RBAC-filtered per item: ``applications, get, <project>/<name>``);
writes go to the API server. ``GET ...?refresh=normal|hard`` asks the controller for a refresh
and answers once it is done (or after ``REFRESH_WAIT`` seconds with the app as it is); one
already in flight is waited out and asked for again, so a commit pushed meanwhile is seen.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api import audit
from kapstan.api.body import field_str, json_object
from kapstan.api.common import (
    JSON,
    RESOURCE_APPLICATIONS,
    Caller,
    Ctx,
    find_app,
    project_of,
)
from kapstan.api.context import ApiContext
from kapstan.api.errors import ApiError, Code, invalid
from kapstan.api.listing import list_body
from kapstan.api.security import Principal, require
from kapstan.api.selectors import parse_selector
from kapstan.api.validation import validate_app
from kapstan.engine.actions.patches import merge_patch
from kapstan.engine.jsonpatch import JsonPointerError
from kapstan.engine.jsonpatch import apply as json_patch
from kapstan.kube.errors import Conflict, Invalid, KubeError, NotFound
from kapstan.model.annotations import annotations_of
from kapstan.model.application import RefreshType
from kapstan.model.vocabulary import (
    API_VERSION,
    REFRESH,
    RESOURCES_FINALIZER,
    RESOURCES_FINALIZER_BACKGROUND,
    application_path,
)
from kapstan.source.urls import normalize_url

router = APIRouter()
REFRESH_WAIT = 30.0
CASCADE = (RESOURCES_FINALIZER, RESOURCES_FINALIZER_BACKGROUND)


def app_filter(
    name: str = "",
    projects: list[str] | None = None,
    selector: str = "",
    repo: str = "",
    names: list[str] | None = None,
) -> Callable[[Mapping[str, Any]], bool]:
    """The list and stream filters Argo CD's ``ApplicationQuery`` offers; ``names`` (the UI's
    favourites) keeps apps named ``<name>`` or ``<namespace>/<name>``, none given: all."""
    wanted = set(projects or ())
    named = {n for v in names or () for n in v.split(",") if n}
    labels_match = parse_selector(selector) if selector else None
    repo_key = normalize_url(repo) if repo else ""

    def keep(app: Mapping[str, Any]) -> bool:
        meta = app.get("metadata") or {}
        if name and meta.get("name") != name:
            return False
        if named and not (
            {meta.get("name"), f"{meta.get('namespace')}/{meta.get('name')}"} & named
        ):
            return False
        if wanted and project_of(app) not in wanted:
            return False
        if labels_match is not None and not labels_match(meta.get("labels") or {}):
            return False
        if repo_key:
            spec = app.get("spec") or {}
            sources = spec.get("sources") or [spec.get("source") or {}]
            if not any(normalize_url(str(s.get("repoURL") or "")) == repo_key for s in sources):
                return False
        return True

    return keep


def visible(ctx: ApiContext, principal: Principal, app: Mapping[str, Any]) -> bool:
    return ctx.may(principal, RESOURCE_APPLICATIONS, "get", ctx.app_rbac_name(app))


@router.get("/api/v1/applications")
def list_apps(
    ctx: Ctx,
    principal: Caller,
    name: str = "",
    projects: list[str] = Query(default=[]),  # noqa: B008 - FastAPI's query declaration
    selector: str = "",
    repo: str = "",
    fields: str | None = None,
    names: list[str] = Query(default=[]),  # noqa: B008 - FastAPI's query declaration
) -> Response:
    projects = [p for v in projects for p in v.split(",") if p]
    keep = app_filter(name, projects, selector, repo, names)
    items = [a for a in ctx.mirror.apps() if keep(a) and visible(ctx, principal, a)]
    meta = {"resourceVersion": ctx.mirror.resource_version}
    body = list_body(meta, items, fields, ctx.rendered)
    return Response(body, media_type="application/json")


@router.get("/api/v1/applications/{name}")
async def get_app(
    name: str,
    ctx: Ctx,
    principal: Caller,
    refresh: str = "",
    project_name: str = Query(default="", alias="project"),
) -> Response:
    app = find_app(ctx, principal, "get", name, project_name)
    if refresh:
        level = RefreshType.HARD if refresh == RefreshType.HARD else RefreshType.NORMAL
        app = await _refreshed(ctx, name, level)
    return JSON(app)


async def _refreshed(ctx: ApiContext, name: str, level: RefreshType) -> dict[str, Any]:
    """Ask for a refresh and wait for the controller to finish it (it drops the annotation).

    A refresh already requested (the annotation is there) may have read Git before the
    commit this caller wants seen; setting the same annotation again would be a no-op the
    controller never notices, so that one is waited out first and a new one asked for.
    Both waits share ``REFRESH_WAIT``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REFRESH_WAIT
    app = await _until_refreshed(ctx, name, deadline)
    if _refresh_requested(app):
        return app or {}
    await ctx.applications.request_refresh(name, level)
    return await _until_refreshed(ctx, name, deadline, past=_version(app)) or {}


async def _until_refreshed(
    ctx: ApiContext, name: str, deadline: float, past: str | None = None
) -> dict[str, Any] | None:
    """The mirrored app once it carries no refresh annotation (and, with ``past``, is no
    longer at that resourceVersion: the mirror has seen the request), or as it is at
    ``deadline``."""
    loop = asyncio.get_running_loop()
    app = ctx.mirror.app(name)
    while loop.time() < deadline:
        if app is None or (not _refresh_requested(app) and _version(app) != past):
            break
        await asyncio.sleep(0.1)
        app = ctx.mirror.app(name)
    return app


def _version(app: Mapping[str, Any] | None) -> str:
    return str(((app or {}).get("metadata") or {}).get("resourceVersion") or "")


def _refresh_requested(app: Mapping[str, Any] | None) -> bool:
    return REFRESH in annotations_of(app)


def _body_app(data: Mapping[str, Any], ctx: ApiContext) -> dict[str, Any]:
    app = copy.deepcopy(dict(data))
    meta = app.setdefault("metadata", {})
    if not isinstance(meta, dict) or not meta.get("name"):
        raise invalid("metadata.name is required")
    if meta.get("namespace") not in (None, "", ctx.namespace):
        raise invalid(
            f"application namespace {meta['namespace']} is not permitted; "
            f"applications live in {ctx.namespace}"
        )
    meta["namespace"] = ctx.namespace
    app["apiVersion"], app["kind"] = API_VERSION, "Application"
    app.pop("status", None)
    app.pop("operation", None)
    for field in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        meta.pop(field, None)
    return app


def api_error(err: KubeError) -> ApiError:
    """A Kubernetes error as Argo CD's API answers it."""
    if isinstance(err, NotFound):
        return ApiError(Code.NOT_FOUND, str(err))
    if isinstance(err, Conflict):
        return ApiError(Code.ALREADY_EXISTS, str(err))
    if isinstance(err, Invalid):
        return invalid(str(err))
    return ApiError(Code.INTERNAL, str(err))


async def _kube(call: Any) -> Any:
    try:
        return await call
    except KubeError as err:
        raise api_error(err) from None


@router.post("/api/v1/applications")
async def create_app(
    request: Request,
    ctx: Ctx,
    principal: Caller,
    upsert: bool = False,
    validate: bool = True,
) -> Response:
    app = _body_app(await json_object(request, ctx.max_body), ctx)
    name = app["metadata"]["name"]
    require(ctx.authz, principal, RESOURCE_APPLICATIONS, "create", ctx.app_rbac_name(app))
    if validate:
        validate_app(ctx, app)
    existing = ctx.mirror.app(name)
    if existing is None:
        try:
            created = await ctx.kube.request("POST", application_path(ctx.namespace), None, app)
        except Conflict:
            existing = await _kube(ctx.kube.get(application_path(ctx.namespace, name)))
        else:
            await audit.record(
                ctx.kube, created, principal.username, audit.CREATED, "created application"
            )
            return JSON(created)
    assert existing is not None
    if (existing.get("spec") or {}) == (app.get("spec") or {}):
        return JSON(existing)
    if not upsert:
        raise invalid("existing application spec is different, use upsert flag to force update")
    require(ctx.authz, principal, RESOURCE_APPLICATIONS, "update", ctx.app_rbac_name(existing))
    return JSON(await _replace(ctx, principal, existing, app))


async def _replace(
    ctx: ApiContext, principal: Principal, existing: Mapping[str, Any], app: Mapping[str, Any]
) -> dict[str, Any]:
    """Write ``app``'s spec, labels, annotations and finalizers over ``existing``."""
    path = application_path(ctx.namespace, str(existing["metadata"]["name"]))
    for _ in range(3):
        current = copy.deepcopy(dict(existing))
        current["spec"] = app.get("spec")
        meta, new_meta = current.setdefault("metadata", {}), app.get("metadata") or {}
        for key in ("labels", "annotations", "finalizers"):
            if key in new_meta:
                meta[key] = new_meta[key]
        try:
            updated: dict[str, Any] = await ctx.kube.request("PUT", path, None, current)
        except Conflict:  # someone wrote it meanwhile: apply ours to the newest copy
            existing = await _kube(ctx.kube.get(path))
            continue
        except KubeError as err:
            raise api_error(err) from None
        await audit.record(
            ctx.kube, updated, principal.username, audit.UPDATED, "updated application spec"
        )
        return updated
    raise ApiError(Code.ABORTED, "the application changed meanwhile; try again")


@router.put("/api/v1/applications/{name}")
async def update_app(
    name: str,
    request: Request,
    ctx: Ctx,
    principal: Caller,
    validate: bool = True,
) -> Response:
    app = _body_app(await json_object(request, ctx.max_body), ctx)
    if app["metadata"]["name"] != name:
        raise invalid("metadata.name does not match the path")
    existing = find_app(ctx, principal, "update", name)
    require(ctx.authz, principal, RESOURCE_APPLICATIONS, "update", ctx.app_rbac_name(app))
    if validate:
        validate_app(ctx, app)
    return JSON(await _replace(ctx, principal, existing, app))


@router.put("/api/v1/applications/{name}/spec")
async def update_spec(
    name: str,
    request: Request,
    ctx: Ctx,
    principal: Caller,
    validate: bool = True,
) -> Response:
    spec = await json_object(request, ctx.max_body)
    existing = find_app(ctx, principal, "update", name)
    app = {**copy.deepcopy(existing), "spec": spec}
    require(ctx.authz, principal, RESOURCE_APPLICATIONS, "update", ctx.app_rbac_name(app))
    if validate:
        validate_app(ctx, app)
    updated = await _replace(ctx, principal, existing, app)
    return JSON(updated.get("spec") or {})


@router.patch("/api/v1/applications/{name}")
async def patch_app(
    name: str,
    request: Request,
    ctx: Ctx,
    principal: Caller,
) -> Response:
    data = await json_object(
        request, ctx.max_body, known={"name", "patch", "patchType", "appNamespace", "project"}
    )
    existing = find_app(ctx, principal, "update", name, field_str(data, "project"))
    try:
        patch = orjson.loads(field_str(data, "patch"))
    except orjson.JSONDecodeError:
        raise invalid("patch must be a JSON document") from None
    kind = field_str(data, "patchType", "json")
    target = copy.deepcopy(existing)
    try:
        if kind == "json":
            target = json_patch(target, patch)
        elif kind == "merge":
            target = merge_patch(target, patch)
        else:
            raise invalid(f"patchType must be json or merge, not {kind!r}")
    except (JsonPointerError, IndexError, KeyError, TypeError) as err:
        raise invalid(f"the patch does not apply: {err}") from None
    if not isinstance(target, dict):
        raise invalid("the patch must leave an object")
    app = _body_app(target, ctx)
    require(ctx.authz, principal, RESOURCE_APPLICATIONS, "update", ctx.app_rbac_name(app))
    validate_app(ctx, app)
    return JSON(await _replace(ctx, principal, existing, app))


@router.delete("/api/v1/applications/{name}")
async def delete_app(
    name: str,
    ctx: Ctx,
    principal: Caller,
    cascade: bool = True,
    propagation_policy: str = Query(default="", alias="propagationPolicy"),
) -> Response:
    app = find_app(ctx, principal, "delete", name)
    policy = propagation_policy.lower() or "foreground"
    if policy not in ("foreground", "background", "orphan"):
        raise invalid("propagationPolicy must be foreground, background or orphan")
    finalizers = [
        f for f in (app.get("metadata") or {}).get("finalizers") or [] if f not in CASCADE
    ]
    if cascade and policy != "orphan":
        finalizers.append(
            RESOURCES_FINALIZER if policy == "foreground" else RESOURCES_FINALIZER_BACKGROUND
        )
    path = application_path(ctx.namespace, name)
    if finalizers != list((app.get("metadata") or {}).get("finalizers") or []):
        await _kube(ctx.applications.merge(name, {"metadata": {"finalizers": finalizers or None}}))
    await _kube(ctx.kube.request("DELETE", path))
    await audit.record(ctx.kube, app, principal.username, audit.DELETED, "deleted application")
    return JSON({})


__all__ = ["api_error", "app_filter", "router", "visible"]
