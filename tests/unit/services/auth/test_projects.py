"""Project role token records: looked up in spec and status, added and removed in both."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kapstan.services.auth import projects as p


def _project(spec_tokens: list[Any], status_tokens: list[Any] | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"spec": {"roles": [{"name": "ci", "jwtTokens": spec_tokens}]}}
    if status_tokens is not None:
        obj["status"] = {"jwtTokensByRole": {"ci": {"items": status_tokens}}}
    return obj


@pytest.mark.parametrize(
    ("project", "token_id", "iat", "found"),
    [
        pytest.param(_project([{"id": "a", "iat": 1}]), "a", 1, True, id="by id, spec only"),
        pytest.param(_project([{"id": "a", "iat": 1}]), "b", 1, False, id="another id, same iat"),
        pytest.param(_project([{"iat": 1}]), "a", 1, True, id="record without id: by iat"),
        pytest.param(_project([{"id": "1", "iat": 1}]), "", 1, True, id="token without jti"),
        pytest.param(_project([{"id": "a", "iat": 1}], []), "a", 1, False, id="gone from status"),
        pytest.param(_project([], [{"id": "a", "iat": 1}]), "a", 1, False, id="gone from spec"),
        pytest.param(
            _project([{"id": "a", "iat": 1}], [{"id": "a", "iat": 1}]), "a", 1, True, id="both"
        ),
        pytest.param({"spec": {"roles": "nonsense"}}, "a", 1, False, id="malformed roles"),
        pytest.param({}, "a", 1, False, id="no spec"),
    ],
)
def test_find_record(project: dict[str, Any], token_id: str, iat: int, found: bool) -> None:
    assert (p.find_record(project, "ci", token_id, iat) is not None) is found


def test_with_and_without_record_keep_spec_and_status_in_step() -> None:
    original = _project([{"id": "old", "iat": 5}])
    before = copy.deepcopy(original)
    added = p.with_record(original, "ci", {"id": "new", "iat": 9})
    assert original == before  # never modified in place
    assert added["spec"]["roles"][0]["jwtTokens"] == [
        {"id": "new", "iat": 9},
        {"id": "old", "iat": 5},
    ]
    assert added["status"]["jwtTokensByRole"]["ci"]["items"] == [{"id": "new", "iat": 9}]
    assert p.find_record(added, "ci", "new", 9) is not None
    assert p.has_token_id(added, "ci", "new")

    removed, changed = p.without_record(added, "ci", "new", -1)
    assert changed
    assert p.find_record(removed, "ci", "new", 9) is None
    assert removed["spec"]["roles"][0]["jwtTokens"] == [{"id": "old", "iat": 5}]
    assert removed["status"]["jwtTokensByRole"]["ci"]["items"] == []

    again, changed = p.without_record(removed, "ci", "new", -1)
    assert not changed
    assert again == removed


def test_remove_by_iat_for_tokens_without_id() -> None:
    removed, changed = p.without_record(_project([{"iat": 7}, {"iat": 8}]), "ci", "", 7)
    assert changed
    assert removed["spec"]["roles"][0]["jwtTokens"] == [{"iat": 8}]


def test_adding_to_a_missing_role_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        p.with_record(_project([]), "nope", {"id": "x", "iat": 1})
