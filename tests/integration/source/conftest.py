"""Real git remotes for the source tests: file://, lighttpd (HTTP basic auth), the same behind
TLS (HTTPS with a test CA) and sshd.

Each server is session-scoped, bound to 127.0.0.1 on a free port and stopped at the end; the
``remote`` fixture is parametrized over the four transports and starts a server only when a
test asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kapstan.source.credentials import RepoCredentials
from kapstan.testing import gitservers

HTTP_USER = "alice"
HTTP_PASSWORD = "correct-horse-battery-staple-42"


@dataclass(frozen=True)
class Remote:
    """One way to reach the test repository."""

    transport: str
    url: str
    credentials: RepoCredentials


@pytest.fixture(scope="session")
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> gitservers.GitRepoFixture:
    return gitservers.build_repo(tmp_path_factory.mktemp("projects"))


@pytest.fixture(scope="session")
def http_server(
    tmp_path_factory: pytest.TempPathFactory, git_repo: gitservers.GitRepoFixture
) -> Iterator[gitservers.Server]:
    with gitservers.http_server(
        tmp_path_factory.mktemp("lighttpd"), git_repo.bare.parent, {HTTP_USER: HTTP_PASSWORD}
    ) as server:
        yield server


@pytest.fixture(scope="session")
def https_server(
    tmp_path_factory: pytest.TempPathFactory, git_repo: gitservers.GitRepoFixture
) -> Iterator[gitservers.Server]:
    with gitservers.https_server(
        tmp_path_factory.mktemp("https"), git_repo.bare.parent, {HTTP_USER: HTTP_PASSWORD}
    ) as server:
        yield server


@pytest.fixture(scope="session")
def ssh_client_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return gitservers.ssh_keypair(tmp_path_factory.mktemp("sshclient") / "id_ed25519")


@pytest.fixture(scope="session")
def ssh_server(
    tmp_path_factory: pytest.TempPathFactory, ssh_client_key: tuple[str, str]
) -> Iterator[gitservers.Server]:
    with gitservers.ssh_server(tmp_path_factory.mktemp("sshd"), ssh_client_key[1]) as server:
        yield server


@pytest.fixture
def http_remote(http_server: gitservers.Server, git_repo: gitservers.GitRepoFixture) -> Remote:
    return Remote(
        "http",
        f"{http_server.base_url}/{git_repo.bare.name}",
        RepoCredentials(username=HTTP_USER, password=HTTP_PASSWORD),
    )


@pytest.fixture
def https_remote(https_server: gitservers.Server, git_repo: gitservers.GitRepoFixture) -> Remote:
    return Remote(
        "https",
        f"{https_server.base_url}/{git_repo.bare.name}",
        RepoCredentials(
            username=HTTP_USER, password=HTTP_PASSWORD, tls_ca_data=https_server.ca_pem
        ),
    )


@pytest.fixture
def ssh_remote(
    ssh_server: gitservers.Server,
    ssh_client_key: tuple[str, str],
    git_repo: gitservers.GitRepoFixture,
) -> Remote:
    creds = RepoCredentials(ssh_private_key=ssh_client_key[0], known_hosts=ssh_server.known_hosts)
    return Remote("ssh", f"{ssh_server.base_url}{git_repo.bare}", creds)


@pytest.fixture(params=["file", "http", "https", "ssh"])
def remote(request: pytest.FixtureRequest, git_repo: gitservers.GitRepoFixture) -> Remote:
    if request.param == "file":
        return Remote("file", git_repo.file_url, RepoCredentials())
    found: Remote = request.getfixturevalue(f"{request.param}_remote")
    return found


@pytest.fixture
def cache_root(tmp_path: Path) -> Path:
    return tmp_path / "cache"
