"""Hands a renewed session back to the client as Argo CD does: a ``Set-Cookie`` of
``argocd.token`` on the answer to the request that presented the nearly expired session (see
:func:`kapstan.api.security.principal_of`, which leaves the cookie in the request's state).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kapstan.api.security import RENEWED_COOKIE


class SessionRenewal:
    """Pure ASGI middleware (streams stay streams)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def renewing(message: Message) -> None:
            cookie = state.get(RENEWED_COOKIE) if isinstance(state, dict) else None
            if message["type"] == "http.response.start" and cookie:
                headers = [*message.get("headers", []), (b"set-cookie", cookie.encode("latin-1"))]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, renewing)


__all__ = ["SessionRenewal"]
