"""One live resource of an app: get, patch, delete (``GET/POST/DELETE
/api/v1/applications/{name}/resource``), as Argo CD's ``GetResource``, ``PatchResource`` and
``DeleteResource``.

Contract: the resource is named by ``namespace``, ``resourceName``, ``version``, ``group``
and ``kind`` and must be in the app's resource tree (:mod:`kapstan.api.live`); RBAC is
``applications, get`` to read, and Argo CD 3's fine-grained ``update/<group>/<kind>/<ns>/<name>``
and ``delete/<group>/<kind>/<ns>/<name>`` to change. Answers carry the object as JSON text
(``{"manifest": "..."}``) with Secret values masked. The patch body is the patch document
as a JSON string (grpc-gateway's ``body: "patch"``); a bare JSON object or array is taken
as the patch too. ``patchType`` is the content type (``application/merge-patch+json`` ...)
or its short name (``merge``, ``json``, ``strategic``); merge is the default. Delete is
foreground unless ``orphan`` (orphan) or ``force`` (background, grace period 0). Changes
are recorded as Events on the Application (``<user> patched resource <group>/<kind>
'<name>'``, ``... deleted resource ...``).
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api import audit
from kapstan.api.body import read_limited
from kapstan.api.common import JSON, Caller, Ctx
from kapstan.api.errors import ApiError, Code, invalid
from kapstan.api.live import (
    ResourceRef,
    Scope,
    live_resource,
    lookup_app,
    resource_ref,
    shown,
)
from kapstan.api.routes.applications import api_error
from kapstan.engine.redact import is_secret
from kapstan.kube.errors import KubeError

router = APIRouter()
Ref = Annotated[ResourceRef, Depends(resource_ref)]
PATH = "/api/v1/applications/{name}/resource"
MERGE = "application/merge-patch+json"
PATCH_TYPES = {
    "merge": MERGE,
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}


def _content_type(patch_type: str) -> str:
    wanted = patch_type.strip() or MERGE
    found = PATCH_TYPES.get(wanted.lower(), wanted)
    if found not in PATCH_TYPES.values():
        raise invalid(f"patchType {patch_type!r}: use merge, json or strategic")
    return found


def _patch_text(raw: bytes) -> bytes:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid("the patch must be JSON") from None
    if isinstance(data, str):
        try:
            orjson.loads(data)
        except orjson.JSONDecodeError:
            raise invalid("the patch must be JSON") from None
        return data.encode()
    if isinstance(data, dict | list):
        return raw
    raise invalid("the patch must be a JSON document")


@router.get(PATH)
async def get_resource(
    name: str,
    ref: Ref,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
) -> Response:
    """``applicationApplicationResourceResponse``."""
    app = lookup_app(ctx, principal, "get", name, scope)
    live = await live_resource(ctx, app, ref)
    return JSON({"manifest": shown(ctx, live.obj)})


@router.post(PATH)
async def patch_resource(
    name: str,
    request: Request,
    ref: Ref,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
    patch_type: str = Query(default="", alias="patchType"),
) -> Response:
    app = lookup_app(ctx, principal, "update", name, scope, ref)
    content_type = _content_type(patch_type)
    patch = _patch_text(await read_limited(request, ctx.max_body))
    live = await live_resource(ctx, app, ref)
    assert live.cluster is not None
    try:
        patched = await live.cluster.kube.request("PATCH", live.path, None, patch, content_type)
    except KubeError as err:
        if is_secret(live.obj):  # the server's message may quote the Secret's data
            raise ApiError(
                Code.UNKNOWN, f"failed to patch Secret {ref.namespace}/{ref.name}"
            ) from None
        raise api_error(err) from None
    what = f"patched resource {ref.group}/{ref.kind} '{ref.name}'"
    await audit.record(ctx.kube, app, principal.username, audit.UPDATED, what)
    return JSON({"manifest": shown(ctx, patched)})


@router.delete(PATH)
async def delete_resource(
    name: str,
    ref: Ref,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
    force: bool = False,
    orphan: bool = False,
) -> Response:
    app = lookup_app(ctx, principal, "delete", name, scope, ref)
    live = await live_resource(ctx, app, ref)
    assert live.cluster is not None
    options: dict[str, object] = {"propagationPolicy": "Foreground"}
    if orphan:
        options = {"propagationPolicy": "Orphan"}
    elif force:
        options = {"propagationPolicy": "Background", "gracePeriodSeconds": 0}
    body = {"apiVersion": "v1", "kind": "DeleteOptions", **options}
    try:
        await live.cluster.kube.request("DELETE", live.path, None, body)
    except KubeError as err:
        raise api_error(err) from None
    what = f"deleted resource {ref.group}/{ref.kind} '{ref.name}'"
    await audit.record(ctx.kube, app, principal.username, audit.DELETED, what)
    return JSON({})


__all__ = ["router"]
