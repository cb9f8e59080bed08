"""SSO through the bundled Dex: ``kapstan dex`` as its own process beside ``kapstan server
--dex-server``, on one installation (the UI tests' fixtures, re-exported), with the real
identity providers behind Dex started once per session."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan.demo.children import kapstan_argv
from kapstan.localcluster import process
from kapstan.localcluster.dex import DexBuild
from kapstan.localcluster.ports import free_port
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.waiting import wait_for
from tests.integration.sso.slapd import LdapUser, Slapd, slapd_server
from tests.integration.ui.conftest import Install, browser, install, page, redis

__all__ = ["Install", "browser", "install", "page", "redis"]  # fixtures for this directory


class DexProcess:
    """A running ``kapstan dex`` of an installation."""

    def __init__(self, install: Install) -> None:
        self.port = free_port()
        self.log = install.work / f"dex-{self.port}.log"
        argv = kapstan_argv(
            "dex", "--kubeconfig", str(install.kubeconfig), "--namespace", install.ns,
            "--port", str(self.port), "--poll", "1",
        )  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.handle = process.spawn("kapstan-dex", argv, log=self.log, env=env)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_line(self, fragment: str, *, after: int = 0, timeout: float = 60) -> None:
        wait_for(
            f"`kapstan dex` to log {fragment!r}", lambda: fragment in self.output()[after:], timeout
        )

    def stop(self) -> None:
        process.stop(self.handle)


@pytest.fixture(scope="session")
def dex_binary() -> Path:
    build = DexBuild()
    if not build.is_built():
        pytest.fail(f"Dex is not built ({build.binary}): run `make dex`")
    return build.binary


@pytest.fixture(scope="module")
def dex(install: Install, dex_binary: Path) -> Iterator[DexProcess]:
    del dex_binary  # built
    found = DexProcess(install)
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture(scope="module")
def dex_ui(install: Install, dex: DexProcess) -> ApiServerProcess:
    """``kapstan server --with-controller --dex-server`` (the bundled UI) in front of ``dex``."""
    return install.start_server("--with-controller", "--dex-server", dex.address)


ALICE = LdapUser("alice", secrets.token_urlsafe(12), ("admins",), "Alice Admin")
BOB = LdapUser("bob", secrets.token_urlsafe(12), ("devs",), "Bob Dev")


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    try:
        with slapd_server(tmp_path_factory.mktemp("slapd"), [ALICE, BOB]) as server:
            yield server
    except RuntimeError as err:
        pytest.fail(str(err))
