"""Repository Secrets, credential templates (longest prefix) and secret masking."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.source.credentials import (
    REPO_CREDS,
    REPOSITORY,
    InvalidSecret,
    RepoCredentials,
    credentials_for,
    parse_secret,
)

DATA: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "testdata/credentials.yaml").read_text()
)
PARSED = [parse_secret(s) for s in DATA["secrets"]]
REPOS = [s for s in PARSED if s.kind == REPOSITORY]
TEMPLATES = [s for s in PARSED if s.kind == REPO_CREDS]


@pytest.mark.parametrize("case", DATA["cases"], ids=lambda c: c["url"])
def test_credentials_for(case: dict[str, Any]) -> None:
    creds = credentials_for(case["url"], REPOS, TEMPLATES)
    assert (creds.username, creds.password, creds.insecure) == (
        case["username"],
        case["password"],
        case["insecure"],
    )
    assert bool(creds.ssh_private_key) is case.get("ssh", False)


def test_base64_data_and_string_data() -> None:
    secret = {
        "metadata": {"name": "r", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
        "data": {
            "url": base64.b64encode(b"https://h/r").decode(),
            "password": base64.b64encode(b"from-data").decode(),
        },
        "stringData": {"password": "from-string-data", "type": "git"},
    }
    parsed = parse_secret(secret, known_hosts="h ssh-ed25519 AAAA")
    assert parsed.url == "https://h/r"
    assert parsed.credentials.password == "from-string-data"
    assert parsed.credentials.known_hosts == "h ssh-ed25519 AAAA"


@pytest.mark.parametrize(
    "secret",
    [
        {"metadata": {"name": "x", "labels": {}}, "stringData": {"url": "https://h/r"}},
        {"metadata": {"name": "x", "labels": {"argocd.argoproj.io/secret-type": "cluster"}}},
        {"metadata": {"name": "x", "labels": {"argocd.argoproj.io/secret-type": "repository"}}},
        {
            "metadata": {"name": "x", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
            "data": {"url": "aHR0c", "password": "!!not-base64-hunter2!!"},
        },
    ],
)
def test_invalid_secrets(secret: dict[str, Any]) -> None:
    with pytest.raises(InvalidSecret) as err:
        parse_secret(secret)
    assert "hunter2" not in str(err.value)


def test_repr_and_str_mask_secrets() -> None:
    creds = RepoCredentials(
        username="alice", password="hunter2", ssh_private_key="PRIVATE-KEY-BODY", insecure=True
    )
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert "hunter2" not in text
        assert "PRIVATE-KEY-BODY" not in text
        assert "alice" in text
    assert creds.secrets() == ("hunter2", "PRIVATE-KEY-BODY")
    assert not RepoCredentials(insecure=True).has_credentials


def test_frozen() -> None:
    creds = RepoCredentials(password="x")
    with pytest.raises(AttributeError):
        creds.password = "y"  # type: ignore[misc]
