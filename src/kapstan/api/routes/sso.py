"""Single sign-on in the browser (Argo CD's ``/auth/*``, direct OIDC of argocd-cm
``oidc.config``):

- ``GET /auth/login?return_url=`` redirects (303) to the provider, with the pending login in
  the httpOnly, short-lived ``oauthstate`` cookie (:mod:`kapstan.services.auth.oidc.flow`);
  a ``return_url`` outside the server's ``url`` (or ``additionalUrls``) is refused, as Argo
  CD refuses it, so the login cannot be turned into an open redirect;
- ``GET /auth/callback`` checks the state, exchanges the code, validates the ID token (issuer
  keys, audience, times, nonce) and sets it as the ``argocd.token`` cookie (what Argo CD
  does; the API verifies it on every request; the provider's refresh token stays in the
  server, which renews the cookie when ``refreshTokenThreshold`` says so: see
  :meth:`~kapstan.services.auth.oidc.OidcService.verify_renewing`), then redirects to the
  return URL. A failure
  answers a small page saying what went wrong and linking back to the login page;
- ``GET /auth/logout?return_url=`` revokes the presented token (and forgets its session's
  refresh token), clears the cookie and
  redirects to the provider's logout (``logoutURL`` or its ``end_session_endpoint``).
Nothing here logs or shows a token or the client secret.
"""

from __future__ import annotations

import html
import logging
from urllib.parse import urlsplit

import yaml
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from kapstan.api.common import Ctx
from kapstan.api.context import ApiContext
from kapstan.api.errors import ApiError, Code
from kapstan.api.security import TOKEN_COOKIE, session_cookie, token_of
from kapstan.services.auth import AuthError
from kapstan.services.auth.oidc import STATE_COOKIE, OidcService
from kapstan.services.auth.oidc.config import CALLBACK_PATH
from kapstan.services.auth.oidc.flow import STATE_SECONDS

router = APIRouter()
log = logging.getLogger(__name__)


def _oidc(ctx: ApiContext) -> OidcService:
    if ctx.auth is None:
        raise ApiError(Code.UNAVAILABLE, "SSO is not available on this server")
    return ctx.auth.oidc


def _allowed_bases(ctx: ApiContext) -> list[str]:
    cm = ctx.settings().cm
    bases = [cm.get("url", "")]
    try:
        extra = yaml.safe_load(cm.get("additionalUrls") or "[]")
    except yaml.YAMLError:
        extra = []
    if isinstance(extra, list):
        bases.extend(str(u) for u in extra)
    return [b.rstrip("/") for b in bases if b]


def _return_url(ctx: ApiContext, raw: str) -> str:
    """``raw`` when it is under the server's ``url`` (or ``additionalUrls``), ``<url>/applications``
    when empty; raises InvalidArgument otherwise."""
    bases = _allowed_bases(ctx)
    if not raw:
        return (bases[0] if bases else "") + "/applications"
    target = urlsplit(raw)
    for base in bases:
        allowed = urlsplit(base)
        same_origin = (target.scheme, target.netloc) == (allowed.scheme, allowed.netloc)
        if same_origin and (target.path + "/").startswith(allowed.path.rstrip("/") + "/"):
            return raw
    raise ApiError(Code.INVALID_ARGUMENT, "Invalid return_url: it is not under the server's url")


def _failure(message: str, status: int) -> Response:
    text = html.escape(message)
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Login failed</title>"
        "</head><body><main><h1>Login failed</h1>"
        f"<p role=alert>{text}</p><p><a href='../login'>Back to the login page</a></p>"
        "</main></body></html>"
    )
    response = HTMLResponse(page, status_code=status)
    response.delete_cookie(STATE_COOKIE, path=CALLBACK_PATH)
    return response


@router.get("/auth/login")
async def login(request: Request, ctx: Ctx) -> Response:
    oidc = _oidc(ctx)
    target = _return_url(ctx, request.query_params.get("return_url", ""))
    try:
        url, state = await oidc.login(target)
    except AuthError as err:
        log.warning("SSO login could not start: %s", err)
        return _failure(f"SSO is unavailable: {err}", 503)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=STATE_SECONDS,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back, not on sub-requests
        secure=request.url.scheme == "https",
        path=CALLBACK_PATH,
    )
    return response


@router.get("/auth/callback")
async def callback(request: Request, ctx: Ctx) -> Response:
    oidc = _oidc(ctx)
    query = request.query_params
    error = query.get("error", "")
    if error:
        description = query.get("error_description", "")
        detail = f"{error}" + (f": {description}" if description else "")
        return _failure(f"The identity provider refused the login ({detail}).", 401)
    try:
        token, target, seconds = await oidc.callback(
            query.get("code", ""), query.get("state", ""), request.cookies.get(STATE_COOKIE, "")
        )
    except AuthError as err:
        log.warning("SSO login failed: %s", err)
        return _failure(str(err), 401)
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(STATE_COOKIE, path=CALLBACK_PATH)
    # max_age 0 would mean "a browser session" to session_cookie; a token with no time left
    # was refused above, so at least one second remains.
    cookie = session_cookie(token, max(seconds, 1), secure=request.url.scheme == "https")
    response.headers.append("set-cookie", cookie)
    return response


@router.get("/auth/logout")
async def logout(request: Request, ctx: Ctx) -> Response:
    oidc = _oidc(ctx)
    token = token_of(request)
    if token:
        await ctx.sessions.logout(token)
    bases = _allowed_bases(ctx)
    back = (bases[0] if bases else "") + "/login"
    raw = request.query_params.get("return_url", "")
    if raw:
        back = _return_url(ctx, raw)
    target = await oidc.logout_url(token, back) if oidc.config() else back
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


__all__ = ["router"]
