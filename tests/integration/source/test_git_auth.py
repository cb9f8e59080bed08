"""Authentication over HTTP (lighttpd basic auth) and SSH (sshd), and that no secret leaks
into exception text, tracebacks or logs."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import traceback
from pathlib import Path

import pytest

from kapstan.source import errors
from kapstan.source.credentials import RepoCredentials
from kapstan.source.git import GitClient
from kapstan.testing.gitservers import GitRepoFixture, Server

from .conftest import HTTP_PASSWORD, HTTP_USER, Remote

WRONG = "wrong-password-Zq81x"


def _everything(err: BaseException) -> str:
    """Every text a user could see: message, repr, and the full chained traceback."""
    return str(err) + repr(err) + "".join(traceback.format_exception(err))


def test_wrong_password_fails_without_leaking(
    http_remote: Remote, cache_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    creds = RepoCredentials(username=HTTP_USER, password=WRONG)
    client = GitClient(http_remote.url, creds, cache_root=cache_root)
    for op in (client.resolve("main"), client.fetch()):
        with pytest.raises(errors.AuthenticationFailed) as err:
            asyncio.run(op)
        assert http_remote.url in str(err.value)
        assert WRONG not in _everything(err.value)
    assert WRONG not in caplog.text
    assert WRONG not in repr(client)


def test_no_credentials_fails_with_authentication_failed(
    http_remote: Remote, cache_root: Path
) -> None:
    client = GitClient(http_remote.url, cache_root=cache_root)
    with pytest.raises(errors.AuthenticationFailed):
        asyncio.run(client.resolve("HEAD"))


def test_embedded_credentials_work_and_never_leak(
    http_server: Server,
    git_repo: GitRepoFixture,
    cache_root: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    host = http_server.base_url.removeprefix("http://")
    good = GitClient(
        f"http://{HTTP_USER}:{HTTP_PASSWORD}@{host}/{git_repo.bare.name}", cache_root=cache_root
    )
    assert HTTP_PASSWORD not in good.url
    assert HTTP_PASSWORD not in repr(good)
    assert asyncio.run(good.resolve("v1.2.3")) == git_repo.commits["c2"]
    # The cache repository must not have stored the URL with its password either.
    asyncio.run(good.fetch())
    assert HTTP_PASSWORD not in (good.repo_dir / "config").read_text()
    assert not (good.repo_dir / "FETCH_HEAD").exists()

    bad = GitClient(
        f"http://{HTTP_USER}:{WRONG}@{host}/{git_repo.bare.name}", cache_root=cache_root
    )
    with pytest.raises(errors.AuthenticationFailed) as err:
        asyncio.run(bad.resolve("main"))
    assert WRONG not in _everything(err.value)
    assert WRONG not in caplog.text
    assert HTTP_PASSWORD not in caplog.text


def test_ssh_unknown_host_key_is_refused(ssh_remote: Remote, cache_root: Path) -> None:
    creds = dataclasses.replace(ssh_remote.credentials, known_hosts=None)
    client = GitClient(ssh_remote.url, creds, cache_root=cache_root)
    with pytest.raises(errors.HostKeyVerificationFailed):
        asyncio.run(client.resolve("main"))


def test_ssh_insecure_skips_host_key_check(
    ssh_remote: Remote, git_repo: GitRepoFixture, cache_root: Path
) -> None:
    creds = dataclasses.replace(ssh_remote.credentials, known_hosts=None, insecure=True)
    client = GitClient(ssh_remote.url, creds, cache_root=cache_root)
    assert asyncio.run(client.resolve("main")) == git_repo.commits["main"]


def test_ssh_wrong_key_fails_without_leaking(
    ssh_remote: Remote, cache_root: Path, tmp_path: Path
) -> None:
    from kapstan.testing.gitservers import ssh_keypair

    other_key, _ = ssh_keypair(tmp_path / "other")
    creds = dataclasses.replace(ssh_remote.credentials, ssh_private_key=other_key)
    client = GitClient(ssh_remote.url, creds, cache_root=cache_root)
    with pytest.raises(errors.AuthenticationFailed) as err:
        asyncio.run(client.fetch())
    assert other_key.strip().splitlines()[1] not in _everything(err.value)
    # The temporary key file is gone once the command finished.
    assert not list(cache_root.glob("ssh-*"))


@pytest.mark.parametrize("transport", ["file", "http"])
def test_missing_repository(
    transport: str, request: pytest.FixtureRequest, git_repo: GitRepoFixture, cache_root: Path
) -> None:
    if transport == "file":
        url, creds = (git_repo.bare.parent / "absent.git").as_uri(), RepoCredentials()
    else:
        remote: Remote = request.getfixturevalue("http_remote")
        url, creds = remote.url.replace(git_repo.bare.name, "absent.git"), remote.credentials
    with pytest.raises(errors.RepositoryNotFound) as err:
        asyncio.run(GitClient(url, creds, cache_root=cache_root).resolve("main"))
    assert "absent.git" in str(err.value)
    assert HTTP_PASSWORD not in _everything(err.value)


def test_ssh_without_key_is_refused(ssh_remote: Remote, cache_root: Path) -> None:
    # The host's own ~/.ssh keys must not be tried when the repository has none configured.
    creds = dataclasses.replace(ssh_remote.credentials, ssh_private_key=None)
    with pytest.raises(errors.AuthenticationFailed):
        asyncio.run(GitClient(ssh_remote.url, creds, cache_root=cache_root).resolve("main"))
