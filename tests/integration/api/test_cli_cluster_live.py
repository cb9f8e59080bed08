"""The client commands as a user runs them (``kapstan`` processes) against
``kapstan server --with-controller`` on the session cluster: ``cluster add`` installs
argocd-manager in a SECOND real cluster and registers it with the account's token; a project
with a role whose token answers for it; an account's API token; and an app of that project
deploying into the second cluster, Synced and Healthy with its Deployment there.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.demo.children import kapstan_argv
from kapstan.localcluster import LocalCluster, Toolchain
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import capture
from kapstan.testing.waiting import wait_for
from tests.integration.api.conftest import Install

pytestmark = pytest.mark.cluster


@pytest.fixture
def second(tmp_path: Path, toolchain: Toolchain) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path / "second", name="cli-second", nodes=1, toolchain=toolchain)
    c.start()
    try:
        yield c
    finally:
        c.destroy()


def test_cluster_add_projects_tokens_and_an_app_in_the_second_cluster(
    install: Install, second: LocalCluster, toolchain: Toolchain, tmp_path: Path
) -> None:
    install.argo.set_argocd_cm({"accounts.ci": "apiKey"})
    server = install.start_server("--with-controller")
    address = server.base_url.removeprefix("http://")
    env = {**os.environ, "KAPSTAN_CONFIG": str(tmp_path / "config")}
    for stale in ("ARGOCD_SERVER", "ARGOCD_AUTH_TOKEN", "KAPSTAN_SERVER", "KAPSTAN_AUTH_TOKEN"):
        env.pop(stale, None)

    def cli(*argv: str) -> str:
        return capture(kapstan_argv(*argv), env=env, timeout=120)

    assert "logged in successfully" in cli(
        "login", address, "--plaintext", "--username", "admin", "--password",
        install.admin_password(),
    )  # fmt: skip

    doc = yaml.safe_load(second.kubeconfig.read_text())
    context = str(doc["current-context"])
    target = str(doc["clusters"][0]["cluster"]["server"]).rstrip("/")
    added = cli("cluster", "add", context, "--kubeconfig", str(second.kubeconfig), "-y",
                "--name", "second")  # fmt: skip
    assert f"Cluster '{target}' added" in added
    kubectl2 = Kubectl(second.kubeconfig, toolchain)
    role = kubectl2.get_json("clusterrole", "argocd-manager-role")
    assert {"nonResourceURLs": ["*"], "verbs": ["*"]} in role["rules"]
    token_secret = kubectl2.get_json(
        "secret", "argocd-manager-long-lived-token", "-n", "kube-system"
    )
    assert token_secret["type"] == "kubernetes.io/service-account-token"
    listed = cli("cluster", "list")
    row = next(line.split() for line in listed.splitlines() if line.startswith(target))
    assert row[1] == "second"
    shown = json.loads(cli("cluster", "get", target, "-o", "json"))
    assert "bearerToken" not in shown["config"]  # the token is never shown

    cli("proj", "create", "team", "-s", install.repo.as_uri(), "-d", f"{target},*",
        "--allow-cluster-resource", "/Namespace")  # fmt: skip
    cli("proj", "role", "create", "team", "ci")
    cli("proj", "role", "add-policy", "team", "ci", "-a", "get", "-o", "*")
    wait_for("the role in the project", lambda: "ci" in cli("proj", "role", "list", "team"), 20)
    role_token = cli("proj", "role", "create-token", "team", "ci", "-t").strip()
    can = cli("account", "can-i", "get", "applications", "team/anything", "--auth-token",
              role_token)  # fmt: skip
    assert can.strip() == "yes"
    cannot = cli("account", "can-i", "sync", "applications", "team/anything", "--auth-token",
                 role_token)  # fmt: skip
    assert cannot.strip() == "no"

    def api_token() -> str:
        with contextlib.suppress(Exception):
            return cli("account", "generate-token", "--account", "ci").strip()
        return ""

    ci_token = wait_for("an API token for account ci", api_token, 30)
    assert "Username: ci" in cli("account", "get-user-info", "--auth-token", ci_token)

    http = install.client(server, install.login(server, "admin", install.admin_password()))
    body = install.app_body(
        "web", project="team",
        syncPolicy={"automated": {}, "syncOptions": ["CreateNamespace=true"]},
    )  # fmt: skip
    name = str(body["metadata"]["name"])
    body["spec"]["destination"] = {"server": target, "namespace": name}
    with contextlib.closing(http):
        answer = http.post("/api/v1/applications", json=body)
        assert answer.status_code == 200, answer.text

        def ready() -> dict[str, Any] | None:
            status = http.get(f"/api/v1/applications/{name}").json().get("status") or {}
            ok = ((status.get("sync") or {}).get("status") == "Synced"
                  and (status.get("health") or {}).get("status") == "Healthy")  # fmt: skip
            return status if ok else None

        wait_for("the app Synced/Healthy in the second cluster", ready, 120)
    deployment = kubectl2.get_json("deployment", "web", "-n", name)
    assert deployment["metadata"]["name"] == "web"
