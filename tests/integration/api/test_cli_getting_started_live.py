"""Argo CD's getting-started flow with the ``kapstan`` CLI only, every command a real process
as a user types it, against ``kapstan server --with-controller`` on the real cluster:

``login`` as admin with the initial password, ``repo add`` a private repository (HTTP basic
auth), ``app create`` from flags, ``app sync``, ``app wait --health``, ``app get -o wide``,
``app diff`` after a commit (exit 1) and after the sync (exit 0), ``app history``, ``app
rollback``, ``app delete --cascade -y``; ``proj create`` + ``proj role create-token`` and a
call with that token; ``account generate-token``; ``cluster add`` of a second local cluster
and an app deployed there.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from kapstan.demo.children import kapstan_argv
from kapstan.localcluster.cluster import LocalCluster
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import capture, completed
from kapstan.localcluster.toolchain import Toolchain
from kapstan.testing import gitservers
from tests.integration.api.conftest import IN_CLUSTER, TESTDATA, Install

pytestmark = pytest.mark.cluster
GIT_USER, GIT_PASSWORD = "deployer", "s3cret-git-Pa55"


@dataclass
class Cli:
    """``kapstan`` as a user runs it, with its own local config."""

    env: dict[str, str]

    def __call__(
        self, *words: str, ok: bool = True, stdin: str | None = None
    ) -> tuple[int, str, str]:
        code, out, err = completed(
            kapstan_argv(*words), env=self.env, stdin=stdin.encode() if stdin else None, timeout=300
        )
        if ok:
            assert code == 0, f"kapstan {' '.join(words)} → {code}\n{out}\n{err}"
        return code, out, err


def _wait(what: str, check: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def second(tmp_path: Path, toolchain: Toolchain) -> Iterator[LocalCluster]:
    found = LocalCluster(tmp_path / "second", name="second", nodes=1, toolchain=toolchain)
    found.start()
    try:
        yield found
    finally:
        found.destroy()


def test_getting_started_with_the_cli_only(
    install: Install, second: LocalCluster, tmp_path: Path, toolchain: Toolchain
) -> None:
    # A private repository over HTTP with basic auth, holding the `web` app.
    projects = tmp_path / "projects"
    tree = gitservers.init_worktree(tmp_path / "work")
    shutil.copytree(TESTDATA / "web", tree / "web")
    gitservers.commit_all(tree, "version 1")
    bare = projects / "apps.git"
    bare.parent.mkdir(parents=True)
    capture(["git", "clone", "--quiet", "--bare", str(tree), str(bare)])
    install.argo.set_argocd_cm({"accounts.ci": "apiKey"})
    server = install.start_server("--with-controller")
    cli = Cli(
        {
            "KAPSTAN_CONFIG": str(tmp_path / "config"),
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "NO_COLOR": "1",
        }
    )
    with gitservers.http_server(tmp_path / "http", projects, {GIT_USER: GIT_PASSWORD}) as git:
        repo_url = f"{git.base_url}/apps.git"
        address = server.base_url.removeprefix("http://")

        _, out, _ = cli(
            "login",
            address,
            "--plaintext",
            "--username",
            "admin",
            "--password",
            install.admin_password(),
        )
        assert "logged in successfully" in out

        _, out, _ = cli("repo", "add", repo_url, "--username", GIT_USER, "--password", GIT_PASSWORD)
        _, out, _ = cli("repo", "list")
        assert repo_url in out
        assert GIT_PASSWORD not in out

        ns = f"{install.ns}-guestbook"
        cli(
            "app",
            "create",
            "guestbook",
            "--repo",
            repo_url,
            "--path",
            "web",
            "--dest-server",
            IN_CLUSTER,
            "--dest-namespace",
            ns,
            "--sync-option",
            "CreateNamespace=true",
        )
        cli("app", "sync", "guestbook", "--timeout", "180")
        cli("app", "wait", "guestbook", "--health", "--timeout", "180")
        _, out, _ = cli("app", "get", "guestbook", "-o", "wide")
        assert "Healthy" in out
        assert "Synced" in out
        assert "Deployment" in out

        # A commit: the diff shows it (exit 1) until it is synced (exit 0).
        (tree / "web" / "settings.yaml").write_text(
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {version: "2"}\n'
        )
        gitservers.commit_all(tree, "version 2")
        capture(["git", "-C", str(tree), "push", "--quiet", str(bare), "main"])
        code, out, _ = cli("app", "diff", "guestbook", "--refresh", ok=False)
        assert code == 1, out
        assert "version" in out
        cli("app", "sync", "guestbook", "--timeout", "180")
        code, out, _ = cli("app", "diff", "guestbook", ok=False)
        assert code == 0, out

        _, out, _ = cli("app", "history", "guestbook", "-o", "json")
        history = json.loads(out)
        assert len(history) == 2
        cli("app", "rollback", "guestbook", str(history[0]["id"]), "--timeout", "180")
        live = install.kubectl.get_json("configmap", "settings", "-n", ns)
        assert live["data"]["version"] == "1"

        cli("app", "delete", "guestbook", "--cascade", "-y")
        _wait("the app to go", lambda: cli("app", "get", "guestbook", ok=False)[0] != 0)
        _wait(
            "its Deployment to go",
            lambda: "web" not in install.kubectl("get", "deployments", "-n", ns, "-o", "name"),
        )

        # A project, a role with a token, and a call made with that token.
        cli("proj", "create", "team-a", "--src", "*", "--dest", f"{IN_CLUSTER},*")
        cli("proj", "role", "create", "team-a", "ci")
        cli(
            "proj",
            "role",
            "add-policy",
            "team-a",
            "ci",
            "--action",
            "get",
            "--permission",
            "allow",
            "--object",
            "*",
        )
        _, token, _ = cli("proj", "role", "create-token", "team-a", "ci", "--token-only")
        code, _, err = cli("app", "list", "--auth-token", token.strip(), ok=False)
        assert code == 0, err

        # An API key of a local account.
        _, out, _ = cli("account", "generate-token", "--account", "ci")
        _, who, _ = cli("account", "get-user-info", "--auth-token", out.strip())
        assert "ci" in who

        # A second cluster: registered by `cluster add`, an app deployed there.
        kubeconfig = yaml.safe_load(second.kubeconfig.read_text())
        context = kubeconfig["current-context"]
        cli(
            "cluster",
            "add",
            context,
            "--kubeconfig",
            str(second.kubeconfig),
            "--name",
            "second",
            "-y",
        )
        _, out, _ = cli("cluster", "list")
        assert second.server in out
        cli(
            "app",
            "create",
            "remote",
            "--repo",
            repo_url,
            "--path",
            "web",
            "--dest-server",
            second.server,
            "--dest-namespace",
            "remote",
            "--sync-option",
            "CreateNamespace=true",
        )
        cli("app", "sync", "remote", "--timeout", "180")
        cli("app", "wait", "remote", "--health", "--timeout", "180")
        there = Kubectl(second.kubeconfig, toolchain)
        assert there.get_json("deployment", "web", "-n", "remote")["metadata"]["name"] == "web"
        secret = install.kubectl.get_json(
            "secret", "-n", install.ns, "-l", "argocd.argoproj.io/secret-type=cluster"
        )
        assert any(
            base64.b64decode(s["data"]["server"]).decode() == second.server for s in secret["items"]
        )
