"""The browser's authorization-code flow: the login redirect, its state cookie, the exchange.

Contract:

- :func:`begin` makes a fresh ``state``, ``nonce`` and PKCE verifier (S256; sent to every
  provider, which RFC 7636 makes harmless for confidential clients and required for public
  ones with ``enablePKCEAuthentication``) and the authorization URL;
- :func:`seal` / :func:`unseal` keep them with the return URL in the ``oauthstate`` cookie
  (Argo CD's name), encrypted and authenticated (AES-GCM with a key derived from
  ``server.secretkey``), expiring after :data:`STATE_SECONDS`: the browser cannot read or
  alter it, and a cookie from another server or an old login is refused;
- :func:`exchange` posts the code (and verifier) to the token endpoint with the client's
  secret (HTTP Basic, RFC 6749 §2.3.1) and returns the ``id_token`` and ``refresh_token``
  (:class:`Tokens`); :func:`refresh` trades a refresh token for new ones the same way; the
  provider's error code and description are in the message, never a token or the secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kapstan.services.auth.errors import AuthError
from kapstan.services.auth.oidc.config import OidcConfig
from kapstan.services.auth.oidc.provider import TIMEOUT, Discovery, ProviderError, read_limited

STATE_COOKIE = "oauthstate"
STATE_SECONDS = 300  # Argo CD's StateCookieMaxAge: five minutes to sign in at the provider


class LoginFlowError(AuthError):
    """The callback cannot complete the login; the message says why."""


@dataclass(frozen=True)
class PendingLogin:
    state: str
    nonce: str
    verifier: str = ""
    return_url: str = "/"
    expires: float = 0.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def challenge(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


def begin(
    config: OidcConfig, discovery: Discovery, return_url: str, now: float
) -> tuple[PendingLogin, str]:
    """A new pending login and the provider's authorization URL for it."""
    pending = PendingLogin(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(48),
        return_url=return_url,
        expires=now + STATE_SECONDS,
    )
    query: dict[str, str] = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": config.redirect_uri,
        "scope": " ".join(config.scopes),
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": challenge(pending.verifier),
        "code_challenge_method": "S256",
    }
    if config.requested_id_token_claims:
        query["claims"] = json.dumps({"id_token": dict(config.requested_id_token_claims)})
    separator = "&" if "?" in discovery.authorization_endpoint else "?"
    return pending, discovery.authorization_endpoint + separator + urlencode(query)


def _aead(secret: bytes) -> AESGCM:
    return AESGCM(hashlib.sha256(b"kapstan oauthstate\0" + secret).digest())


def seal(pending: PendingLogin, secret: bytes) -> str:
    body = json.dumps(pending.__dict__).encode()
    nonce = os.urandom(12)
    return _b64(nonce + _aead(secret).encrypt(nonce, body, STATE_COOKIE.encode()))


def unseal(cookie: str, secret: bytes, now: float) -> PendingLogin:
    """The pending login of the cookie; raises :class:`LoginFlowError`."""
    if not cookie:
        raise LoginFlowError("no login in progress (the oauthstate cookie is missing)")
    try:
        raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
        body = _aead(secret).decrypt(raw[:12], raw[12:], STATE_COOKIE.encode())
        pending = PendingLogin(**json.loads(body))
    except (InvalidTag, ValueError, TypeError):
        raise LoginFlowError("the oauthstate cookie is invalid") from None
    if now > pending.expires:
        raise LoginFlowError("the login took too long; start again")
    return pending


@dataclass(frozen=True)
class Tokens:
    """What the token endpoint answered: the ID token and, when the provider sent one, the
    refresh token (kept server-side only: :mod:`.refresh`)."""

    id_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)


def token_request(
    client: httpx2.Client,
    config: OidcConfig,
    discovery: Discovery,
    form: dict[str, str],
    client_secret: str,
    *,
    refused: str,
) -> Tokens:
    """POST ``form`` to the token endpoint as the client (HTTP Basic with the secret, else
    ``client_id`` in the form: a public client). A refusal raises :class:`LoginFlowError`
    ``<refused>: <error> (<description>)``; transport failures :class:`ProviderError`."""
    form = dict(form)
    auth: tuple[str, str] | None = None
    if client_secret:
        auth = (config.client_id, client_secret)
    else:
        form["client_id"] = config.client_id  # a public client (PKCE only)
    url = discovery.token_endpoint
    try:
        with client.stream("POST", url, data=form, auth=auth) as response:
            body = read_limited(response, url)
            status = response.status_code
    except httpx2.TimeoutException:
        raise ProviderError(f"issuer unreachable: {url} timed out after {TIMEOUT:.0f}s") from None
    except httpx2.HTTPError as err:
        raise ProviderError(f"issuer unreachable: {url}: {type(err).__name__}") from None
    try:
        doc: Any = json.loads(body)
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    if status != 200:
        error = str(doc.get("error", "")) or f"HTTP {status}"
        description = str(doc.get("error_description", ""))
        raise LoginFlowError(f"{refused}: {error}" + (f" ({description})" if description else ""))
    token = doc.get("id_token")
    if not isinstance(token, str) or not token:
        raise LoginFlowError("the provider's answer has no id_token (is 'openid' a scope?)")
    refresh = doc.get("refresh_token")
    return Tokens(token, refresh if isinstance(refresh, str) else "")


def exchange(
    client: httpx2.Client,
    config: OidcConfig,
    discovery: Discovery,
    *,
    code: str,
    verifier: str,
    client_secret: str,
) -> Tokens:
    """The tokens of the code (see the module contract)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": config.redirect_uri,
        "code_verifier": verifier,
    }
    return token_request(
        client, config, discovery, form, client_secret, refused="the provider refused the code"
    )


def refresh(
    client: httpx2.Client,
    config: OidcConfig,
    discovery: Discovery,
    *,
    refresh_token: str,
    client_secret: str,
) -> Tokens:
    """New tokens for a refresh token (RFC 6749 §6); a provider that
    sends no new refresh token leaves the caller keeping the old one."""
    # No ``scope``: RFC 6749 §6 then grants the login's scopes again.
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return token_request(
        client,
        config,
        discovery,
        form,
        client_secret,
        refused="the provider refused the refresh token",
    )


def now() -> float:
    return time.time()


__all__ = [
    "STATE_COOKIE",
    "STATE_SECONDS",
    "LoginFlowError",
    "PendingLogin",
    "Tokens",
    "begin",
    "challenge",
    "exchange",
    "refresh",
    "seal",
    "token_request",
    "unseal",
]
