"""The browser's login through :class:`OidcService` against the in-process provider: the
authorization URL, the sealed state, the code exchange with the resolved client secret, the
ID token checked with the login's nonce, and the principal RBAC sees."""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from kapstan.services.auth.errors import AuthConfigError, InvalidToken
from kapstan.services.auth.oidc import LoginFlowError, OidcService
from kapstan.services.auth.oidc.flow import STATE_SECONDS, challenge
from kapstan.services.auth.oidc.provider import Provider
from kapstan.services.auth.store import SecretState
from kapstan.services.auth.tokens import PrincipalKind
from tests.unit.services.auth.helpers import START, FakeClock
from tests.unit.services.auth.oidc.fakeidp import CLIENT_ID, ISSUER, FakeIdp

URL = "https://cd.example.com"
CONFIG = f"""
name: Keycloak
issuer: {ISSUER}
clientID: {CLIENT_ID}
clientSecret: $oidc.keycloak.clientSecret
requestedScopes: [openid, profile, email, groups]
"""
SECRETS = {
    "argocd-secret": SecretState(
        "argocd-secret", True, "1", {"oidc.keycloak.clientSecret": "s3cr3t"}
    ),
    "sso": SecretState(
        "sso", True, "1", {"id": "other-secret"}, {"app.kubernetes.io/part-of": "argocd"}
    ),
    "stray": SecretState("stray", True, "1", {"id": "x"}),
}


