"""The ASGI application of ``kapstan server``: every route, Argo CD's error shapes.

Contract of :func:`create_app`: routes come from :mod:`kapstan.api.routes` (one module per
resource); every error leaves as grpc-gateway's ``{"error", "code", "message"}`` with the HTTP
status of its gRPC code — :class:`~kapstan.api.errors.ApiError` as raised, bad query
parameters as InvalidArgument (400), unknown paths as NotFound (404), anything unexpected as
Unavailable (503) when the snapshot store cannot answer, and anything unexpected as
Internal (500) with a generic message (the details go to the log, never to the client). The
OpenAPI document is served at ``/swagger.json``, as Argo CD does. With ``ctx.ui`` (a UI build,
``--staticassets``) the UI's files answer the paths that are not the API's
(:mod:`kapstan.api.static`). Every answer carries a ``Server-Timing`` header and, when a
session was renewed, its new cookie (:mod:`kapstan.api.middleware`).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kapstan.api.context import ApiContext
from kapstan.api.errors import HTTP_STATUS, ApiError, Code, api_error_handler
from kapstan.api.middleware import AddHeaders, renewed_session, server_timing
from kapstan.api.routes import ROUTERS
from kapstan.api.static import StaticAssetsMiddleware
from kapstan.services.snapshots import SnapshotStoreError

log = logging.getLogger(__name__)


def _error(code: Code, message: str) -> Response:
    return JSONResponse(
        {"error": message, "code": int(code), "message": message},
        status_code=HTTP_STATUS[code],
    )


async def _validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        problems.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    return _error(Code.INVALID_ARGUMENT, "; ".join(problems) or "invalid request")


async def _http(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _error(Code.NOT_FOUND, "Not Found")
    if exc.status_code == 405:
        return _error(Code.UNIMPLEMENTED, "Method Not Allowed")
    return _error(Code.UNKNOWN, str(exc.detail))


async def _store(_request: Request, exc: Exception) -> Response:
    return _error(Code.UNAVAILABLE, str(exc))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return _error(Code.INTERNAL, "internal error")


def create_app(ctx: ApiContext) -> FastAPI:
    """The API application over ``ctx`` (see the module contract)."""
    app = FastAPI(
        title="Kapstan API (Argo CD compatible)",
        version=ctx.version.get("Version", ""),
        openapi_url="/swagger.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(SnapshotStoreError, _store)
    app.add_exception_handler(Exception, _unexpected)
    for router in ROUTERS:
        app.include_router(router)
    if ctx.ui is not None:
        app.add_middleware(StaticAssetsMiddleware, assets=ctx.ui)
    app.add_middleware(AddHeaders, sources=(renewed_session, server_timing))
    return app


__all__ = ["create_app"]
