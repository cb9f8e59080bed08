"""Refreshing a browser's SSO session (``refreshTokenThreshold``) against the in-process
provider's token endpoint: when a refresh happens (threshold, just expired, too late, no
refresh token), what a failed refresh leaves, logout forgetting the refresh token, and the
bounds of the store."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import httpx2
import pytest

from kapstan.api.auth import ServiceAuth
from kapstan.api.errors import ApiError
from kapstan.services.auth import Authenticator
from kapstan.services.auth.config import AuthInputs
from kapstan.services.auth.errors import AuthConfigError, InvalidToken
from kapstan.services.auth.oidc.config import parse_duration
from kapstan.services.auth.oidc.refresh import MAX_AGE, MAX_TOKEN_BYTES, RefreshStore
from kapstan.services.auth.oidc.service import MIN_INTERVAL
from kapstan.services.revocations import Revocations
from tests.unit.services.auth.oidc.fakeidp import CLIENT_ID, ISSUER, FakeIdp
from tests.unit.services.auth.oidc.test_login_flow import CONFIG, URL, World

LIFETIME = 600
THRESHOLD = "refreshTokenThreshold: 5m\n"


class RefreshWorld(World):
    """A logged-in browser session whose provider answers refresh tokens ``rt-<n>``."""

    def __init__(self, config: str = CONFIG + THRESHOLD, refresh_token: str = "rt-0") -> None:
        super().__init__(config)
        self.issued = 0
        self.refreshed_with: list[str] = []
        self.idp.on_refresh = self.answer
        url, cookie = asyncio.run(self.service.login(URL))
        code, state = self.authorize(url, exp=int(self.clock.now) + LIFETIME, sid="s-1", jti="j-0")
        if refresh_token:
            self.idp.code_refresh[code] = refresh_token
        self.token = asyncio.run(self.service.callback(code, state, cookie))[0]

    def claims(self, **extra: Any) -> dict[str, Any]:
        now = int(self.clock.now)
        return {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "alice",
            "sid": "s-1",
            "groups": ["devs"],
            "iat": now,
            "exp": now + LIFETIME,
            **extra,
        }

    def answer(self, refresh_token: str) -> httpx2.Response:
        self.refreshed_with.append(refresh_token)
        if refresh_token != f"rt-{self.issued}":
            return httpx2.Response(400, json={"error": "invalid_grant"})
        self.issued += 1
        token = self.idp.sign(self.claims(jti=f"j-{self.issued}"))
        body = {"id_token": token, "refresh_token": f"rt-{self.issued}"}
        return httpx2.Response(200, json=body)

    def check(self, token: str = "") -> tuple[Any, tuple[str, int] | None]:
        return self.service.verify_renewing(token or self.token, ["groups"], lambda _j: False)


# (config, refresh token at login, seconds later, outcome)
WHEN = [
    ("threshold, 400 s left", THRESHOLD, "rt-0", 200, "kept"),
    ("threshold, 200 s left", THRESHOLD, "rt-0", 400, "refreshed"),
    ("no threshold, 200 s left", "", "rt-0", 400, "kept"),
    ("no threshold, expired 100 s ago", "", "rt-0", LIFETIME + 100, "refreshed"),
    ("threshold, expired 10 min ago", THRESHOLD, "rt-0", LIFETIME + 600, "expired"),
    ("threshold, no refresh token", THRESHOLD, "", 400, "kept"),
    ("no refresh token, expired", THRESHOLD, "", LIFETIME + 100, "expired"),
]


@pytest.mark.parametrize(
    ("config", "refresh_token", "later", "outcome"),
    [c[1:] for c in WHEN],
    ids=[c[0] for c in WHEN],
)
def test_when_a_session_is_refreshed(
    config: str, refresh_token: str, later: int, outcome: str
) -> None:
    world = RefreshWorld(CONFIG + config, refresh_token)
    world.clock.advance(later)
    if outcome == "expired":
        with pytest.raises(InvalidToken, match="token expired"):
            world.check()
        assert world.refreshed_with == []
        return
    principal, renewal = world.check()
    assert principal.username == "alice"
    if outcome == "kept":
        assert renewal is None
        assert world.refreshed_with == []
        return
    assert renewal is not None
    new_token, seconds = renewal
    assert seconds == LIFETIME
    assert world.refreshed_with == ["rt-0"]
    assert new_token != world.token
    again, second = world.check(new_token)  # the new token is accepted as it is
    assert (again.username, second) == ("alice", None)


def test_a_rotated_refresh_token_is_kept_and_used_next_time() -> None:
    world = RefreshWorld()
    world.clock.advance(400)
    _, renewal = world.check()
    assert renewal is not None
    world.clock.advance(400)
    _, second = world.check(renewal[0])
    assert second is not None
    assert world.refreshed_with == ["rt-0", "rt-1"]


def test_a_request_with_the_old_token_after_a_refresh_gets_the_new_one_without_a_call() -> None:
    world = RefreshWorld()
    world.clock.advance(400)
    _, renewal = world.check()
    _, again = world.check()  # a second tab still had the old cookie
    assert renewal is not None
    assert again == (renewal[0], renewal[1])
    assert world.refreshed_with == ["rt-0"]


def test_refreshes_of_one_session_are_spaced() -> None:
    world = RefreshWorld(CONFIG + "refreshTokenThreshold: 20m\n")  # over the lifetime
    _, first = world.check()
    assert first is None  # the login itself was less than MIN_INTERVAL ago
    world.clock.advance(MIN_INTERVAL)
    _, renewal = world.check()
    assert renewal is not None
    _, again = world.check(renewal[0])
    assert again is None
    assert world.refreshed_with == ["rt-0"]


def test_a_refresh_the_provider_refuses_leaves_the_token_its_own_verdict(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = RefreshWorld()
    world.idp.on_refresh = lambda _rt: httpx2.Response(
        400, json={"error": "invalid_grant", "error_description": "Session not active"}
    )
    world.clock.advance(400)
    with caplog.at_level(logging.WARNING):
        principal, renewal = world.check()
    assert (principal.username, renewal) == ("alice", None)
    assert "SSO session of alice not refreshed" in caplog.text
    assert "invalid_grant (Session not active)" in caplog.text
    assert "rt-0" not in caplog.text
    assert world.token not in caplog.text
    assert len(world.service.refreshes) == 0  # a refused refresh token is dropped
    world.clock.advance(LIFETIME)
    with pytest.raises(InvalidToken, match="token expired"):
        world.check()


def test_an_unreachable_provider_keeps_the_refresh_token_for_the_next_try(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = RefreshWorld()

    def down(_rt: str) -> httpx2.Response:
        raise httpx2.ConnectError("refused")

    world.idp.on_refresh = down
    world.clock.advance(LIFETIME + 100)
    with caplog.at_level(logging.WARNING), pytest.raises(InvalidToken, match="token expired"):
        world.check()
    assert "issuer unreachable" in caplog.text
    world.idp.on_refresh = world.answer
    _, renewal = world.check()
    assert renewal is not None


def test_a_refreshed_id_token_is_validated_like_a_login() -> None:
    world = RefreshWorld()
    world.idp.on_refresh = lambda _rt: httpx2.Response(
        200, json={"id_token": world.idp.sign(world.claims(aud="someone-else"))}
    )
    world.clock.advance(400)
    principal, renewal = world.check()
    assert (principal.username, renewal) == ("alice", None)


def test_a_refresh_for_another_user_is_refused() -> None:
    world = RefreshWorld()
    world.idp.on_refresh = lambda _rt: httpx2.Response(
        200, json={"id_token": world.idp.sign(world.claims(sub="mallory"))}
    )
    world.clock.advance(400)
    principal, renewal = world.check()
    assert (principal.username, renewal) == ("alice", None)


def test_a_revoked_token_is_not_refreshed() -> None:
    world = RefreshWorld()
    world.clock.advance(400)
    with pytest.raises(InvalidToken):
        world.service.verify_renewing(world.token, ["groups"], lambda _jti: True)
    assert world.refreshed_with == []


def test_logout_of_an_expired_token_forgets_its_refresh_token() -> None:
    world = RefreshWorld()
    world.clock.advance(LIFETIME + 100)
    assert world.service.forget(world.token)
    with pytest.raises(InvalidToken, match="token expired"):
        world.check()
    assert world.refreshed_with == []


def test_logout_forgets_the_refresh_token() -> None:
    world = RefreshWorld()
    assert len(world.service.refreshes) == 1
    assert world.service.forget(world.token)
    world.clock.advance(400)
    assert world.check()[1] is None
    assert world.refreshed_with == []
    assert not world.service.forget(world.token)


def test_a_forged_token_cannot_forget_a_session() -> None:
    world = RefreshWorld()
    forged = FakeIdp().sign(world.claims())  # the right claims, another provider's key
    assert not world.service.forget(forged)
    assert len(world.service.refreshes) == 1


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300.0), ("90s", 90.0), ("1h30m", 5400.0), ("500ms", 0.5), ("0", 0.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, "refreshTokenThreshold") == seconds


@pytest.mark.parametrize("value", ["5", "-5m", "five minutes", "3d", "5m30", "300"])
def test_bad_thresholds_name_the_key(value: str) -> None:
    world = World(CONFIG + f"refreshTokenThreshold: {value!r}\n")
    assert world.service.config() is None
    with pytest.raises(AuthConfigError, match="refreshTokenThreshold must be a duration"):
        world.service.require()


def test_a_threshold_that_is_not_a_string_is_refused() -> None:
    world = World(CONFIG + "refreshTokenThreshold: 300\n")
    with pytest.raises(AuthConfigError, match="refreshTokenThreshold must be a duration"):
        world.service.require()


def test_the_store_is_bounded() -> None:
    clock = [1000.0]
    store = RefreshStore(clock=lambda: clock[0], max_entries=2)
    for n in range(3):
        assert store.keep(f"k{n}", f"rt-{n}", "id", {})
    assert (store.get("k0"), len(store)) == (None, 2)  # the oldest went first
    assert not store.keep("big", "x" * (MAX_TOKEN_BYTES + 1), "id", {})
    clock[0] += MAX_AGE
    assert store.get("k1") is None  # an opaque refresh token lives MAX_AGE at most


def test_a_jwt_refresh_token_expires_with_its_exp() -> None:
    clock = [1000.0]
    store = RefreshStore(clock=lambda: clock[0])
    jwt = FakeIdp().sign({"exp": 1600})
    assert store.keep("k", jwt, "id", {})
    clock[0] = 1599.0
    assert store.get("k") is not None
    clock[0] = 1600.0
    assert store.get("k") is None


def test_the_api_hands_a_refreshed_session_back_and_logout_forgets_it() -> None:
    world = RefreshWorld()
    revocations = Revocations(clock=world.clock)
    service = Authenticator(
        cast(Any, None),
        "argocd",
        lambda: AuthInputs(configmap=world.cm),
        clock=world.clock,
        is_revoked=revocations.is_revoked,
    )
    service.oidc = world.service  # the in-process provider's
    api = ServiceAuth(service, lambda _name: None, revocations)
    assert api.verify(world.token).renewal is None
    world.clock.advance(400)
    caller = api.verify(world.token)
    assert caller.username == "alice"
    assert caller.renewal is not None
    renewed, seconds = caller.renewal
    assert seconds == LIFETIME
    assert api.verify(renewed).renewal is None
    asyncio.run(api.logout(renewed))
    assert len(world.service.refreshes) == 0
    with pytest.raises(ApiError, match="invalid session"):
        api.verify(renewed)  # revoked
    world.clock.advance(400)  # the first token has just expired, its session is forgotten
    with pytest.raises(ApiError, match="token expired"):
        api.verify(world.token)
    assert world.refreshed_with == ["rt-0"]


def test_an_old_token_is_not_answered_with_a_newer_token_that_expired_too() -> None:
    world = RefreshWorld(CONFIG)  # no threshold: refreshes only after expiry
    short = world.answer

    def thirty_seconds(refresh_token: str) -> httpx2.Response:
        answer = short(refresh_token)
        if answer.status_code == 200:  # the same tokens, with an ID token of 30 s
            body = answer.json()
            now = int(world.clock.now)
            claims = world.claims(iat=now, exp=now + 30, jti=f"short-{world.issued}")
            body["id_token"] = world.idp.sign(claims)
            return httpx2.Response(200, json=body)
        return answer

    world.idp.on_refresh = thirty_seconds
    world.clock.advance(LIFETIME + 100)
    _, second = world.check()
    assert second is not None
    world.clock.advance(100)  # the second token expired 70 s ago, the first 200 s ago
    principal, third = world.check()  # the first, in its grace: the session is refreshed again
    assert principal.username == "alice"
    assert third is not None
    assert third[0] not in (world.token, second[0])
    assert world.refreshed_with == ["rt-0", "rt-1"]
