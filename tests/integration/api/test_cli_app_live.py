"""``kapstan`` the CLI, run as a user runs it, against ``kapstan server --with-controller`` on
the real cluster: log in, create an app from flags, see it Synced and Healthy in ``app get``
with its pods in ``-o tree``, list it, delete it."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from kapstan.demo.children import kapstan_argv
from kapstan.localcluster.process import CommandError, capture
from kapstan.testing.waiting import wait_for
from tests.integration.api.conftest import IN_CLUSTER, Install

pytestmark = pytest.mark.cluster


def test_the_cli_creates_shows_lists_and_deletes_an_app(install: Install, tmp_path: Path) -> None:
    server = install.start_server("--with-controller")
    env = {**os.environ, "KAPSTAN_CONFIG": str(tmp_path / "config"), "NO_COLOR": "1"}

    def kapstan(*argv: str) -> str:
        return capture(kapstan_argv(*argv), env=env)

    address = server.base_url.removeprefix("http://")
    password = install.admin_password()
    kapstan("login", address, "--plaintext", "--username", "admin", "--password", password)
    name = f"web-{uuid.uuid4().hex[:6]}"
    created = kapstan(
        "app", "create", name, "--repo", install.repo.as_uri(), "--path", "web",
        "--revision", "main", "--dest-server", IN_CLUSTER, "--dest-namespace", name,
        "--sync-policy", "automated", "--sync-option", "CreateNamespace=true",
    )  # fmt: skip
    assert created == f"application '{name}' created\n"

    def ready() -> str | None:
        shown = kapstan("app", "get", name)
        healthy = "\nHealth Status:      Healthy\n" in shown
        return shown if healthy and "\nSync Status:        Synced to main (" in shown else None

    shown = wait_for("app get shows the app Synced and Healthy", ready, 120)
    assert f"Name:               {install.ns}/{name}\n" in shown
    assert "GROUP  KIND" in shown

    def with_pods() -> str | None:
        tree = kapstan("app", "get", name, "-o", "tree")
        return tree if "Pod/" in tree else None

    tree = wait_for("the tree reaches the pods", with_pods, 60)
    assert "Deployment/" in tree
    assert f"{install.ns}/{name}\n" in kapstan("app", "list", "-o", "name")

    assert kapstan("app", "delete", name, "-y") == f"application '{name}' deleted\n"

    def gone() -> bool:
        try:
            kapstan("app", "get", name, "-o", "json")
        except CommandError as err:
            return "not found" in err.output or "permission denied" in err.output
        return False

    wait_for("the app is gone", gone, 120)
