"""Deep links: ``GET /api/v1/applications/{name}/links`` and
``GET /api/v1/applications/{name}/resource/links``, as Argo CD's ``ListLinks`` and
``ListResourceLinks``.

Contract: RBAC ``applications, get``. Links come from argocd-cm ``application.links`` /
``resource.links`` (:mod:`kapstan.engine.deeplinks`: conditions and templates are a safe
subset, never code). App links see ``application`` (alias ``app``), ``cluster`` (server,
name, namespaces, project, labels, annotations; never credentials) and ``managedByURL``
(the app's ``argocd.argoproj.io/managed-by-url`` annotation, else argocd-cm ``url``);
resource links also see ``resource`` (the live object, Secret values masked; or the
Application itself) and ``project`` (the AppProject without its status). The answer is
``{"items": [{title, url, description, iconClass}]}``; a link whose condition or template
fails is left out and logged, an unreadable links setting fails the request (code 2).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from kapstan.api.common import JSON, Caller, Ctx, project_of
from kapstan.api.context import ApiContext
from kapstan.api.errors import ApiError, Code
from kapstan.api.live import (
    AppScope,
    ResourceRef,
    Scope,
    cluster_of,
    lookup_app,
    masked,
    resource_ref,
    target_object,
)
from kapstan.engine.deeplinks import (
    APPLICATION_LINKS,
    RESOURCE_LINKS,
    DeepLinkError,
    evaluate_links,
    parse_links,
)
from kapstan.model.vocabulary import API_VERSION, MANAGED_BY_URL

log = logging.getLogger(__name__)
router = APIRouter()
Ref = Annotated[ResourceRef, Depends(resource_ref)]
MANAGED_BY_KEY = "managedByURL"


def _links(ctx: ApiContext, key: str) -> list[Any]:
    try:
        return list(parse_links(ctx.settings().cm.get(key), key))
    except DeepLinkError as err:
        raise ApiError(Code.UNKNOWN, str(err)) from None


async def _cluster_info(ctx: ApiContext, app: Mapping[str, Any]) -> Mapping[str, Any] | None:
    try:
        return (await cluster_of(ctx, app)).info
    except ApiError:
        return None  # Argo CD offers no cluster when the destination is invalid


def _app_object(app: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "Application", **copy.deepcopy(dict(app))}


def _answer(ctx: ApiContext, key: str, objects: dict[str, Any], name: str) -> Response:
    items, errors = evaluate_links(_links(ctx, key), objects, name)
    if errors:
        log.warning("deep links of %s: %s", name, "; ".join(errors))
    return JSON({"items": items})


@router.get("/api/v1/applications/{name}/links")
async def app_links(
    name: str,
    ctx: Ctx,
    principal: Caller,
    namespace: str = "",
    project: str = "",
) -> Response:
    """``applicationLinksResponse`` (``namespace`` is the app's namespace here)."""
    app = lookup_app(ctx, principal, "get", name, AppScope(project, namespace))
    objects: dict[str, Any] = {"application": _app_object(app)}
    objects["app"] = objects["application"]
    cluster = await _cluster_info(ctx, app)
    if cluster is not None:
        objects["cluster"] = dict(cluster)
    annotations = (app.get("metadata") or {}).get("annotations") or {}
    managed_by = annotations.get(MANAGED_BY_URL) or ctx.settings().cm.get("url")
    if managed_by:
        objects[MANAGED_BY_KEY] = managed_by
    return _answer(ctx, APPLICATION_LINKS, objects, name)


@router.get("/api/v1/applications/{name}/resource/links")
async def resource_links(
    name: str,
    ref: Ref,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
) -> Response:
    """``applicationLinksResponse`` for one resource of the app."""
    app = lookup_app(ctx, principal, "get", name, scope)
    live = await target_object(ctx, app, ref)
    objects: dict[str, Any] = {"resource": masked(ctx, live.obj)}
    objects["application"] = objects["app"] = _app_object(app)
    cluster = live.cluster.info if live.cluster is not None else await _cluster_info(ctx, app)
    if cluster is not None:
        objects["cluster"] = dict(cluster)
    raw_project = ctx.mirror.project(project_of(app))
    if raw_project is not None:
        objects["project"] = {k: v for k, v in raw_project.items() if k != "status"}
    resource_name = str((live.obj.get("metadata") or {}).get("name") or "")
    return _answer(ctx, RESOURCE_LINKS, objects, resource_name)


__all__ = ["router"]
