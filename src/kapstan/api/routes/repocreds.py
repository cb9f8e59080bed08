"""Repository credential templates (Argo CD's ``RepoCredsService``): list, create, update,
delete. Templates are ``repo-creds`` Secrets; a repository without credentials of its own uses
the template with the longest matching URL prefix. RBAC is ``repositories, <action>, <url>``.
Answers carry the URL and the non-secret fields only.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api.body import json_object
from kapstan.api.common import JSON, Caller, Ctx
from kapstan.api.context import ApiContext
from kapstan.api.errors import invalid, not_found
from kapstan.api.routes.applications import api_error
from kapstan.api.routes.repositories import RESOURCE, records, write_record
from kapstan.api.security import Principal, require
from kapstan.kube.errors import KubeError, NotFound
from kapstan.services.repostore import InvalidRepository, RepoKind, find, record_from_body
from kapstan.services.typedsecrets import TypedSecrets

router = APIRouter()


@router.get("/api/v1/repocreds")
async def list_creds(ctx: Ctx, principal: Caller, url: str = "") -> Response:
    items = [
        t.public()
        for t in await records(ctx, RepoKind.CREDS)
        if (not url or t.url == url) and ctx.may(principal, RESOURCE, "get", t.url)
    ]
    return JSON({"metadata": {}, "items": items})


async def create_creds(
    request: Request, ctx: ApiContext, principal: Principal, upsert: bool
) -> Response:
    """``POST /api/v1/repocreds`` (also ``POST /api/v1/repositories?credsOnly=true``)."""
    try:
        record = record_from_body(await json_object(request, ctx.max_body), RepoKind.CREDS)
    except InvalidRepository as err:
        raise invalid(str(err)) from None
    require(ctx.authz, principal, RESOURCE, "create", record.url)
    existing = next((t for t in await records(ctx, RepoKind.CREDS) if t.url == record.url), None)
    if existing is not None and not existing.same_settings(record):
        if not upsert:
            raise invalid(
                "existing repository credentials spec is different; use upsert flag to force update"
            )
        require(ctx.authz, principal, RESOURCE, "update", record.url)
    if existing is None or not existing.same_settings(record):
        await write_record(ctx, record, existing)
    return JSON({"url": record.url})


@router.post("/api/v1/repocreds")
async def create(request: Request, ctx: Ctx, principal: Caller, upsert: bool = False) -> Response:
    return await create_creds(request, ctx, principal, upsert)


@router.put("/api/v1/repocreds/{url:path}")
async def update(url: str, request: Request, ctx: Ctx, principal: Caller) -> Response:
    try:
        record = record_from_body(await json_object(request, ctx.max_body), RepoKind.CREDS)
    except InvalidRepository as err:
        raise invalid(str(err)) from None
    if record.url != url:
        raise invalid("creds.url does not match the path")
    require(ctx.authz, principal, RESOURCE, "update", record.url)
    existing = find(await records(ctx, RepoKind.CREDS), url)
    if existing is None or existing.url != url:
        raise not_found(f"repository credentials '{url}' not found")
    await write_record(ctx, record, existing)
    return JSON({"url": record.url})


@router.delete("/api/v1/repocreds/{url:path}")
async def delete(url: str, ctx: Ctx, principal: Caller) -> Response:
    require(ctx.authz, principal, RESOURCE, "delete", url)
    existing = next((t for t in await records(ctx, RepoKind.CREDS) if t.url == url), None)
    if existing is None:
        raise not_found(f"repository credentials '{url}' not found")
    try:
        await TypedSecrets(ctx.kube, ctx.namespace, RepoKind.CREDS.value).delete(existing.secret)
    except NotFound:
        pass
    except KubeError as err:
        raise api_error(err) from None
    return JSON({})


__all__ = ["create_creds", "router"]
