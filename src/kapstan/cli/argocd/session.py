"""The connection of one client command: global flags, then the environment, then the current
context of the local config (Argo CD's order).

Contract of :class:`Session`: :meth:`client` is an :class:`~kapstan.client.http.ApiClient` for
the resolved server with the resolved token (``--auth-token``/environment, else the context
user's ``auth-token``, refreshed first with the user's ``refresh-token`` when it is an SSO
login's ID token with less than :data:`REFRESH_BEFORE` seconds left); ``--insecure`` and
``--plaintext`` come from the flags, else from the config's server entry. With no server
anywhere it raises :class:`NotLoggedIn` ("not logged in: run kapstan login SERVER").
:func:`current` is the process's session (set by :func:`start` from the extracted flags);
tests install their own ``transport``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import httpx2

from kapstan.cli.argocd.globalflags import GlobalFlags
from kapstan.client import sso
from kapstan.client.config import LocalConfig, UserEntry, default_path
from kapstan.client.http import ApiCallError, ApiClient

REFRESH_BEFORE = 300  # seconds: an SSO token with less left is refreshed before it is used


class NotLoggedIn(RuntimeError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or "not logged in: run kapstan login SERVER (or pass --server)")


@dataclass
class Session:
    flags: GlobalFlags = field(default_factory=GlobalFlags)
    transport: httpx2.BaseTransport | None = None
    _config: LocalConfig | None = field(default=None, init=False, repr=False)
    _client: ApiClient | None = field(default=None, init=False, repr=False)

    def config(self) -> LocalConfig:
        if self._config is None:
            self._config = LocalConfig.load(default_path(self.flags.config))
        return self._config

    def server(self) -> str:
        if self.flags.server:
            return self.flags.server
        ctx = self.config().context(self.flags.context)
        if ctx is None or not ctx.server:
            if self.flags.context:
                raise NotLoggedIn(f"context {self.flags.context!r} is not in {self.config().path}")
            raise NotLoggedIn()
        return ctx.server

    def token(self) -> str:
        if self.flags.auth_token:
            return self.flags.auth_token
        if self.flags.server and "server" not in self.flags.from_env:
            # A server given on the command line uses the token of the context for it.
            ctx = next((c for c in self.config().contexts if c.server == self.flags.server), None)
        else:
            ctx = self.config().context(self.flags.context)
        user = self.config().user(ctx.user) if ctx else None
        if user is None:
            return ""
        if (
            user.refresh_token
            and ctx is not None
            and sso.expires_within(user.auth_token, REFRESH_BEFORE)
        ):
            self._refresh(ctx.server, user)
        return user.auth_token

    def _refresh(self, server: str, user: UserEntry) -> None:
        """An SSO login's ID token close to expiry is traded for a new one with the refresh
        token (as ``argocd`` refreshes), and the config saved; a refusal keeps the old token
        (the server then says whether it is still valid)."""
        entry = self.config().server(server)
        try:
            with ApiClient(
                server,
                insecure=self.flags.insecure or bool(entry and entry.insecure),
                plaintext=self.flags.plaintext or bool(entry and entry.plain_text),
                transport=self.transport,
            ) as client:
                oidc = sso.login_settings(client.get("/api/v1/settings"))
            if oidc is None:
                return
            with httpx2.Client(timeout=sso.TIMEOUT) as http:
                tokens = sso.refresh(http, sso.provider_of(oidc, http), user.refresh_token)
        except (sso.SsoError, ApiCallError) as err:
            print(f"warning: could not refresh the SSO session: {err}", file=sys.stderr)
            return
        user.auth_token, user.refresh_token = tokens.id_token, tokens.refresh_token
        self.config().save()

    def client(self) -> ApiClient:
        if self._client is None:
            server = self.server()
            entry = self.config().server(server)
            self._client = ApiClient(
                server,
                token=self.token(),
                insecure=self.flags.insecure or bool(entry and entry.insecure),
                plaintext=self.flags.plaintext or bool(entry and entry.plain_text),
                headers=self.flags.header_map(),
                transport=self.transport,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


_CURRENT: list[Session] = [Session()]


def start(flags: GlobalFlags, transport: httpx2.BaseTransport | None = None) -> Session:
    """Make a new session the current one (one per command run)."""
    _CURRENT[0].close()
    _CURRENT[0] = Session(flags, transport)
    return _CURRENT[0]


def current() -> Session:
    return _CURRENT[0]


__all__ = ["NotLoggedIn", "Session", "current", "start"]
