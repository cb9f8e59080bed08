"""URL normalization and credential stripping, table-driven from testdata/urls.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.source.urls import is_ssh_url, normalize_url, same_url, strip_credentials

DATA: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "testdata/urls.yaml").read_text())
NORMALIZE = [(u, case["normalized"]) for case in DATA["normalize"] for u in case["urls"]]


@pytest.mark.parametrize(("url", "expected"), NORMALIZE)
def test_normalize(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize(("left", "right"), DATA["different"])
def test_different_repositories(left: str, right: str) -> None:
    assert not same_url(left, right)


@pytest.mark.parametrize("case", DATA["strip"], ids=lambda c: c["url"])
def test_strip_credentials(case: dict[str, Any]) -> None:
    assert strip_credentials(case["url"]) == (case["clean"], case["username"], case["password"])


def test_normalized_url_never_contains_a_password() -> None:
    assert "hunter2" not in normalize_url("https://user:hunter2@github.com/a/b")
    assert "hunter2" not in normalize_url("ssh://git:hunter2@github.com/a/b")


@pytest.mark.parametrize(
    ("url", "ssh"),
    [
        ("git@github.com:a/b", True),
        ("ssh://git@github.com/a/b", True),
        ("https://github.com/a/b", False),
        ("https://user@github.com/a/b", False),
        ("file:///srv/repo", False),
    ],
)
def test_is_ssh_url(url: str, ssh: bool) -> None:
    assert is_ssh_url(url) is ssh
