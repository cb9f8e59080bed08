"""``kapstan app diff NAME --local DIR --server-side-generate`` as a user runs it: the CLI as a
real process against ``kapstan server --with-controller`` on the real cluster, a Kustomize app
synced from git, then a local copy of its directory with one field changed. The server renders
the upload with the app's own Kustomize settings (its ``namePrefix``, set on the app, not in
the kustomization) and the diff shows exactly that field, exit 1; the unchanged copy exits 0;
without ``--server-side-generate`` the Kustomize directory is a clear error, exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kapstan.testing import gitservers
from kapstan.testing.waiting import wait_for
from tests.integration.api.conftest import Install
from tests.integration.api.test_cli_sync_live import Cli, _compared, _token, logged_in

pytestmark = pytest.mark.cluster
__all__ = ["logged_in"]  # the fixture, imported for this module

KUSTOMIZATION = "resources:\n- settings.yaml\n"
SETTINGS = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: {}\n"


def test_local_kustomize_dir_rendered_by_the_server_with_the_apps_settings(
    logged_in: Cli, install: Install, tmp_path: Path
) -> None:
    cli = logged_in
    kust = install.repo / "kust"
    kust.mkdir()
    (kust / "kustomization.yaml").write_text(KUSTOMIZATION)
    (kust / "settings.yaml").write_text(SETTINGS.format("red"))
    gitservers.commit_all(install.repo, "a kustomize app")
    body = install.app_body("kust")
    body["spec"]["source"]["kustomize"] = {"namePrefix": "app-"}
    name = str(body["metadata"]["name"])
    with install.client(install.servers[0], _token(cli)) as http:
        assert http.post("/api/v1/applications", json=body).status_code == 200
        wait_for("the app compared", lambda: _compared(http, name), 60)
    code, out = cli("app", "sync", name, "--timeout", "120")
    assert code == 0, out

    local = tmp_path / "local"
    shutil.copytree(kust, local)
    code, out = cli("app", "diff", name, "--local", str(local), "--server-side-generate")
    assert (code, out) == (0, ""), out

    (local / "settings.yaml").write_text(SETTINGS.format("blue"))
    code, out = cli("app", "diff", name, "--local", str(local), "--server-side-generate")
    assert code == 1, out
    lines = out.splitlines()
    assert lines[0] == f"/ConfigMap {name}/app-settings: modified, 1 field", out
    assert f"===== /ConfigMap {name}/app-settings ======" in lines, out
    assert "-  color: red" in lines, out
    assert "+  color: blue" in lines, out
    changed = [ln for ln in lines if ln.startswith(("+", "-")) and ln[:3] not in ("+++", "---")]
    assert changed == ["-  color: red", "+  color: blue"], out

    code, out = cli("app", "diff", name, "--local", str(local))
    assert code == 2, out
    assert "is a Kustomize directory: add --server-side-generate" in out
    live = install.kubectl.get_json("configmap", "app-settings", "-n", name)
    assert live["data"] == {"color": "red"}  # nothing was synced
