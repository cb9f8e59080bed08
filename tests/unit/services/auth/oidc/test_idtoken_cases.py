"""ID tokens against the issuer's JWKS (testdata/idtokens.yaml), through the real
:class:`~kapstan.services.auth.oidc.provider.Provider` over an in-process provider."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from kapstan.services.auth.oidc import idtoken
from kapstan.services.auth.oidc.provider import KEYS_TTL, REFETCH_INTERVAL, Provider
from tests.unit.services.auth.helpers import START, FakeClock, cases
from tests.unit.services.auth.oidc.fakeidp import CLIENT_ID, ISSUER, FakeIdp

AUDIENCES = (CLIENT_ID, "kapstan-cli")


def _claims(overrides: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "alice",
        "groups": ["devs"],
        "iat": 0,
        "nbf": 0,
        "exp": 300,
        "nonce": "n-1",
    }
    base.update(overrides)
    out = {k: v for k, v in base.items() if v is not None}
    for name in ("iat", "nbf", "exp"):
        if isinstance(out.get(name), int):
            out[name] += int(START)
    return out


def _tamper(token: str) -> str:
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["groups"] = ["admins"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{sig}"


@pytest.mark.parametrize("case", cases("idtokens.yaml"), ids=lambda c: c["name"])
def test_idtoken_case(case: dict[str, Any]) -> None:
    idp = FakeIdp()
    provider = Provider(ISSUER, clock=FakeClock(), client=idp.client())
    if case.get("rotate"):
        provider.key("k1")  # the server knew the old JWKS ...
        idp.published = ["k2"]  # ... then the provider rotated its key
        provider._clock.advance(REFETCH_INTERVAL)  # type: ignore[attr-defined]
    token = case.get("raw") or idp.sign(
        _claims(case.get("claims") or {}), kid=case.get("kid", "k1"), header=case.get("header")
    )
    if case.get("tamper"):
        token = _tamper(token)

    def check() -> dict[str, Any]:
        return idtoken.validate(
            token,
            issuer=ISSUER,
            audiences=AUDIENCES,
            keys=provider.key,
            now=START,
            nonce=case.get("nonce"),
        )

    if case["expect"] == "ok":
        assert check()["sub"] == "alice"
        return
    with pytest.raises(idtoken.OidcTokenError) as err:
        check()
    assert re.search(case["expect"], str(err.value)), str(err.value)
    assert token not in str(err.value)


def test_unknown_kids_refetch_the_jwks_at_most_once_per_interval() -> None:
    idp = FakeIdp()
    clock = FakeClock()
    provider = Provider(ISSUER, clock=clock, client=idp.client())
    assert provider.key("k1") is not None
    for _ in range(5):  # forged kids cannot make the server hammer the provider
        assert provider.key("forged") is None
    assert idp.fetches["/realms/kapstan/certs"] == 1
    idp.published = ["k1", "k2"]
    assert provider.key("k2") is None  # still inside the interval
    clock.advance(REFETCH_INTERVAL)
    assert provider.key("k2") is not None
    assert idp.fetches["/realms/kapstan/certs"] == 2


def test_a_key_withdrawn_at_the_provider_stops_verifying_within_the_keys_ttl() -> None:
    idp = FakeIdp()
    clock = FakeClock()
    provider = Provider(ISSUER, clock=clock, client=idp.client())
    assert provider.key("k1") is not None
    idp.published = ["k2"]
    clock.advance(KEYS_TTL - 1)
    assert provider.key("k1") is not None  # cached
    clock.advance(1)
    assert provider.key("k1") is None
    assert provider.key("k2") is not None
    assert idp.fetches["/realms/kapstan/certs"] == 2


def test_a_login_right_after_a_rotation_refetches_inside_the_interval() -> None:
    idp = FakeIdp()
    provider = Provider(ISSUER, clock=FakeClock(), client=idp.client())
    assert provider.key("k1") is not None
    idp.published = ["k1", "k2"]
    assert provider.key("k2") is None  # a request's token: rate-limited
    assert provider.key("k2", exchanged=True) is not None  # the callback's: fetched
