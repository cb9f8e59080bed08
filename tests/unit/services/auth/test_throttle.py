"""Login throttling with a fake clock: Argo CD's 5 failures in 300 s, bounded memory, the
concurrency cap, and the environment variables."""

from __future__ import annotations

import random

import pytest

from kapstan.services.auth.errors import TooManyAttempts
from kapstan.services.auth.throttle import LoginSlots, LoginThrottle, ThrottleSettings
from tests.unit.services.auth.helpers import FakeClock


def test_five_failures_refuse_the_sixth_until_the_window_passes() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(ThrottleSettings(), clock=clock)
    for _ in range(4):
        throttle.failed("alice")
        assert not throttle.refused("alice")
    throttle.failed("alice")
    assert throttle.refused("alice")
    clock.advance(299)
    assert throttle.refused("alice")  # refused attempts do not restart the window...
    clock.advance(1)
    assert throttle.refused("alice")  # ...which includes its last second (Argo: <=)
    clock.advance(0.5)
    assert not throttle.refused("alice")
    assert not throttle.refused("bob")  # per username


def test_after_the_window_a_new_failure_starts_counting_again() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(ThrottleSettings(), clock=clock)
    for _ in range(5):
        throttle.failed("alice")
    clock.advance(301)
    throttle.failed("alice")
    assert throttle.failure_count("alice") == 1
    assert not throttle.refused("alice")


def test_success_forgets_the_failures() -> None:
    throttle = LoginThrottle(ThrottleSettings(), clock=FakeClock())
    for _ in range(4):
        throttle.failed("alice")
    throttle.succeeded("alice")
    assert throttle.failure_count("alice") == 0
    throttle.failed("alice")
    assert not throttle.refused("alice")


def test_a_zero_window_never_forgets() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(ThrottleSettings(max_failures=2, window=0), clock=clock)
    throttle.failed("alice")
    throttle.failed("alice")
    clock.advance(10**9)
    assert throttle.refused("alice")


def test_memory_is_bounded_and_admin_is_never_evicted() -> None:
    clock = FakeClock()
    settings = ThrottleSettings(cache_size=10)
    throttle = LoginThrottle(settings, clock=clock, rng=random.Random(7))
    for _ in range(5):
        throttle.failed("admin")
    for i in range(500):  # an attacker spraying names to push admin's count out
        throttle.failed(f"user-{i}")
        assert len(throttle) <= 10
    assert throttle.refused("admin")
    assert throttle.failure_count("user-499") == 1  # the current user is kept too


def test_expired_entries_make_room_first() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(ThrottleSettings(cache_size=3), clock=clock)
    throttle.failed("a")
    throttle.failed("b")
    clock.advance(301)
    throttle.failed("c")
    assert len(throttle) == 1


def test_concurrency_cap_refuses_at_once_and_frees_slots() -> None:
    slots = LoginSlots(2)
    with slots.slot(), slots.slot():
        with pytest.raises(TooManyAttempts) as caught, slots.slot():
            pass
        assert caught.value.reason == "concurrency"
    assert slots.in_progress == 0
    with slots.slot():  # free again
        assert slots.in_progress == 1
    unlimited = LoginSlots(0)
    with unlimited.slot(), unlimited.slot(), unlimited.slot():
        assert unlimited.in_progress == 3


@pytest.mark.parametrize(
    ("env", "want"),
    [
        ({}, ThrottleSettings(5, 300, 1000, 50)),
        (
            {
                "ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT": "3",
                "ARGOCD_SESSION_FAILURE_WINDOW_SECONDS": "60",
                "ARGOCD_SESSION_MAX_CACHE_SIZE": "20",
                "ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT": "10",
            },
            ThrottleSettings(3, 60, 20, 10),
        ),
        ({"ARGOCD_SESSION_FAILURE_WINDOW_SECONDS": "0"}, ThrottleSettings(5, 0, 1000, 50)),
        ({"ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT": "0"}, ThrottleSettings()),  # below minimum
        ({"ARGOCD_SESSION_MAX_CACHE_SIZE": "lots"}, ThrottleSettings()),  # not a number
        ({"ARGOCD_API_SERVER_REPLICAS": "3"}, ThrottleSettings(max_concurrent=16)),
        ({"ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT": "0"}, ThrottleSettings(max_concurrent=0)),
    ],
)
def test_settings_from_argo_environment(env: dict[str, str], want: ThrottleSettings) -> None:
    assert ThrottleSettings.from_env(env) == want
