"""Accounts: ``/api/v1/account`` (list, get, ``can-i``, ``password``, API key create/delete)
and project role tokens (``/api/v1/projects/{project}/roles/{role}/token``).

Rules as Argo CD's account and project servers: listing needs ``accounts, get, *``, reading one
``accounts, get, <name>``; an account may manage its own password and tokens, anyone else's
needs ``accounts, update, <name>`` (and the caller's own current password for a password
change); project tokens need ``projects, update, <project>``. ``can-i`` answers
``{"value": "yes"|"no"}`` for the caller, with the same enforcer every endpoint uses.
Passwords and token values are never logged; a new token is shown once, in the answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api.auth import api_error_of
from kapstan.api.body import field_str, json_object
from kapstan.api.common import JSON, Caller, Ctx
from kapstan.api.context import ApiContext
from kapstan.api.errors import ApiError, Code, invalid
from kapstan.api.security import Principal, require
from kapstan.services.auth import Account, AuthError
from kapstan.services.auth import Authenticator as AuthService

router = APIRouter()
RESOURCE_ACCOUNTS, RESOURCE_PROJECTS = "accounts", "projects"


def _service(ctx: ApiContext) -> AuthService:
    if ctx.auth is None:
        raise ApiError(Code.UNIMPLEMENTED, "local accounts are not configured on this server")
    return ctx.auth


def _account_json(account: Account) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": account.name,
        "enabled": account.usable,
        "capabilities": sorted(str(c) for c in account.capabilities),
    }
    if account.tokens:
        body["tokens"] = [
            {
                "id": t.id,
                "issuedAt": t.issued_at,
                **({"expiresAt": t.expires_at} if t.expires_at else {}),
            }
            for t in account.tokens
        ]
    return body


def _may_manage(ctx: ApiContext, principal: Principal, name: str) -> None:
    if principal.username != name:
        require(ctx.authz, principal, RESOURCE_ACCOUNTS, "update", name)


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if isinstance(value, str) and value.lstrip("-").isdigit():  # grpc-gateway sends int64 as text
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid(f"{key} must be an integer")
    return value


@router.get("/api/v1/account")
def list_accounts(ctx: Ctx, principal: Caller) -> Response:
    require(ctx.authz, principal, RESOURCE_ACCOUNTS, "get", "*")
    accounts = _service(ctx).config().accounts
    return JSON({"items": [_account_json(a) for _, a in sorted(accounts.by_name.items())]})


@router.get("/api/v1/account/can-i/{resource}/{action}/{subresource:path}")
def can_i(resource: str, action: str, subresource: str, ctx: Ctx, principal: Caller) -> Response:
    return JSON({"value": "yes" if ctx.may(principal, resource, action, subresource) else "no"})


@router.put("/api/v1/account/password")
async def update_password(request: Request, ctx: Ctx, principal: Caller) -> Response:
    data = await json_object(
        request, ctx.max_body, known={"currentPassword", "newPassword", "name"}
    )
    target = field_str(data, "name") or principal.username
    current, new = field_str(data, "currentPassword"), field_str(data, "newPassword")
    if not new:
        raise invalid("newPassword is required")
    _may_manage(ctx, principal, target)
    try:
        await _service(ctx).change_password(principal.username, current, new, target)
    except AuthError as err:
        raise api_error_of(err) from None
    return JSON({})


@router.get("/api/v1/account/{name}")
def get_account(name: str, ctx: Ctx, principal: Caller) -> Response:
    require(ctx.authz, principal, RESOURCE_ACCOUNTS, "get", name)
    account = _service(ctx).config().accounts.get(name)
    if account is None:
        raise ApiError(Code.NOT_FOUND, f"account '{name}' does not exist")
    return JSON(_account_json(account))


@router.post("/api/v1/account/{name}/token")
async def create_token(name: str, request: Request, ctx: Ctx, principal: Caller) -> Response:
    data = await json_object(request, ctx.max_body, known={"name", "expiresIn", "id"})
    _may_manage(ctx, principal, name)
    try:
        token = await _service(ctx).create_api_token(
            name, _int(data, "expiresIn"), field_str(data, "id")
        )
    except AuthError as err:
        raise api_error_of(err) from None
    return JSON({"token": token})


@router.delete("/api/v1/account/{name}/token/{token_id}")
async def delete_token(name: str, token_id: str, ctx: Ctx, principal: Caller) -> Response:
    _may_manage(ctx, principal, name)
    try:
        await _service(ctx).delete_api_token(name, token_id)
    except AuthError as err:
        raise api_error_of(err) from None
    return JSON({})


@router.post("/api/v1/projects/{project}/roles/{role}/token")
async def create_project_token(
    project: str, role: str, request: Request, ctx: Ctx, principal: Caller
) -> Response:
    data = await json_object(
        request, ctx.max_body, known={"project", "role", "description", "expiresIn", "id"}
    )
    require(ctx.authz, principal, RESOURCE_PROJECTS, "update", project)
    try:
        token = await _service(ctx).create_project_token(
            project, role, _int(data, "expiresIn"), field_str(data, "id")
        )
    except AuthError as err:
        raise api_error_of(err) from None
    return JSON({"token": token})


@router.delete("/api/v1/projects/{project}/roles/{role}/token/{iat}")
async def delete_project_token(
    project: str, role: str, iat: str, ctx: Ctx, principal: Caller, id: str = ""
) -> Response:
    require(ctx.authz, principal, RESOURCE_PROJECTS, "update", project)
    if not iat.lstrip("-").isdigit():
        raise invalid("iat must be an integer")
    try:
        await _service(ctx).delete_project_token(project, role, id, int(iat))
    except AuthError as err:
        raise api_error_of(err) from None
    return JSON({})


__all__ = ["router"]
