"""HTTPS remotes: a per-repository CA is trusted, an unknown one is refused with a clear error,
``insecure`` skips verification, and the password never shows."""

from __future__ import annotations

import asyncio
import dataclasses
import traceback
from pathlib import Path

import pytest

from kapstan.source import errors
from kapstan.source.credentials import RepoCredentials
from kapstan.source.git import GitClient
from kapstan.testing.gitservers import GitRepoFixture

from .conftest import HTTP_PASSWORD, HTTP_USER, Remote


def _everything(err: BaseException) -> str:
    return str(err) + repr(err) + "".join(traceback.format_exception(err))


def test_trusted_ca_fetches_and_checks_out(
    https_remote: Remote, git_repo: GitRepoFixture, cache_root: Path
) -> None:
    client = GitClient(https_remote.url, https_remote.credentials, cache_root=cache_root)
    sha = asyncio.run(client.resolve("v1.2.3"))
    assert sha == git_repo.commits["c2"]
    out = asyncio.run(client.checkout(sha, cache_root))
    assert (out / "version.txt").read_text() == "c2\n"


def test_untrusted_certificate_fails_clearly(https_remote: Remote, cache_root: Path) -> None:
    creds = RepoCredentials(username=HTTP_USER, password=HTTP_PASSWORD)  # no CA
    client = GitClient(https_remote.url, creds, cache_root=cache_root)
    for op in (client.resolve("main"), client.fetch()):
        with pytest.raises(errors.TLSVerificationFailed) as err:
            asyncio.run(op)
        assert https_remote.url in str(err.value)
        assert "not trusted" in str(err.value)
        assert HTTP_PASSWORD not in _everything(err.value)


def test_wrong_ca_fails(https_remote: Remote, cache_root: Path, tmp_path: Path) -> None:
    from kapstan.localcluster import pki

    other = pki.generate(tmp_path / "other").ca_cert.read_text()
    creds = dataclasses.replace(https_remote.credentials, tls_ca_data=other)
    client = GitClient(https_remote.url, creds, cache_root=cache_root)
    with pytest.raises(errors.TLSVerificationFailed) as err:
        asyncio.run(client.resolve("main"))
    assert HTTP_PASSWORD not in _everything(err.value)


def test_insecure_skips_verification(
    https_remote: Remote, git_repo: GitRepoFixture, cache_root: Path
) -> None:
    creds = RepoCredentials(username=HTTP_USER, password=HTTP_PASSWORD, insecure=True)
    client = GitClient(https_remote.url, creds, cache_root=cache_root)
    assert asyncio.run(client.resolve("main")) == git_repo.commits["main"]


def test_wrong_password_over_https(https_remote: Remote, cache_root: Path) -> None:
    wrong = "wrong-https-password-77"
    creds = dataclasses.replace(https_remote.credentials, password=wrong)
    client = GitClient(https_remote.url, creds, cache_root=cache_root)
    with pytest.raises(errors.AuthenticationFailed) as err:
        asyncio.run(client.resolve("main"))
    assert wrong not in _everything(err.value)


def test_embedded_credentials_keep_the_ca(
    https_remote: Remote, git_repo: GitRepoFixture, cache_root: Path
) -> None:
    url = https_remote.url.replace("https://", f"https://{HTTP_USER}:{HTTP_PASSWORD}@")
    ca_only = RepoCredentials(tls_ca_data=https_remote.credentials.tls_ca_data)
    client = GitClient(url, ca_only, cache_root=cache_root)
    assert HTTP_PASSWORD not in repr(client)
    assert asyncio.run(client.resolve("main")) == git_repo.commits["main"]
