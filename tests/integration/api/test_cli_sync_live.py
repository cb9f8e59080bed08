"""``kapstan app sync|wait|diff|rollback`` as a user runs them: the CLI as a real process
against ``kapstan server --with-controller`` on the real cluster. Sync shows progress and
exits 0, a new commit makes ``app diff`` exit 1 with the changed field and 0 after the sync,
rollback goes back to the previous deployment, and ``app diff --revision feature-branch``
shows exactly the field and the object that branch changes, syncing nothing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx2
import pytest
import yaml

from kapstan.demo.children import kapstan_argv
from kapstan.localcluster import process
from kapstan.testing import gitservers
from kapstan.testing.waiting import wait_for
from tests.integration.api.conftest import Install

pytestmark = pytest.mark.cluster
EXTRA = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata: {added: by-branch}\n"


class Cli:
    """``kapstan`` processes with a config file of their own."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = {**os.environ, "KAPSTAN_CONFIG": str(work / "config"), "NO_COLOR": "1"}

    def __call__(self, *args: str, timeout: float = 180.0) -> tuple[int, str]:
        log = self.work / "cli.log"
        log.write_bytes(b"")
        try:
            return 0, process.run(kapstan_argv(*args), log=log, env=self.env, timeout=timeout)
        except process.CommandError as err:
            found = re.search(r"exited with status (\d+)", str(err))
            if found is None:
                raise  # a time-out, not an exit
            return int(found.group(1)), log.read_text()


@pytest.fixture(scope="module")
def logged_in(install: Install, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    server = install.start_server("--with-controller")
    cli = Cli(tmp_path_factory.mktemp("cli"))
    address = server.base_url.split("://", 1)[1]
    code, out = cli(
        "login", address, "--plaintext", "--username", "admin",
        "--password", install.admin_password(),
    )  # fmt: skip
    assert code == 0, out
    return cli


def _git(repo: Path, *args: str) -> None:
    process.capture(["git", "-C", str(repo), *args])


def _configmap(install: Install, name: str, namespace: str) -> dict[str, str] | None:
    found = install.kubectl.get_json("configmaps", "-n", namespace)["items"]
    return next((dict(c.get("data") or {}) for c in found if c["metadata"]["name"] == name), None)


def test_sync_wait_diff_rollback_and_the_branch_preview(logged_in: Cli, install: Install) -> None:
    cli = logged_in
    body = install.app_body("web")
    name = str(body["metadata"]["name"])
    code, out = cli("app", "sync", name, timeout=30)
    assert code == 20  # not created yet: the API's NotFound as one line
    assert out.startswith("error: "), out
    with install.client(install.servers[0], _token(cli)) as http:
        assert http.post("/api/v1/applications", json=body).status_code == 200
        wait_for("the app compared", lambda: _compared(http, name), 60)

    code, out = cli("app", "sync", name, "--timeout", "120")
    assert code == 0, out
    assert out.splitlines()[0].split()[:3] == ["TIMESTAMP", "GROUP", "KIND"]
    assert re.search(r"^Phase:\s+Succeeded$", out, re.M), out
    assert re.search(r"^apps\s+Deployment\s+\S+\s+web\s+Synced", out, re.M), out

    code, out = cli("app", "wait", name, "--health", "--timeout", "120")
    assert code == 0, out
    assert re.search(r"^Health Status:\s+Healthy$", out, re.M), out

    install.commit(2)
    code, out = cli("app", "diff", name, "--hard-refresh")
    assert code == 1, out
    assert f"===== /ConfigMap {name}/settings ======" in out
    assert "-  version: '1'" in out
    assert "+  version: '2'" in out

    code, out = cli("app", "sync", name, "--timeout", "120")
    assert code == 0, out
    code, out = cli("app", "diff", name, "--refresh")
    assert (code, out) == (0, ""), out

    code, out = cli("app", "rollback", name, "--timeout", "120")
    assert code == 0, out
    assert re.search(r"^Phase:\s+Succeeded$", out, re.M), out
    assert _configmap(install, "settings", name) == {"version": "1"}

    repo = install.repo
    _git(repo, "checkout", "-q", "-b", "feature-branch")
    (repo / "web" / "settings.yaml").write_text(
        (repo / "web" / "settings.yaml").read_text().replace('"2"', '"99"')
    )
    (repo / "web" / "extra.yaml").write_text(EXTRA)
    gitservers.commit_all(repo, "feature: version 99 and an extra ConfigMap")
    _git(repo, "checkout", "-q", "main")

    code, out = cli("app", "diff", name, "--revision", "feature-branch")
    assert code == 1, out
    summary = [line for line in out.splitlines() if line.endswith(("field", "fields"))]
    assert summary == [
        f"/ConfigMap {name}/extra: added, 6 fields",
        f"/ConfigMap {name}/settings: modified, 1 field",
    ], out
    assert "-  version: '1'" in out
    assert "+  version: '99'" in out
    assert "hunter2" not in out
    assert _configmap(install, "extra", name) is None
    assert _configmap(install, "settings", name) == {"version": "1"}


def _token(cli: Cli) -> str:
    config = yaml.safe_load((cli.work / "config").read_text())
    return str(config["users"][0]["auth-token"])


def _compared(http: httpx2.Client, name: str) -> bool:
    status = http.get(f"/api/v1/applications/{name}").json().get("status") or {}
    return bool((status.get("sync") or {}).get("status"))