class World:
    def __init__(self, config: str = CONFIG) -> None:
        self.idp = FakeIdp()
        self.clock = FakeClock(START)
        self.cm = {"url": URL, "oidc.config": config}
        self.service = OidcService(
            lambda: self.cm,
            lambda: b"server-key",
            self.read_secret,
            clock=self.clock,
            provider_factory=lambda issuer, _ca: Provider(issuer, client=self.idp.client()),
        )

    async def read_secret(self, name: str) -> SecretState:
        return SECRETS.get(name, SecretState(name))

    def authorize(self, url: str, **claims: Any) -> tuple[str, str]:
        """What the provider does after the user signs in: (code, state) for the redirect."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        token = self.idp.sign(
            {
                "iss": ISSUER,
                "aud": CLIENT_ID,
                "sub": "alice",
                "groups": ["devs"],
                "iat": int(self.clock.now),
                "exp": int(self.clock.now) + 3600,
                "nonce": query["nonce"],
                **claims,
            }
        )
        self.idp.codes["code-1"] = token
        return "code-1", query["state"]


def test_round_trip_yields_the_id_token_and_a_principal_with_groups() -> None:
    world = World()
    url, cookie = asyncio.run(world.service.login(URL + "/applications"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{ISSUER}/auth?")
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == URL + "/auth/callback"
    assert query["scope"] == "openid profile email groups"
    assert query["code_challenge_method"] == "S256"
    assert "nonce" in query
    assert "state" in query
    assert query["state"] not in cookie
    assert query["nonce"] not in cookie
    code, state = world.authorize(url)
    token, target, seconds = asyncio.run(world.service.callback(code, state, cookie))
    assert target == URL + "/applications"
    assert seconds == 3600
    form = world.idp.forms[-1]
    assert challenge(form["code_verifier"][0]) == query["code_challenge"]
    assert (
        world.idp.auth_headers[-1]
        == "Basic " + base64.b64encode(f"{CLIENT_ID}:s3cr3t".encode()).decode()
    )
    principal = world.service.verify(token, ["groups"])
    assert (principal.username, principal.groups, principal.kind) == (
        "alice",
        ("devs",),
        PrincipalKind.SSO,
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda w, c, s, k: (c, "other-state", k), "state mismatch"),
        (lambda w, c, s, k: (c, s, k[:-4] + "AAAA"), "oauthstate cookie is invalid"),
        (lambda w, c, s, k: (c, s, ""), "oauthstate cookie is missing"),
        (
            lambda w, c, s, k: ("wrong-code", s, k),
            r"refused the code: invalid_grant \(Code not valid\)",
        ),
        (lambda w, c, s, k: w.clock.advance(STATE_SECONDS + 1) or (c, s, k), "took too long"),
    ],
    ids=["state", "tampered cookie", "no cookie", "bad code", "slow login"],
)
def test_callback_refusals_say_what_is_wrong(mutate: Any, message: str) -> None:
    world = World()
    url, cookie = asyncio.run(world.service.login(URL))
    code, state = world.authorize(url)
    code, state, cookie = mutate(world, code, state, cookie)
    with pytest.raises(LoginFlowError, match=message):
        asyncio.run(world.service.callback(code, state, cookie))


def test_a_token_for_another_login_fails_the_nonce_check() -> None:
    world = World()
    url, cookie = asyncio.run(world.service.login(URL))
    code, state = world.authorize(url, nonce="replayed")
    with pytest.raises(Exception, match="wrong nonce"):
        asyncio.run(world.service.callback(code, state, cookie))


@pytest.mark.parametrize(
    ("reference", "outcome"),
    [
        ("$sso:id", "other-secret"),
        ("$stray:id", "lacks the label app.kubernetes.io/part-of=argocd"),
        ("$missing:id", "Secret missing does not exist"),
        ("$oidc.nope", "Secret argocd-secret has no key oidc.nope"),
        ("literal-secret", "literal-secret"),
    ],
)
def test_client_secret_references(reference: str, outcome: str) -> None:
    world = World(CONFIG.replace("$oidc.keycloak.clientSecret", reference))
    url, cookie = asyncio.run(world.service.login(URL))
    code, state = world.authorize(url)
    if outcome.startswith(("other", "literal")):
        asyncio.run(world.service.callback(code, state, cookie))
        sent = base64.b64decode(world.idp.auth_headers[-1].split()[1]).decode()
        assert sent == f"{CLIENT_ID}:{outcome}"
    else:
        with pytest.raises(AuthConfigError, match=outcome):
            asyncio.run(world.service.callback(code, state, cookie))


def test_groups_come_from_the_claims_rbac_scopes_name() -> None:
    world = World()
    token = world.idp.sign(
        {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "bob",
            "roles": ["admins"],
            "groups": ["devs"],
            "iat": int(START),
            "exp": int(START) + 60,
        }
    )
    assert world.service.verify(token, ["roles"]).groups == ("admins",)
    assert world.service.verify(token, ["groups", "roles"]).groups == ("devs", "admins")


def test_an_id_token_of_a_removed_provider_no_longer_verifies() -> None:
    world = World()
    token = world.idp.sign(
        {"iss": ISSUER, "aud": CLIENT_ID, "sub": "bob", "iat": int(START), "exp": int(START) + 60}
    )
    world.service.verify(token, ["groups"])
    world.cm = {"url": URL}
    with pytest.raises(AuthConfigError, match="not configured"):
        world.service.verify(token, ["groups"])


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("issuer: x\nclientID: a", "issuer must be an http"),
        (f"issuer: {ISSUER}", "clientID is required"),
        ("[unclosed", "not valid YAML"),
        (
            f"issuer: {ISSUER}\nclientID: a\nrequestedScopes: openid",
            "requestedScopes must be a list",
        ),
    ],
)
def test_configuration_errors_name_the_key(config: str, message: str) -> None:
    world = World(config)
    assert world.service.config() is None
    with pytest.raises(AuthConfigError, match=message):
        asyncio.run(world.service.login(URL))


def test_an_unreachable_issuer_says_so() -> None:
    world = World(CONFIG.replace(ISSUER, "http://127.0.0.1:9/realms/x"))
    world.service = OidcService(lambda: world.cm, lambda: b"k", world.read_secret)
    with pytest.raises(
        Exception, match=r"issuer unreachable: http://127.0.0.1:9/realms/x/\.well-known"
    ):
        asyncio.run(world.service.login(URL))


def test_an_sso_token_with_a_wrong_audience_is_an_invalid_session() -> None:
    world = World()
    token = world.idp.sign(
        {"iss": ISSUER, "aud": "other", "sub": "bob", "iat": int(START), "exp": int(START) + 60}
    )
    with pytest.raises(InvalidToken, match="wrong audience"):
        world.service.verify(token, ["groups"])


def test_a_provider_that_cannot_be_reached_makes_the_session_invalid_with_the_reason() -> None:
    world = World()
    token = world.idp.sign(
        {"iss": ISSUER, "aud": CLIENT_ID, "sub": "bob", "iat": int(START), "exp": int(START) + 60}
    )

    def down(_request: Any) -> Any:
        raise httpx2.ConnectError("refused")

    world.idp.handler = down  # type: ignore[method-assign]
    with pytest.raises(InvalidToken, match="cannot check it: issuer unreachable"):
        world.service.verify(token, ["groups"])
