"""``kapstan login --sso``'s client side (kapstan.client.sso): the one-shot callback listener,
its state and nonce checks, the provider's refusals, and the refresh grant."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest

from kapstan.client import sso
from kapstan.localcluster.ports import free_port

PROVIDER = sso.Provider(
    "https://idp.test",
    "kapstan-cli",
    ("openid", "groups"),
    "https://idp.test/auth",
    "https://idp.test/token",
)


def _jwt(claims: dict[str, Any]) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return f"{b64(b'{}')}.{b64(json.dumps(claims).encode())}.sig"


class Idp:
    """The token endpoint: answers with an ID token carrying ``nonce`` (or a refusal)."""

    def __init__(self, nonce_override: str | None = None, refuse: bool = False) -> None:
        self.nonce = ""
        self.nonce_override = nonce_override
        self.refuse = refuse
        self.forms: list[dict[str, list[str]]] = []

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        form = parse_qs(request.content.decode())
        self.forms.append(form)
        if self.refuse:
            return httpx2.Response(
                400, json={"error": "invalid_grant", "error_description": "Token is not active"}
            )
        nonce = self.nonce if self.nonce_override is None else self.nonce_override
        token = _jwt({"sub": "carl", "nonce": nonce, "exp": 2_000_000_000})
        return httpx2.Response(
            200, json={"id_token": token, "refresh_token": "r-2" if "code" in form else ""}
        )


def _browser(idp: Idp, **answer: str) -> Any:
    """What the user's browser does: follow the URL; the provider redirects to the callback."""

    def show(url: str) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        idp.nonce = query["nonce"]
        params = {"code": "c-1", "state": query["state"], **answer}
        params = {k: v for k, v in params.items() if v}
        target = f"{query['redirect_uri']}?{urlencode(params)}"
        threading.Thread(target=lambda: httpx2.get(target, timeout=5), daemon=True).start()

    return show


def _login(idp: Idp, **answer: str) -> sso.Tokens:
    with httpx2.Client(transport=httpx2.MockTransport(idp.handler)) as http:
        return sso.browser_login(
            http, PROVIDER, port=free_port(), show=_browser(idp, **answer), timeout=10
        )


def test_a_login_returns_the_tokens_after_pkce_exchange() -> None:
    idp = Idp()
    tokens = _login(idp)
    assert tokens.refresh_token == "r-2"
    assert sso.claims_of(tokens.id_token)["sub"] == "carl"
    form = idp.forms[-1]
    assert form["client_id"] == ["kapstan-cli"]
    assert form["code_verifier"][0]
    assert "client_secret" not in form


@pytest.mark.parametrize(
    ("idp", "answer", "message"),
    [
        (Idp(), {"state": "forged"}, "state mismatch"),
        (
            Idp(),
            {"code": "", "error": "access_denied", "error_description": "User said no"},
            r"refused the login: access_denied \(User said no\)",
        ),
        (Idp(nonce_override="other"), {}, "wrong nonce"),
        (Idp(refuse=True), {}, r"the provider refused: invalid_grant \(Token is not active\)"),
    ],
    ids=["state", "provider error", "nonce", "code refused"],
)
def test_refusals_say_what_is_wrong(idp: Idp, answer: dict[str, str], message: str) -> None:
    with pytest.raises(sso.SsoError, match=message):
        _login(idp, **answer)


def test_refresh_keeps_the_refresh_token_when_the_provider_sends_none() -> None:
    idp = Idp()
    with httpx2.Client(transport=httpx2.MockTransport(idp.handler)) as http:
        tokens = sso.refresh(http, PROVIDER, "r-1")
    assert tokens.refresh_token == "r-1"
    assert idp.forms[-1]["grant_type"] == ["refresh_token"]


def test_expires_within_reads_exp() -> None:
    token = _jwt({"exp": 1000})
    assert sso.expires_within(token, 300, now=800)
    assert not sso.expires_within(token, 100, now=800)
    assert not sso.expires_within("opaque", 300, now=0)  # not a JWT: never refreshed
