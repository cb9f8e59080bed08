"""``Server-Timing: app;dur=<ms>`` on every answer: the time from the request reaching the
application to its response head (for a JSON answer that includes rendering the body), so a
browser's developer tools and ``bench/api_bench.py`` can tell server time from transfer time.
Streams report the time to their first byte. Only the duration is sent, never what was done.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"server-timing"


class ServerTiming:
    """Pure ASGI middleware (no body buffering, so streams stay streams)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - started) * 1000
                headers = [*message.get("headers", []), (HEADER, f"app;dur={ms:.2f}".encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)


__all__ = ["ServerTiming"]
