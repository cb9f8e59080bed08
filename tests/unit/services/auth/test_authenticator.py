"""The facade on FakeKube: logins, throttling, API keys and project tokens with revocation,
password changes, settings edits taking effect without a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import bcrypt
import pytest

from kapstan.services.auth import (
    AccountDisabled,
    AuthConfigError,
    Authenticator,
    CurrentPasswordMismatch,
    InvalidCredentials,
    InvalidRequest,
    InvalidToken,
    MissingCapability,
    NotFound,
    PasswordPolicyError,
    PrincipalKind,
    Rejection,
    ThrottleSettings,
    TooManyAttempts,
)
from kapstan.services.auth.accounts import format_mtime
from kapstan.services.auth.passwords import DUMMY_HASH
from kapstan.testing.fakekube import FakeKube, fake_client
from tests.unit.services.auth.fixtures import (
    ADMIN_PW,
    ALICE_PW,
    authenticator,
    cluster,
    secret_data,
)
from tests.unit.services.auth.fixtures import seeded as _cluster
from tests.unit.services.auth.helpers import NS, START, FakeClock, run


def _drive(
    fake: FakeKube,
    clock: FakeClock,
    steps: Callable[[Authenticator], Awaitable[Any]],
    **kw: Any,
) -> Any:
    async def body() -> Any:
        async with fake_client(fake) as kube:
            return await steps(authenticator(fake, kube, clock, **kw))

    return run(body)


def _projects(fake: FakeKube) -> Callable[[str], dict[str, Any] | None]:
    return lambda name: fake.get_object("AppProject", name, namespace=NS)


def test_login_issues_a_session_of_the_configured_duration() -> None:
    fake, clock = _cluster(**{"users.session.duration": "2h"}), FakeClock()

    async def steps(auth: Authenticator) -> None:
        principal = auth.verify(await auth.login("alice", ALICE_PW))
        assert (principal.username, principal.kind) == ("alice", PrincipalKind.SESSION)
        assert principal.expires_at == principal.issued_at + 7200 == int(START) + 7200
        admin = auth.verify(await auth.login("admin", ADMIN_PW))
        assert admin.username == "admin"

    _drive(fake, clock, steps)


@pytest.mark.parametrize(
    ("username", "password", "error", "message"),
    [
        ("dave", ALICE_PW, InvalidCredentials, "Invalid username or password"),
        ("alice", "wrong-password", InvalidCredentials, "Invalid username or password"),
        ("bob", "bob-Pa55word", AccountDisabled, "Account bob is disabled"),
        ("bob", "wrong-password", InvalidCredentials, "Invalid username or password"),
        ("carol", "carol-Pa55word", MissingCapability, "does not have login capability"),
        ("alice", "", InvalidCredentials, "no credentials supplied"),
        ("", ALICE_PW, InvalidCredentials, "no credentials supplied"),
        ("x" * 33, ALICE_PW, InvalidRequest, r"too long \(32 bytes max\)"),
    ],
)
def test_login_refusals(username: str, password: str, error: type[Exception], message: str) -> None:
    async def steps(auth: Authenticator) -> None:
        with pytest.raises(error, match=message) as caught:
            await auth.login(username, password)
        assert type(caught.value) is error

    _drive(_cluster(), FakeClock(), steps)


def test_login_without_a_signing_key_is_a_config_error() -> None:
    fake = _cluster()
    fake.edit("Secret", "argocd-secret", NS, change={"data": {"server.secretkey": None}})

    async def steps(auth: Authenticator) -> None:
        with pytest.raises(AuthConfigError, match=r"server\.secretkey is not set"):
            await auth.login("alice", ALICE_PW)

    _drive(fake, FakeClock(), steps)


def test_sixth_attempt_is_refused_with_the_right_password_until_the_window_passes() -> None:
    clock = FakeClock()

    async def steps(auth: Authenticator) -> None:
        for _ in range(5):
            with pytest.raises(InvalidCredentials):
                await auth.login("alice", "wrong-password")
        with pytest.raises(TooManyAttempts) as caught:
            await auth.login("alice", ALICE_PW)
        assert caught.value.reason == "failures"
        assert str(caught.value) == "Invalid username or password"  # as Argo CD answers
        assert isinstance(caught.value, InvalidCredentials)
        clock.advance(299)
        with pytest.raises(TooManyAttempts):
            await auth.login("alice", ALICE_PW)
        clock.advance(2)
        assert auth.verify(await auth.login("alice", ALICE_PW)).username == "alice"
        assert auth.throttle.failure_count("alice") == 0  # success resets

    _drive(_cluster(), clock, steps)


def test_unknown_usernames_are_throttled_too() -> None:
    async def steps(auth: Authenticator) -> None:
        for _ in range(5):
            with pytest.raises(InvalidCredentials):
                await auth.login("dave", "guess")
        with pytest.raises(TooManyAttempts):
            await auth.login("dave", "guess")

    _drive(_cluster(), FakeClock(), steps)


def test_every_outcome_waits_the_verification_delay() -> None:
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    async def steps(auth: Authenticator) -> None:
        await auth.login("alice", ALICE_PW)
        for user in ("alice", "dave"):
            with pytest.raises(InvalidCredentials):
                await auth.login(user, "wrong-password")
        with pytest.raises(InvalidCredentials):
            await auth.login("", "")  # refused before any lookup: no delay, as in Argo CD

    _drive(_cluster(), FakeClock(), steps, sleep=sleep, verification_delay=(0.5, 1.0))
    assert len(delays) == 3
    assert all(0 < d <= 1.0 for d in delays)


def test_logins_over_the_concurrency_cap_are_refused_at_once() -> None:
    release = asyncio.Event()

    async def sleep(_seconds: float) -> None:
        await release.wait()  # holds the first login inside its verification delay

    async def steps(auth: Authenticator) -> None:
        first = asyncio.create_task(auth.login("alice", ALICE_PW))
        while auth.slots.in_progress == 0:
            await asyncio.sleep(0.01)
        with pytest.raises(TooManyAttempts) as caught:
            await auth.login("admin", ADMIN_PW)
        assert caught.value.reason == "concurrency"
        release.set()
        assert auth.verify(await first).username == "alice"

    throttle = ThrottleSettings(max_concurrent=1)
    _drive(
        _cluster(), FakeClock(), steps, sleep=sleep, verification_delay=(1, 1), throttle=throttle
    )


def test_api_keys_are_recorded_and_revoked_by_deleting_the_record() -> None:
    fake, clock = _cluster(), FakeClock()

    async def steps(auth: Authenticator) -> None:
        token = await auth.create_api_token("carol", expires_in=60, token_id="ci")
        principal = auth.verify(token)
        assert (principal.username, principal.kind, principal.token_id) == (
            "carol",
            PrincipalKind.API_KEY,
            "ci",
        )
        assert secret_data(fake)["accounts.carol.tokens"] == (
            f'[{{"id":"ci","iat":{int(START)},"exp":{int(START) + 60}}}]'
        )
        forever = await auth.create_api_token("carol")
        with pytest.raises(InvalidRequest, match="already has a token with that id"):
            await auth.create_api_token("carol", token_id="ci")
        await auth.delete_api_token("carol", "ci")
        with pytest.raises(InvalidToken) as caught:
            auth.verify(token)
        assert caught.value.reason is Rejection.REVOKED
        with pytest.raises(NotFound):
            await auth.delete_api_token("carol", "ci")
        clock.advance(10**6)
        assert auth.verify(forever).expires_at is None
        # revoking by hand (kubectl) works the same: the record is what counts
        fake.edit("Secret", "argocd-secret", NS, change={"data": {"accounts.carol.tokens": None}})
        with pytest.raises(InvalidToken):
            auth.verify(forever)

    _drive(fake, clock, steps)


def test_removing_the_last_api_key_removes_the_key() -> None:
    fake = _cluster()

    async def steps(auth: Authenticator) -> None:
        await auth.create_api_token("carol", token_id="only")
        await auth.delete_api_token("carol", "only")

    _drive(fake, FakeClock(), steps)
    assert "accounts.carol.tokens" not in secret_data(fake)  # Argo CD writes no "[]"


@pytest.mark.parametrize(
    ("account", "kwargs", "error"),
    [
        ("dave", {}, NotFound),
        ("bob", {}, MissingCapability),
        ("admin", {}, MissingCapability),  # admin has login only unless accounts.admin says so
        ("carol", {"expires_in": -1}, InvalidRequest),
    ],
)
def test_api_key_refusals(account: str, kwargs: dict[str, Any], error: type[Exception]) -> None:
    async def steps(auth: Authenticator) -> None:
        with pytest.raises(error):
            await auth.create_api_token(account, **kwargs)

    _drive(_cluster(), FakeClock(), steps)


def test_project_tokens_are_recorded_in_the_project_and_revocable() -> None:
    fake, clock = _cluster(), FakeClock()
    projects = _projects(fake)

    async def steps(auth: Authenticator) -> None:
        token = await auth.create_project_token("web", "ci", expires_in=3600, token_id="t1")
        principal = auth.verify(token, projects)
        assert (principal.username, principal.project, principal.role) == (
            "proj:web:ci",
            "web",
            "ci",
        )
        stored = projects("web") or {}
        record = {"iat": int(START), "id": "t1", "exp": int(START) + 3600}
        assert stored["spec"]["roles"][0]["jwtTokens"] == [record]
        assert stored["status"]["jwtTokensByRole"]["ci"]["items"] == [record]
        with pytest.raises(InvalidRequest):
            await auth.create_project_token("web", "ci", token_id="t1")
        assert await auth.delete_project_token("web", "ci", token_id="t1") is True
        assert await auth.delete_project_token("web", "ci", token_id="t1") is False
        with pytest.raises(InvalidToken) as caught:
            auth.verify(token, projects)
        assert caught.value.reason is Rejection.REVOKED

        second = await auth.create_project_token("web", "ci", token_id="t2")
        fake.edit(  # someone deletes the entry from spec by hand
            "AppProject",
            "web",
            NS,
            change=lambda obj: obj["spec"]["roles"][0].update(jwtTokens=[]),
        )
        with pytest.raises(InvalidToken):
            auth.verify(second, projects)
        with pytest.raises(InvalidToken) as caught:
            auth.verify(second)  # no project lookup given: the project is unknown
        assert caught.value.reason is Rejection.UNKNOWN_PROJECT

    _drive(fake, clock, steps)


@pytest.mark.parametrize(("name", "role"), [("nope", "ci"), ("web", "nope")])
def test_project_token_for_unknown_project_or_role(name: str, role: str) -> None:
    async def steps(auth: Authenticator) -> None:
        with pytest.raises(NotFound, match=f"'{name if name == 'nope' else role}'"):
            await auth.create_project_token(name, role)

    _drive(_cluster(), FakeClock(), steps)


def test_password_change_invalidates_earlier_sessions() -> None:
    fake, clock = _cluster(), FakeClock()

    async def steps(auth: Authenticator) -> None:
        before = await auth.login("alice", ALICE_PW)
        key = await auth.create_api_token("alice")
        clock.advance(5)
        await auth.change_password("alice", ALICE_PW, "new-Pa55word")
        for token in (before, key):  # Argo CD's mtime check covers API keys as well
            with pytest.raises(InvalidToken) as caught:
                auth.verify(token)
            assert caught.value.reason is Rejection.PASSWORD_CHANGED
        with pytest.raises(InvalidCredentials):
            await auth.login("alice", ALICE_PW)
        clock.advance(1)
        assert auth.verify(await auth.login("alice", "new-Pa55word")).username == "alice"

    _drive(fake, clock, steps)
    assert secret_data(fake)["accounts.alice.passwordMtime"] == format_mtime(START + 5)


def test_password_change_refusals() -> None:
    async def steps(auth: Authenticator) -> None:
        with pytest.raises(CurrentPasswordMismatch, match="current password does not match"):
            await auth.change_password("alice", "not-it", "new-Pa55word")
        with pytest.raises(PasswordPolicyError, match=r"\^\.\{8,32\}\$"):
            await auth.change_password("alice", ALICE_PW, "short")
        with pytest.raises(InvalidRequest, match="local users"):
            await auth.change_password("proj:web:ci", "x", "new-Pa55word")
        with pytest.raises(NotFound):
            await auth.change_password("admin", ADMIN_PW, "new-Pa55word", account="dave")

    _drive(_cluster(), FakeClock(), steps)


def test_admin_sets_another_account_password_with_their_own() -> None:
    async def steps(auth: Authenticator) -> None:
        await auth.change_password("admin", ADMIN_PW, "set-by-admin", account="alice")
        assert auth.verify(await auth.login("alice", "set-by-admin")).username == "alice"
        assert auth.verify(await auth.login("admin", ADMIN_PW)).username == "admin"

    _drive(_cluster(), FakeClock(), steps)


def test_settings_edits_apply_without_a_restart() -> None:
    fake = _cluster()

    async def steps(auth: Authenticator) -> None:
        session = await auth.login("alice", ALICE_PW)
        assert not auth.anonymous_enabled()
        fake.edit(
            "ConfigMap",
            "argocd-cm",
            NS,
            change={"data": {"accounts.alice.enabled": "false", "users.anonymous.enabled": "true"}},
        )
        with pytest.raises(InvalidToken) as caught:
            auth.verify(session)
        assert caught.value.reason is Rejection.ACCOUNT_DISABLED
        with pytest.raises(AccountDisabled):
            await auth.login("alice", ALICE_PW)
        assert auth.anonymous_enabled()

    _drive(fake, FakeClock(), steps)


def test_sessions_near_their_end_are_renewed() -> None:
    clock = FakeClock()

    async def steps(auth: Authenticator) -> None:
        principal = auth.verify(await auth.login("alice", ALICE_PW))
        assert auth.renew(principal) is None
        clock.advance(121)  # under 3 minutes left of 5
        assert auth.renew(auth.verify(await auth.login("alice", ALICE_PW))) is None  # a new one
        fresh = auth.renew(principal)
        assert fresh is not None
        again = auth.verify(fresh)
        assert again.expires_at == again.issued_at + 300  # same length as the original

    _drive(_cluster(**{"users.session.duration": "5m"}), clock, steps)


def test_bootstrap_then_log_in_with_the_initial_password() -> None:
    fake = cluster(cm={}, sec=None)

    async def steps(auth: Authenticator) -> str:
        await auth.ensure_bootstrap()
        await auth.ensure_bootstrap()
        initial = secret_data(fake, "argocd-initial-admin-secret")["password"]
        return auth.verify(await auth.login("admin", initial)).username

    assert _drive(fake, FakeClock(), steps) == "admin"


@pytest.mark.parametrize("username", ["dave", "alice"])
def test_an_unknown_account_costs_one_comparison_like_a_wrong_password(
    monkeypatch: pytest.MonkeyPatch, username: str
) -> None:
    seen: list[bytes] = []
    real = bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        seen.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", spy)

    async def steps(auth: Authenticator) -> None:
        with pytest.raises(InvalidCredentials):
            await auth.login(username, "wrong-Pa55word")

    _drive(_cluster(), FakeClock(), steps)
    assert len(seen) == 1
    assert (seen[0] == DUMMY_HASH) is (username == "dave")


class _SharedCounts:
    """SharedFailures in a dict: what two replicas' Redis would hold."""

    def __init__(self) -> None:
        self.counts: dict[str, tuple[int, float]] = {}

    async def fetch(self, username: str) -> tuple[int, float] | None:
        return self.counts.get(username)

    async def record(self, username: str, now: float, window: float) -> tuple[int, float] | None:
        count = self.counts.get(username, (0, now))[0] + 1
        self.counts[username] = (count, now)
        return self.counts[username]

    async def clear(self, username: str) -> None:
        self.counts.pop(username, None)


def test_failures_are_shared_between_replicas() -> None:
    """Three failures on one replica and two on another: the sixth attempt is refused on
    either, even with the right password; a success on one clears the count for both."""
    fake, clock, shared = _cluster(), FakeClock(), _SharedCounts()

    async def body() -> None:
        async with fake_client(fake) as kube:
            one = authenticator(fake, kube, clock, shared_failures=shared)
            two = authenticator(fake, kube, clock, shared_failures=shared)
            for replica in (one, one, one, two, two):
                with pytest.raises(InvalidCredentials):
                    await replica.login("alice", "wrong-password")
            for replica in (one, two):
                with pytest.raises(TooManyAttempts):
                    await replica.login("alice", ALICE_PW)
            clock.advance(301)
            assert one.verify(await one.login("alice", ALICE_PW)).username == "alice"
            assert "alice" not in shared.counts
            with pytest.raises(InvalidCredentials):
                await two.login("alice", "wrong-password")
            assert shared.counts["alice"][0] == 1

    run(body)
