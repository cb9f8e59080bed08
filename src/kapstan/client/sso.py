"""The CLI's single sign-on (``kapstan login SERVER --sso``), as ``argocd login --sso`` does it
for direct OIDC: the server's ``oidcConfig`` names the issuer and the client (``cliClientID``,
else ``clientID``); the user signs in in a browser; the provider redirects to a one-shot
listener on ``127.0.0.1:<port>/auth/callback``; the code is exchanged with PKCE (a public
client: no secret on the user's machine).

Contract:

- :func:`browser_login` serves exactly one callback, checks ``state`` and, in the returned ID
  token, ``nonce`` (the token comes straight from the token endpoint, so the server's own
  validation on every request is the signature check); the provider's error is raised as
  :class:`SsoError` with its code and description; it gives up after ``timeout`` seconds;
- :func:`refresh` trades a refresh token for new tokens at the token endpoint;
- :func:`expires_within` reads a JWT's ``exp`` without checking it (to decide on a refresh);
- nothing here prints or raises a token.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2

TIMEOUT = 10.0
CALLBACK = "/auth/callback"


class SsoError(RuntimeError):
    """SSO could not complete; the message says why (never a token)."""


@dataclass(frozen=True)
class Tokens:
    id_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    scopes: tuple[str, ...]
    authorization_endpoint: str
    token_endpoint: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    """A JWT's payload, unchecked (``{}`` when it is not one)."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        found = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def expires_within(token: str, seconds: float, now: float | None = None) -> bool:
    exp = claims_of(token).get("exp")
    if not isinstance(exp, int | float):
        return False
    return float(exp) - (time.time() if now is None else now) < seconds


def login_settings(settings: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """What the CLI logs in with, from ``GET /api/v1/settings``: its ``oidcConfig``, else,
    when ``dexConfig`` names connectors, the bundled Dex as Argo CD's CLI uses it (issuer
    ``<url>/api/dex``, client ``argo-cd-cli``); ``None`` when the server has no SSO."""
    oidc = settings.get("oidcConfig")
    if isinstance(oidc, dict):
        return oidc
    dex = settings.get("dexConfig")
    url = str(settings.get("url") or "").rstrip("/")
    if isinstance(dex, dict) and dex.get("connectors") and url:
        # offline_access: Dex gives refresh tokens only for it (Argo CD's CLI asks for it too).
        scopes = ["openid", "profile", "email", "groups", "offline_access"]
        return {"issuer": url + "/api/dex", "cliClientID": "argo-cd-cli", "scopes": scopes}
    return None


def provider_of(oidc: Mapping[str, Any], http: httpx2.Client) -> Provider:
    """The provider of the server's ``oidcConfig`` (discovery fetched from the issuer)."""
    issuer = str(oidc.get("issuer") or "")
    client_id = str(oidc.get("cliClientID") or oidc.get("clientID") or "")
    if not issuer or not client_id:
        raise SsoError("the server's SSO settings name no issuer or client")
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        doc = http.get(url).json()
    except (httpx2.HTTPError, ValueError):
        raise SsoError(f"issuer unreachable: {url}") from None
    if not isinstance(doc, dict) or doc.get("issuer") != issuer:
        raise SsoError(f"{url} does not describe the issuer {issuer}")
    scopes = tuple(str(s) for s in oidc.get("scopes") or ("openid", "profile", "email", "groups"))
    return Provider(
        issuer,
        client_id,
        scopes if "openid" in scopes else ("openid", *scopes),
        str(doc.get("authorization_endpoint") or ""),
        str(doc.get("token_endpoint") or ""),
    )


def _token_request(http: httpx2.Client, provider: Provider, form: dict[str, str]) -> Tokens:
    try:
        answer = http.post(provider.token_endpoint, data={**form, "client_id": provider.client_id})
        doc = answer.json()
    except (httpx2.HTTPError, ValueError):
        raise SsoError(f"issuer unreachable: {provider.token_endpoint}") from None
    if answer.status_code != 200 or not isinstance(doc, dict):
        error = doc.get("error", f"HTTP {answer.status_code}") if isinstance(doc, dict) else ""
        description = doc.get("error_description", "") if isinstance(doc, dict) else ""
        raise SsoError(
            f"the provider refused: {error}" + (f" ({description})" if description else "")
        )
    token = doc.get("id_token")
    if not isinstance(token, str) or not token:
        raise SsoError("the provider's answer has no id_token")
    return Tokens(token, str(doc.get("refresh_token") or ""))


def refresh(http: httpx2.Client, provider: Provider, refresh_token: str) -> Tokens:
    tokens = _token_request(
        http, provider, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )
    return Tokens(tokens.id_token, tokens.refresh_token or refresh_token)


class _Callback(BaseHTTPRequestHandler):
    result: dict[str, str]
    done: threading.Event

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != CALLBACK:
            self.send_error(404)
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        type(self).result.update(query)
        ok = "code" in query
        message = (
            "Authentication successful: you can close this window and return to the CLI."
            if ok
            else (f"Authentication failed: {html.escape(query.get('error', 'no code'))}")
        )
        body = f"<!doctype html><title>kapstan login</title><p>{message}</p>".encode()
        self.send_response(200 if ok else 400)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        type(self).done.set()

    def log_message(self, format: str, *args: Any) -> None:
        return  # the query holds the code: never logged


def browser_login(
    http: httpx2.Client,
    provider: Provider,
    *,
    port: int,
    show: Callable[[str], None],
    timeout: float = 300.0,
) -> Tokens:
    """Sign in in a browser (see the module contract); ``show`` gets the URL to open."""
    state, nonce, verifier = (secrets.token_urlsafe(n) for n in (24, 24, 48))
    redirect = f"http://127.0.0.1:{port}{CALLBACK}"
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect,
        "scope": " ".join(provider.scopes),
        "state": state,
        "nonce": nonce,
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
    }
    handler: type[_Callback] = type(
        "Callback", (_Callback,), {"result": {}, "done": threading.Event()}
    )
    try:
        server = HTTPServer(("127.0.0.1", port), handler)
    except OSError as err:
        raise SsoError(
            f"cannot listen on 127.0.0.1:{port} ({err.strerror}): pass --sso-port"
        ) from None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        show(provider.authorization_endpoint + "?" + urlencode(query))
        if not handler.done.wait(timeout):
            raise SsoError(f"no answer from the browser within {timeout:.0f}s")
    finally:
        server.shutdown()
        server.server_close()
    result: dict[str, str] = handler.result
    if "error" in result:
        detail = result["error"] + (
            f" ({result['error_description']})" if result.get("error_description") else ""
        )
        raise SsoError(f"the provider refused the login: {detail}")
    if result.get("state") != state:
        raise SsoError("state mismatch: the callback was not for this login")
    tokens = _token_request(
        http,
        provider,
        {
            "grant_type": "authorization_code",
            "code": result.get("code", ""),
            "redirect_uri": redirect,
            "code_verifier": verifier,
        },
    )
    if claims_of(tokens.id_token).get("nonce") != nonce:
        raise SsoError("wrong nonce: the ID token was not issued for this login")
    return tokens


__all__ = [
    "Provider",
    "SsoError",
    "Tokens",
    "browser_login",
    "claims_of",
    "expires_within",
    "login_settings",
    "provider_of",
    "refresh",
]
