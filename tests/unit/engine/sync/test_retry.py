"""Retry backoff: durations and the min(maxDuration, duration * factor**n) schedule."""

from __future__ import annotations

import pytest

from kapstan.engine.sync.retry import DurationError, RetryPolicy, parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (5, 5.0),
        ("30", 30.0),
        ("5s", 5.0),
        ("3m", 180.0),
        ("1m30s", 90.0),
        ("1h2m3s", 3723.0),
        ("1.5h", 5400.0),
        ("250ms", 0.25),
        ("-2s", -2.0),
        ("0", 0.0),
        ("2\u00b5s", 2e-6),
        ("10ns", 1e-8),
    ],
)
def test_parse_duration(value: int | str, seconds: float) -> None:
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "5x", "s", "1m 30s", "m5", "1.2.3s", True])
def test_parse_duration_rejects(value: str) -> None:
    with pytest.raises(DurationError, match="invalid duration"):
        parse_duration(value)


def test_defaults() -> None:
    policy = RetryPolicy.from_spec({"limit": 5})
    assert policy == RetryPolicy(limit=5, duration=5.0, factor=2.0, max_duration=180.0)
    assert [policy.delay(n) for n in range(7)] == [5, 10, 20, 40, 80, 160, 180]


def test_custom_backoff() -> None:
    spec = {"limit": -1, "backoff": {"duration": "1m30s", "factor": 3, "maxDuration": "10m"}}
    policy = RetryPolicy.from_spec(spec)
    assert [policy.delay(n) for n in range(4)] == [90, 270, 600, 600]
    assert policy.delay(10_000) == 600  # no overflow on huge retry numbers


def test_integer_durations_are_seconds() -> None:
    policy = RetryPolicy.from_spec({"backoff": {"duration": 2, "maxDuration": 7}})
    assert [policy.delay(n) for n in range(4)] == [2, 4, 7, 7]


@pytest.mark.parametrize(
    ("limit", "count", "allowed"),
    [(0, 0, False), (2, 0, True), (2, 1, True), (2, 2, False), (-1, 1000, True)],
)
def test_limit(limit: int, count: int, allowed: bool) -> None:
    assert RetryPolicy(limit=limit).allows(count) is allowed


def test_missing_spec_means_no_retry() -> None:
    assert RetryPolicy.from_spec(None) == RetryPolicy()
    assert not RetryPolicy.from_spec(None).allows(0)


def test_negative_retry_number_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy().delay(-1)
