"""bcrypt verification (one comparison on every path, the dummy hash when there is no hash),
hashing as Go's bcrypt does, passwordPattern as Go's MatchString, the initial password."""

from __future__ import annotations

import bcrypt
import pytest

from kapstan.services.auth import passwords as pw
from kapstan.services.auth.errors import PasswordPolicyError
from tests.unit.services.auth.helpers import fast_hash

GOOD = fast_hash("right-password")


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The hashes bcrypt.checkpw was called with (the real comparison still runs)."""
    seen: list[bytes] = []
    real = bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        seen.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", spy)
    return seen


def test_right_and_wrong_password(comparisons: list[bytes]) -> None:
    assert pw.verify_password("right-password", GOOD) is True
    assert pw.verify_password("wrong-password", GOOD) is False
    assert comparisons == [GOOD.encode(), GOOD.encode()]


@pytest.mark.parametrize(
    ("password", "stored"),
    [
        pytest.param("right-password", "", id="unknown account (no hash)"),
        pytest.param("", GOOD, id="blank password"),
        pytest.param("x" * 73, GOOD, id="over bcrypt's 72 bytes"),
        pytest.param("é" * 37, GOOD, id="over 72 bytes in UTF-8"),
    ],
)
def test_no_usable_hash_costs_one_dummy_comparison(
    comparisons: list[bytes], password: str, stored: str
) -> None:
    assert pw.verify_password(password, stored) is False
    assert comparisons == [pw.DUMMY_HASH]


def test_malformed_hash_still_costs_one_full_comparison(comparisons: list[bytes]) -> None:
    assert pw.verify_password("right-password", "not-a-bcrypt-hash") is False
    assert comparisons == [b"not-a-bcrypt-hash", pw.DUMMY_HASH]


def test_dummy_hash_costs_what_argo_hashes_cost() -> None:
    # Same cost factor as Argo CD's (bcrypt.DefaultCost = 10): equal work, not equal timing luck.
    assert pw.DUMMY_HASH.startswith(b"$2a$10$")
    assert pw.hash_password("x" * 8).startswith("$2a$10$")


def test_hash_password_round_trip_and_refusals() -> None:
    hashed = pw.hash_password("new-password-1")
    assert pw.verify_password("new-password-1", hashed)
    assert hashed != pw.hash_password("new-password-1")  # salted
    assert pw.hash_password("p" * 8, cost=4).startswith("$2a$10$")  # never below Argo's minimum
    with pytest.raises(PasswordPolicyError, match="blank"):
        pw.hash_password("")
    with pytest.raises(PasswordPolicyError, match="72 bytes"):
        pw.hash_password("y" * 73)


@pytest.mark.parametrize(
    ("password", "pattern", "ok"),
    [
        ("12345678", r"^.{8,32}$", True),
        ("1234567", r"^.{8,32}$", False),
        ("x" * 33, r"^.{8,32}$", False),
        ("ünïcødé!", r"^.{8,32}$", True),  # characters, not bytes (as RE2 counts runes)
        ("abc1", r"[0-9]", True),  # a search, as Go's MatchString
        ("abcd", r"[0-9]", False),
    ],
)
def test_password_pattern(password: str, pattern: str, ok: bool) -> None:
    if ok:
        pw.check_policy(password, pattern)
        return
    with pytest.raises(PasswordPolicyError, match="does not match") as caught:
        pw.check_policy(password, pattern)
    assert password not in str(caught.value)


def test_invalid_pattern_refuses_every_password() -> None:
    with pytest.raises(PasswordPolicyError, match="not a valid regex"):
        pw.check_policy("anything-at-all", "([")


def test_initial_password_is_argo_shaped() -> None:
    generated = {pw.generate_initial_password() for _ in range(50)}
    assert len(generated) == 50
    for password in generated:
        assert len(password) == 16
        assert set(password) <= set(pw.INITIAL_ALPHABET)
    assert set(pw.INITIAL_ALPHABET) == set(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-"
    )
