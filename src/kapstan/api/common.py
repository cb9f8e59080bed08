"""Shared by the routes: JSON responses, the request context, the caller, and Argo CD's
application lookup with its RBAC rules (``getAppEnforceRBAC``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import orjson
from fastapi import Depends
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api.context import ApiContext
from kapstan.api.errors import ApiError, Code, not_found
from kapstan.api.security import Principal, principal_of


class JSON(Response):
    """A JSON response rendered by orjson (bytes out, fast for big lists)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


def caller(request: Request) -> Principal:
    """The verified caller (raises Unauthenticated); cached on the request."""
    found = getattr(request.state, "principal", None)
    if found is None:
        found = principal_of(request, context(request).authn)
        request.state.principal = found
    principal: Principal = found
    return principal


# Route parameters: ``ctx: Ctx`` and ``principal: Caller``.
Ctx = Annotated[ApiContext, Depends(context)]
Caller = Annotated[Principal, Depends(caller)]


PERMISSION_DENIED = "permission denied"
RESOURCE_APPLICATIONS = "applications"


def app_not_found(name: str) -> ApiError:
    return not_found(f'applications.argoproj.io "{name}" not found')


def project_of(app: Mapping[str, Any]) -> str:
    return str((app.get("spec") or {}).get("project") or "default")


def find_app(
    ctx: ApiContext, principal: Principal, action: str, name: str, project: str = ""
) -> dict[str, Any]:
    """The Application ``name`` if ``principal`` may ``action`` it, answering as Argo CD does
    so that a caller cannot tell a missing app from a forbidden one: without ``project`` both
    are PermissionDenied; with a ``project`` the caller may use, a missing app, or one in
    another project, is NotFound."""
    if project:
        given = ctx.app_rbac_name(
            {"metadata": {"name": name, "namespace": ctx.namespace}, "spec": {"project": project}}
        )
        if not ctx.may(principal, RESOURCE_APPLICATIONS, action, given):
            raise ApiError(Code.PERMISSION_DENIED, PERMISSION_DENIED)
    app = ctx.mirror.app(name)
    if app is None:
        if project:
            raise app_not_found(name)
        raise ApiError(Code.PERMISSION_DENIED, PERMISSION_DENIED)
    if not ctx.may(principal, RESOURCE_APPLICATIONS, action, ctx.app_rbac_name(app)):
        if project:
            raise app_not_found(name)
        raise ApiError(Code.PERMISSION_DENIED, PERMISSION_DENIED)
    if project and project_of(app) != project:
        raise app_not_found(name)
    return app


__all__ = [
    "JSON",
    "RESOURCE_APPLICATIONS",
    "Caller",
    "Ctx",
    "app_not_found",
    "caller",
    "context",
    "find_app",
    "project_of",
]
