"""Accounts and auth settings from argocd-cm/argocd-secret data (tables in testdata/)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kapstan.services.auth.accounts import (
    Accounts,
    TokenRecord,
    format_mtime,
    format_tokens,
    parse_bool,
    parse_mtime,
    parse_tokens,
)
from kapstan.services.auth.config import AuthConfig, AuthInputs
from tests.unit.services.auth.helpers import cases


@pytest.mark.parametrize("case", cases("accounts.yaml"), ids=lambda c: c["name"])
def test_accounts_parse(case: dict[str, Any]) -> None:
    accounts = Accounts.parse(case.get("cm") or {}, case.get("secret") or {})
    want = case["expect"]
    assert sorted(accounts.by_name) == sorted(want["accounts"])
    for name, fields in want["accounts"].items():
        account = accounts.by_name[name]
        got = {
            "enabled": account.enabled,
            "usable": account.usable,
            "capabilities": sorted(c.value for c in account.capabilities),
            "hash": bool(account.password_hash),
            "mtime": account.password_mtime,
            "tokens": [[t.id, t.issued_at, t.expires_at] for t in account.tokens],
        }
        assert {f: got[f] for f in fields} == fields, name
    assert len(accounts.problems) == len(want["problems"]), accounts.problems
    for pattern in want["problems"]:
        assert any(re.search(pattern, p) for p in accounts.problems), (pattern, accounts.problems)


def test_problems_never_quote_values() -> None:
    cm = {"admin.enabled": "s3cr3t-typo", "accounts.a": "login", "accounts.a.enabled": "xyz1"}
    secret = {"accounts.a.passwordMtime": "zzz-mtime", "admin.tokens": "[tok-value"}
    problems = " ".join(Accounts.parse(cm, secret).problems)
    assert problems  # the cases above are all reported...
    for value in ("s3cr3t-typo", "xyz1", "zzz-mtime", "tok-value"):
        assert value not in problems  # ...by key only


@pytest.mark.parametrize("case", cases("config.yaml"), ids=lambda c: c["name"])
def test_auth_config(case: dict[str, Any]) -> None:
    config = AuthConfig.parse(AuthInputs(case.get("cm") or {}, case.get("secret") or {}))
    want = dict(case["expect"])
    problems = want.pop("problems", None)
    if problems is not None:
        assert len(config.problems) == problems, config.problems
    if "secret_key" in want:
        assert config.secret_key == want.pop("secret_key").encode()
    assert {f: getattr(config, f) for f in want} == want


def test_mtime_round_trip_is_go_rfc3339() -> None:
    assert format_mtime(1704164645.9) == "2024-01-02T03:04:05Z"  # whole seconds, Z
    assert parse_mtime("2024-01-02T03:04:05Z") == 1704164645
    assert parse_mtime("2024-01-02T03:04:05.5Z") == 1704164645.5  # Go accepts fractions
    for bad in ("2024-01-02", "2024-01-02 03:04:05Z", "2024-01-02T03:04:05", "now"):
        with pytest.raises(ValueError, match="RFC 3339"):
            parse_mtime(bad)


def test_tokens_json_as_go_writes_it() -> None:
    tokens = (TokenRecord("a", 10), TokenRecord("b", 11, 20))
    text = format_tokens(tokens)
    assert text == '[{"id":"a","iat":10},{"id":"b","iat":11,"exp":20}]'  # exp omitted when 0
    assert parse_tokens(text) == tokens
    for bad in ('{"id":"a"}', '[{"id":"a","iat":1.5}]', '[{"id":"a","iat":true}]', "[1]", "[x"):
        with pytest.raises(ValueError):  # noqa: PT011 - the message is deliberately bland
            parse_tokens(bad)


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        *[("1", True), ("t", True), ("TRUE", True), ("True", True)],
        *[("0", False), ("F", False), ("false", False)],
        *[("yes", None), ("", None), (" true", None)],
    ],
)
def test_parse_bool_is_go_strconv(raw: str, want: bool | None) -> None:
    assert parse_bool(raw) is want


def test_token_lookup_by_id() -> None:
    account = Accounts.parse(
        {"accounts.a": "apiKey"}, {"accounts.a.tokens": '[{"id":"x","iat":1}]'}
    )
    alice = account.get("a")
    assert alice is not None
    assert alice.token("x") == TokenRecord("x", 1)
    assert alice.token("y") is None
    assert alice.token("") is None
