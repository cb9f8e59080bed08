"""``/api/dex/*``: the bundled Dex, reached through the API's port (Argo CD's dex proxy).

Contract: every method on ``/api/dex`` and below is forwarded to ``ctx.dex_server``
(``kapstan server --dex-server``, Dex's own address: ``kapstan dex`` serves its issuer
``<url>/api/dex`` there, so the path is passed on unchanged) with the query, the body and the
end-to-end headers, plus ``X-Forwarded-Proto``/``-Host``/``-For``; Dex's answer comes back as
it is (redirects are not followed: the browser follows them). Limits: a request body over
:data:`MAX_REQUEST` bytes is refused (413), Dex's answer over :data:`MAX_RESPONSE` bytes is
cut off as a 502, and Dex has :data:`TIMEOUT` seconds. When Dex is off (``--dex-server ""``)
the answer is 503 saying so; when it cannot be reached it is 502 naming the address and what
to run. Bodies are never logged (they carry passwords and codes).
"""

from __future__ import annotations

import logging

import httpx2
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from kapstan.api.common import Ctx

router = APIRouter()
log = logging.getLogger(__name__)

PREFIX = "/api/dex"
MAX_REQUEST = 1024 * 1024
MAX_RESPONSE = 8 * 1024 * 1024
TIMEOUT = 30.0
# Hop-by-hop headers (RFC 9110 7.6.1) and those the proxy sets itself.
_DROP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


def _text(message: str, status: int) -> Response:
    return PlainTextResponse(message + "\n", status_code=status)


async def _body(request: Request) -> bytes | None:
    """The request's body, or ``None`` when it exceeds :data:`MAX_REQUEST`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_REQUEST:
            return None
    return bytes(body)


_METHODS = ["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"]


# Not in the OpenAPI document: these are Dex's paths, not Argo CD's API.
@router.api_route(PREFIX, methods=_METHODS, include_in_schema=False)
@router.api_route(PREFIX + "/{rest:path}", methods=_METHODS, include_in_schema=False)
async def dex_proxy(request: Request, ctx: Ctx) -> Response:
    upstream = ctx.dex_server.rstrip("/")
    if not upstream:
        return _text(
            "Dex is not enabled on this server (kapstan server --dex-server is empty)", 503
        )
    body = await _body(request)
    if body is None:
        return _text(f"request body larger than {MAX_REQUEST} bytes", 413)
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP}
    client_host = request.client.host if request.client else ""
    headers["x-forwarded-proto"] = request.url.scheme
    headers["x-forwarded-host"] = request.headers.get("host", "")
    if client_host:
        headers["x-forwarded-for"] = client_host
    url = upstream + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    try:
        async with (
            httpx2.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client,
            client.stream(request.method, url, headers=headers, content=body) as answer,
        ):
            content = bytearray()
            async for chunk in answer.aiter_raw():
                content.extend(chunk)
                if len(content) > MAX_RESPONSE:
                    log.warning("Dex answered %s with more than %d bytes", url, MAX_RESPONSE)
                    return _text(f"Dex's answer is larger than {MAX_RESPONSE} bytes", 502)
            status, reply = answer.status_code, answer.headers
    except httpx2.TimeoutException:
        log.warning("Dex at %s did not answer within %.0fs", upstream, TIMEOUT)
        return _text(f"Dex at {upstream} did not answer within {TIMEOUT:.0f}s", 504)
    except httpx2.HTTPError as err:
        log.warning("Dex is unreachable at %s: %s", upstream, type(err).__name__)
        return _text(
            f"Dex is unreachable at {upstream} ({type(err).__name__}); is `kapstan dex` running "
            "and does `kapstan server --dex-server` point at it?",
            502,
        )
    response = Response(bytes(content), status_code=status)
    for key, value in reply.multi_items():
        if key.lower() not in _DROP:
            response.headers.append(key, value)
    return response


__all__ = ["router"]
