"""Argo CD's JWTs: what Kapstan signs, and every reason a token is refused
(testdata/tokens.yaml)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from kapstan.services.auth import tokens as t
from kapstan.services.auth.accounts import Accounts, TokenRecord, format_mtime, format_tokens
from kapstan.services.auth.errors import InvalidToken, Rejection
from kapstan.services.auth.tokens import PrincipalKind
from tests.unit.services.auth.helpers import START, cases

NOW = START
KEY = b"kapstan-test-signing-key-0123456789"
OTHER_KEY = b"somebody-else-s-signing-key-987654"
ACCOUNTS = Accounts.parse(
    {
        "accounts.alice": "apiKey, login",
        "accounts.alice2": "login",
        "accounts.bob": "login",
        "accounts.bob.enabled": "false",
        "accounts.carol": "apiKey",
    },
    {
        "accounts.alice.tokens": format_tokens(
            (TokenRecord("key-1", int(NOW) - 5), TokenRecord("key-old", int(NOW) - 200))
        ),
        "accounts.alice.passwordMtime": format_mtime(NOW - 100),
    },
)
WEB = {
    "metadata": {"name": "web"},
    "spec": {
        "roles": [
            {
                "name": "deploy",
                "jwtTokens": [
                    {"iat": int(NOW) - 10, "id": "p-1"},
                    {"iat": int(NOW) - 20, "id": "p-spec-only"},
                ],
            }
        ]
    },
    "status": {"jwtTokensByRole": {"deploy": {"items": [{"iat": int(NOW) - 10, "id": "p-1"}]}}},
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(case: dict[str, Any]) -> str:
    if "raw" in case:
        return str(case["raw"])
    claims: dict[str, Any] = {"iss": "argocd", "sub": case.get("sub"), "iat": 0, "nbf": 0}
    claims |= {"exp": 3600, "jti": "s-1", **(case.get("claims") or {})}
    for name in ("iat", "nbf", "exp"):
        if isinstance(claims.get(name), int):
            claims[name] += int(NOW)
    claims = {k: v for k, v in claims.items() if v is not None}
    alg = case.get("alg", "HS256")
    if alg == "none":
        unsigned = _b64(json.dumps({"alg": "none"}).encode())
        return f"{unsigned}.{_b64(json.dumps(claims).encode())}."
    key = OctKey.import_key(OTHER_KEY if case.get("key") == "other" else KEY)
    return jwt.encode({"alg": alg}, claims, key, algorithms=[alg])


def _verify(token: str) -> t.Principal:
    return t.verify(
        token,
        KEY,
        ACCOUNTS,
        now=NOW,
        projects={"web": WEB}.get,
        is_revoked=lambda jti: jti == "logged-out",
    )


@pytest.mark.parametrize("case", cases("tokens.yaml"), ids=lambda c: c["name"])
def test_verify(case: dict[str, Any]) -> None:
    token = _token(case)
    if case["expect"] != "ok":
        with pytest.raises(InvalidToken) as caught:
            _verify(token)
        assert caught.value.reason is Rejection(case["expect"])
        return
    principal = _verify(token)
    for field, want in (case.get("principal") or {}).items():
        got = getattr(principal, field)
        assert (list(got) if isinstance(got, tuple) else got) == want, field


def test_every_rejection_reason_is_exercised() -> None:
    tested = {c["expect"] for c in cases("tokens.yaml")}
    # ID_TOKEN is the SSO path's (tests/unit/services/auth/oidc, testdata/idtokens.yaml).
    untested = {Rejection.NO_SIGNING_KEY.value, Rejection.ID_TOKEN.value}
    assert {r.value for r in Rejection} - tested == untested
    with pytest.raises(InvalidToken) as caught:  # ...which needs no table
        t.verify(
            _token({"sub": "alice:login"}), b"", ACCOUNTS, now=NOW, projects=lambda _name: None
        )
    assert caught.value.reason is Rejection.NO_SIGNING_KEY


def test_signed_as_argo_signs() -> None:
    issued = t.sign(KEY, "alice:login", now=NOW + 0.7, expires_in=60, token_id="id-1")
    header, payload, _ = issued.token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    iat = int(NOW)
    assert json.loads(base64.urlsafe_b64decode(payload + "==")) == {
        "iss": "argocd",
        "sub": "alice:login",
        "exp": iat + 60,
        "nbf": iat,
        "iat": iat,
        "jti": "id-1",
    }
    assert (issued.id, issued.issued_at, issued.expires_at) == ("id-1", iat, iat + 60)
    forever = t.sign(KEY, "alice:apiKey", now=NOW, expires_in=0, token_id="k")
    assert "exp" not in t.decode(forever.token, KEY)
    assert forever.expires_at == 0


def test_a_token_made_by_hand_as_go_makes_it_verifies() -> None:
    # Built with hmac alone (no joserfc), field order as golang-jwt writes RegisteredClaims.
    header = _b64(b'{"alg":"HS256","typ":"JWT"}')
    claims = {"iss": "argocd", "sub": "alice:login", "exp": int(NOW) + 60}
    claims |= {"nbf": int(NOW), "iat": int(NOW), "jti": "go-made"}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(KEY, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    principal = _verify(f"{header}.{payload}.{_b64(signature)}")
    assert (principal.username, principal.kind, principal.token_id) == (
        "alice",
        PrincipalKind.SESSION,
        "go-made",
    )


def test_claims_are_handed_on_as_argo_hands_them_to_rbac() -> None:
    principal = _verify(_token({"sub": "alice:login"}))
    assert principal.claims["sub"] == "alice"  # the capability suffix is stripped
    project = _verify(_token({"sub": "proj:web:deploy", "claims": {"jti": "p-1", "iat": -10}}))
    assert project.claims["sub"] == "proj:web:deploy"


def test_a_short_signing_key_works_without_a_warning() -> None:
    # Argo CD accepts any server.secretkey; joserfc's SecurityWarning must not escape (the test
    # suite turns warnings into errors).
    issued = t.sign(b"short", "alice:login", now=NOW, expires_in=60, token_id="x")
    assert t.decode(issued.token, b"short")["sub"] == "alice:login"


@pytest.mark.parametrize(
    ("subject", "want"),
    [
        ("alice:login", ("alice", "login")),
        ("alice:apiKey", ("alice", "apiKey")),
        ("alice", ("alice", "apiKey")),
        ("alice:x:login", ("alice", "apiKey")),
    ],
)
def test_split_subject(subject: str, want: tuple[str, str]) -> None:
    name, capability = t.split_subject(subject)
    assert (name, capability.value) == want


def test_renewal_due_only_for_sessions_near_their_end() -> None:
    def principal(kind: PrincipalKind, left: int | None) -> t.Principal:
        expires = None if left is None else int(NOW) + left
        return t.Principal("alice", kind, "x", int(NOW) - 100, expires)

    assert t.renewal_due(principal(PrincipalKind.SESSION, 299), NOW)
    assert not t.renewal_due(principal(PrincipalKind.SESSION, 300), NOW)
    assert not t.renewal_due(principal(PrincipalKind.SESSION, None), NOW)
    assert not t.renewal_due(principal(PrincipalKind.API_KEY, 10), NOW)
