"""Headers added to every answer, by one pure ASGI middleware (no body buffering, so streams
stay streams), at the moment the response head leaves:

- ``Server-Timing: app;dur=<ms>``: from the request reaching the application to its response
  head (for a JSON answer that includes rendering the body), so a browser's developer tools
  and ``bench/api_bench.py`` can tell server time from transfer time. Streams report the time
  to their first byte. Only the duration is sent, never what was done.
- a renewed session, handed back as Argo CD does: ``Set-Cookie`` of ``argocd.token`` on the
  answer to the request that presented the nearly expired session
  (:func:`kapstan.api.security.principal_of` leaves the cookie in the request's state).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kapstan.api.security import RENEWED_COOKIE

Headers = list[tuple[bytes, bytes]]
HeaderSource = Callable[[Scope, float], Headers]  # (scope, seconds since the request) -> headers


def server_timing(_scope: Scope, elapsed: float) -> Headers:
    return [(b"server-timing", f"app;dur={elapsed * 1000:.2f}".encode())]


def renewed_session(scope: Scope, _elapsed: float) -> Headers:
    state = scope.get("state")
    cookie = state.get(RENEWED_COOKIE) if isinstance(state, dict) else None
    return [(b"set-cookie", cookie.encode("latin-1"))] if isinstance(cookie, str) else []


class AddHeaders:
    """Adds what each source returns to the response head."""

    def __init__(self, app: ASGIApp, sources: tuple[HeaderSource, ...]) -> None:
        self.app = app
        self.sources = sources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope.setdefault("state", {})  # the request's state: routes write into this dict

        async def adding(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = time.perf_counter() - started
                extra = [h for source in self.sources for h in source(scope, elapsed)]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, adding)


__all__ = ["AddHeaders", "renewed_session", "server_timing"]
