"""Sessions: ``POST /api/v1/session`` (local login: the token in the body and in the
httpOnly ``argocd.token`` cookie the UI relies on), ``DELETE /api/v1/session`` (logout: the
presented token is revoked until it would expire, and the cookie is cleared) and ``GET
/api/v1/session/userinfo`` (``{}`` before login, as Argo CD)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api.body import field_str, json_object
from kapstan.api.common import JSON, Ctx
from kapstan.api.errors import ApiError, invalid
from kapstan.api.security import TOKEN_COOKIE, principal_of, session_cookie, token_of

router = APIRouter()


@router.post("/api/v1/session")
async def create(request: Request, ctx: Ctx) -> Response:
    data = await json_object(request, ctx.max_body, known={"username", "password", "token"})
    username, password = field_str(data, "username"), field_str(data, "password")
    if not username or not password:
        raise invalid("username and password are required")
    token = await ctx.sessions.login(username, password)
    response = JSON({"token": token})
    cookie = session_cookie(
        token, int(ctx.sessions.duration()), secure=request.url.scheme == "https"
    )
    response.headers.append("set-cookie", cookie)
    return response


@router.delete("/api/v1/session")
async def delete(request: Request, ctx: Ctx) -> Response:
    token = token_of(request)
    if token:
        await ctx.sessions.logout(token)
    response = JSON({})
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


@router.get("/api/v1/session/userinfo")
def userinfo(request: Request, ctx: Ctx) -> Response:
    try:
        principal = principal_of(request, ctx.authn)
    except ApiError:
        return JSON({})
    claims = getattr(getattr(principal, "token", None), "claims", None) or {}
    issuer = claims.get("iss") if isinstance(claims.get("iss"), str) else "argocd"
    username = principal.username
    email = claims.get("email")
    if issuer != "argocd" and isinstance(email, str) and email:
        username = email  # Argo CD's Username(): an SSO user is shown by email (RBAC uses sub)
    body: dict[str, Any] = {"loggedIn": True, "username": username, "iss": issuer}
    if principal.groups:
        body["groups"] = list(principal.groups)
    return JSON(body)


__all__ = ["router"]
