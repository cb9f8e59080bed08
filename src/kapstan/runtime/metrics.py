"""The ``/metrics`` endpoint of ``kapstan image-updater`` and ``kapstan controller``
(``--metrics-port``, ``--metrics-address``).

Contract of :func:`metrics_endpoint`: with a port, it binds ``address:port`` on entry (a
taken port or a bad address is an ``OSError`` naming them, before anything else starts) and
serves ``GET /metrics`` (the image metrics in the Prometheus text format) and ``GET /healthz``
(as Argo CD's controller on its metrics port: 200 ``ok`` once ``ready()`` says the process
has listed what it reconciles, 503 ``starting`` before) on the running event loop until the
block ends, when it stops serving and closes the socket; any other path is 404, any other
method 405. Without a port it does nothing: off by default, since tests
and developers start many of these processes on one machine, where a fixed port would
collide.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

from kapstan.runtime.serving import QuietServer, listen
from kapstan.services.images.metrics import CONTENT_TYPE, ImageMetrics

log = logging.getLogger(__name__)
METRICS_PATH = "/metrics"
HEALTH_PATH = "/healthz"
_TEXT = "text/plain; charset=utf-8"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _always() -> bool:
    return True


def metrics_app(
    metrics: ImageMetrics, ready: Callable[[], bool] = _always
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The ASGI app answering ``GET /metrics`` and ``GET /healthz`` (see the module
    contract)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        status, kind, body = 200, CONTENT_TYPE, b""
        if scope["path"] not in (METRICS_PATH, HEALTH_PATH):
            status, kind, body = 404, _TEXT, b"not found: try /metrics or /healthz\n"
        elif scope["method"] not in ("GET", "HEAD"):
            status, kind, body = 405, _TEXT, b"method not allowed\n"
        elif scope["path"] == HEALTH_PATH:
            up = ready()
            status, kind, body = (200, _TEXT, b"ok\n") if up else (503, _TEXT, b"starting\n")
        else:
            body = metrics.exposition()
        headers = [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode())]
        if status == 405:
            headers.append((b"allow", b"GET, HEAD"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if scope["method"] == "HEAD":
            body = b""
        await send({"type": "http.response.body", "body": body})

    return app


@contextlib.asynccontextmanager
async def metrics_endpoint(
    metrics: ImageMetrics, address: str, port: int | None, ready: Callable[[], bool] = _always
) -> AsyncIterator[None]:
    """Serve ``metrics`` on ``address:port`` for the duration of the block (see the module
    contract)."""
    if port is None:
        yield
        return
    sock = listen(address, port)
    config = uvicorn.Config(
        metrics_app(metrics, ready), log_level="warning", access_log=False, lifespan="off"
    )
    server = QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="metrics-endpoint")
    log.info("metrics on http://%s:%d%s", address, port, METRICS_PATH)
    try:
        yield
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


__all__ = ["HEALTH_PATH", "METRICS_PATH", "metrics_app", "metrics_endpoint"]
