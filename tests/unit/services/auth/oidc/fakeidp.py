"""An in-process identity provider for the fast SSO tests: RSA keys generated here, its
discovery document and JWKS served through an ``httpx2.MockTransport``, ID tokens signed on
demand, and a token endpoint that answers one code (and refresh tokens, through
``on_refresh``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

import httpx2
from joserfc import jws
from joserfc.jwk import RSAKey

ISSUER = "https://idp.test/realms/kapstan"
CLIENT_ID = "kapstan"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeIdp:
    def __init__(self) -> None:
        self.keys = {
            name: RSAKey.generate_key(2048, parameters={"kid": name})
            for name in ("k1", "k2", "stranger")
        }
        self.published = ["k1"]  # kids in the JWKS
        self.fetches: dict[str, int] = {}
        self.codes: dict[str, str] = {}  # code -> id token
        self.forms: list[dict[str, list[str]]] = []
        self.auth_headers: list[str] = []
        self.code_refresh: dict[str, str] = {}  # code -> the refresh token sent with it
        # grant_type=refresh_token: the refresh token -> the answer (unset: invalid_grant)
        self.on_refresh: Callable[[str], httpx2.Response] | None = None

    def jwks(self) -> dict[str, Any]:
        return {
            "keys": [
                {**self.keys[k].as_dict(private=False), "use": "sig", "alg": "RS256"}
                for k in self.published
            ]
        }

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/auth",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/certs",
            "end_session_endpoint": f"{ISSUER}/logout",
        }

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        self.fetches[path] = self.fetches.get(path, 0) + 1
        if path.endswith("/.well-known/openid-configuration"):
            return httpx2.Response(200, json=self.discovery())
        if path.endswith("/certs"):
            return httpx2.Response(200, json=self.jwks())
        if path.endswith("/token"):
            form = parse_qs(request.content.decode())
            self.forms.append(form)
            self.auth_headers.append(request.headers.get("authorization", ""))
            if form.get("grant_type") == ["refresh_token"]:
                refresh = form.get("refresh_token", [""])[0]
                if self.on_refresh is not None:
                    return self.on_refresh(refresh)
                return httpx2.Response(400, json={"error": "invalid_grant"})
            code = form.get("code", [""])[0]
            token = self.codes.pop(code, None)
            if token is None:
                return httpx2.Response(
                    400, json={"error": "invalid_grant", "error_description": "Code not valid"}
                )
            answer = {"id_token": token, "access_token": "opaque", "token_type": "Bearer"}
            if code in self.code_refresh:
                answer["refresh_token"] = self.code_refresh.pop(code)
            return httpx2.Response(200, json=answer)
        return httpx2.Response(404)

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self.handler))

    def sign(
        self, claims: Mapping[str, Any], *, kid: str = "k1", header: Mapping[str, Any] | None = None
    ) -> str:
        protected = {"alg": "RS256", "typ": "JWT", "kid": kid, **(header or {})}
        payload = json.dumps(dict(claims)).encode()
        signing_input = f"{_b64(json.dumps(protected).encode())}.{_b64(payload)}"
        if protected["alg"] == "HS256":
            # The confusion attack: the provider's public key (PEM) used as an HMAC secret.
            secret = self.keys[kid].as_pem(private=False)
            mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
            return f"{signing_input}.{_b64(mac)}"
        if protected["alg"] == "none":
            return f"{signing_input}."
        return jws.serialize_compact(protected, payload, self.keys[kid])
