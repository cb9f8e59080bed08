"""Logging in to Kapstan through Dex: Dex is the OIDC issuer ``<url>/api/dex`` of the
existing OIDC code (:mod:`kapstan.services.auth.oidc`), as Argo CD's server uses its Dex.

Contract:

- :func:`oidc_config` is the :class:`~kapstan.services.auth.oidc.OidcConfig` of the Dex of
  argocd-cm (``None`` when Dex is not in use, see :func:`.config.dex_settings`): client
  ``argo-cd`` with the secret derived from ``server.secretkey``, CLI client ``argo-cd-cli``,
  Argo CD's default scopes (``groups`` among them, so Dex's connectors send groups);
- :func:`dex_client` is the HTTP client the server talks to Dex with: requests for the
  issuer's URLs (discovery, keys, the code exchange) go to ``dex_server`` instead, the way
  Argo CD's server reaches its dex server, so ``url`` need not be reachable from the server
  itself; other URLs are refused.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx2

from kapstan.services.auth.dex.config import (
    CLI_CLIENT_ID,
    CLIENT_ID,
    client_secret,
    dex_settings,
)
from kapstan.services.auth.oidc.config import DEFAULT_SCOPES, OidcConfig
from kapstan.services.auth.oidc.provider import TIMEOUT, ProviderError

NAME = "Dex"


def oidc_config(cm: Mapping[str, str], server_secret: bytes) -> OidcConfig | None:
    """Dex as the OIDC provider of the login (see the module contract); raises
    :class:`~kapstan.services.auth.errors.AuthConfigError` for a bad ``dex.config``."""
    settings = dex_settings(cm)
    if settings is None:
        return None
    return OidcConfig(
        name=NAME,
        issuer=settings.issuer,
        client_id=CLIENT_ID,
        url=settings.url,
        client_secret=client_secret(server_secret),
        cli_client_id=CLI_CLIENT_ID,
        requested_scopes=DEFAULT_SCOPES,
    )


class _ToDex(httpx2.BaseTransport):
    """Sends requests under ``issuer`` to the same path on ``dex_server``."""

    def __init__(self, issuer: str, dex_server: str) -> None:
        self._issuer = httpx2.URL(issuer)
        self._dex = httpx2.URL(dex_server)
        self._inner = httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        same = (url.scheme, url.host, url.port) == (
            self._issuer.scheme,
            self._issuer.host,
            self._issuer.port,
        )
        if not same or not url.path.startswith(self._issuer.path):
            raise ProviderError(f"{url} is not under the Dex issuer {self._issuer}")
        request.url = url.copy_with(
            scheme=self._dex.scheme, host=self._dex.host, port=self._dex.port
        )
        request.headers["host"] = self._dex.netloc.decode()
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def dex_client(issuer: str, dex_server: str) -> httpx2.Client:
    """The server's client for Dex (see the module contract)."""
    return httpx2.Client(
        timeout=TIMEOUT, follow_redirects=False, transport=_ToDex(issuer, dex_server)
    )


__all__ = ["NAME", "dex_client", "oidc_config"]
