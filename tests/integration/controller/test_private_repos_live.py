"""Private repositories end to end, as an Argo CD user sets them up: ``kapstan controller``
as a process, real git servers (HTTPS with basic auth and a private CA, SSH keys), a Helm
chart repository with basic auth, and credentials only where a user writes them
(``repository`` and ``repo-creds`` Secrets, ``argocd-ssh-known-hosts-cm``,
``argocd-tls-certs-cm``).

Proves: without (or with wrong) credentials the app shows a ComparisonError naming the
authentication failure; adding or fixing the Secret takes effect without a restart; each kind
of repository reaches Synced/Healthy; no password or key appears in status, events or logs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import capture
from kapstan.services.tools import find_tools
from kapstan.testing import gitservers
from kapstan.testing.argo import ArgoNamespace, conditions, synced_healthy
from kapstan.testing.chartservers import auth_chart_repo, helm_home_env

pytestmark = pytest.mark.cluster

APPS = Path(__file__).parents[2] / "unit" / "render" / "testdata" / "apps"
USER, PASSWORD, WRONG = "alice", "Git-Pa55-w0rd-9f3", "not-the-password"
TEAM_PASSWORD = "Team-Pa55-w0rd-71c"
CHART_USER, CHART_PASSWORD = "charts", "Chart-Pa55-w0rd-e2"
AUTO = {"automated": {"prune": True, "selfHeal": True}}


def _bare(projects: Path, name: str, work: Path) -> Path:
    """A bare repository ``projects/<name>`` holding the guestbook at ``guestbook/``."""
    tree = gitservers.init_worktree(work)
    shutil.copytree(
        APPS / "guestbook-dir", tree / "guestbook", ignore=shutil.ignore_patterns("extra")
    )
    gitservers.commit_all(tree, "guestbook")
    bare = projects / name
    bare.parent.mkdir(parents=True, exist_ok=True)
    capture(["git", "clone", "--quiet", "--bare", str(tree), str(bare)])
    return bare


def _leaks(
    argo: ArgoNamespace, kubectl: Kubectl, names: list[str], secrets: list[str]
) -> list[str]:
    """Where any of ``secrets`` shows up: app status, events (both namespaces), controller log."""
    places = {f"status of {n}": json.dumps(argo.app(n)) for n in names}
    places["events"] = kubectl("get", "events", "-A", "-o", "json")
    places["controller log"] = argo.logs()
    return [
        f"{secret[:4]}… in {where}"
        for where, text in places.items()
        for secret in secrets
        if secret in text
    ]


def test_https_ssh_and_template_credentials(
    argo: ArgoNamespace, kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    projects = tmp_path / "projects"
    _bare(projects, "apps.git", tmp_path / "w1")
    _bare(projects, "team/shop.git", tmp_path / "w2")
    ssh_bare = _bare(tmp_path / "ssh-projects", "apps.git", tmp_path / "w3")
    private_key, public_key = gitservers.ssh_keypair(tmp_path / "deploy-key")
    users = {USER: PASSWORD, "team": TEAM_PASSWORD}
    with (
        gitservers.https_server(tmp_path / "https", projects, users) as http,
        gitservers.ssh_server(tmp_path / "sshd", public_key) as ssh,
    ):
        # The server's CA, trusted the Argo CD way: argocd-tls-certs-cm keyed by host name.
        argo.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-tls-certs-cm"},
                "data": {"127.0.0.1": http.ca_pem},
            }
        )
        http_url = f"{http.base_url}/apps.git"
        source = {"repoURL": http_url, "targetRevision": "main", "path": "guestbook"}
        argo.create_app("https-app", source, namespace, syncPolicy=AUTO)

        # 1. No credentials: a ComparisonError that names the authentication failure.
        def auth_failed(status: dict[str, Any]) -> bool:
            found = conditions(status, "ComparisonError")
            return any("authentication failed" in m for m in found)

        argo.wait("the missing credentials to show", "https-app", auth_failed)

        # 2. A repository Secret with the wrong password: still an authentication failure.
        repo_secret = {"url": http_url, "username": USER, "password": WRONG, "type": "git"}
        argo.secret("repo-apps", "repository", repo_secret)
        argo.wait("the wrong password to fail", "https-app", auth_failed)

        # 3. The right password, edited in the Secret: picked up without a restart.
        argo.secret("repo-apps", "repository", {**repo_secret, "password": PASSWORD})
        argo.wait("the HTTPS app to be Synced and Healthy", "https-app", synced_healthy, 120)

        # 4. SSH: key from the repository Secret, host key from argocd-ssh-known-hosts-cm.
        ssh_url = f"{ssh.base_url}{ssh_bare}"
        argo.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-ssh-known-hosts-cm"},
                "data": {"ssh_known_hosts": ssh.known_hosts},
            }
        )
        argo.secret("repo-ssh", "repository", {"url": ssh_url, "sshPrivateKey": private_key})
        ssh_ns = f"{namespace}-ssh"
        kubectl("create", "namespace", ssh_ns)
        try:
            ssh_source = {"repoURL": ssh_url, "targetRevision": "main", "path": "guestbook"}
            argo.create_app("ssh-app", ssh_source, ssh_ns, syncPolicy=AUTO)
            argo.wait("the SSH app to be Synced and Healthy", "ssh-app", synced_healthy, 120)

            # 5. A repo-creds template matched by URL prefix supplies the credentials.
            argo.secret(
                "team-creds",
                "repo-creds",
                {"url": f"{http.base_url}/team", "username": "team", "password": TEAM_PASSWORD},
            )
            team_ns = f"{namespace}-team"
            kubectl("create", "namespace", team_ns)
            try:
                team_source = {
                    "repoURL": f"{http.base_url}/team/shop.git",
                    "targetRevision": "main",
                    "path": "guestbook",
                }
                argo.create_app("template-app", team_source, team_ns, syncPolicy=AUTO)
                argo.wait("the template app to be Synced", "template-app", synced_healthy, 120)
                names = ["https-app", "ssh-app", "template-app"]
                secrets = [PASSWORD, WRONG, TEAM_PASSWORD, private_key.splitlines()[1]]
                assert _leaks(argo, kubectl, names, secrets) == []
            finally:
                kubectl("delete", "namespace", team_ns, "--wait=false")
        finally:
            kubectl("delete", "namespace", ssh_ns, "--wait=false")


def test_helm_chart_repository_with_basic_auth(
    argo: ArgoNamespace, kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    helm = str(find_tools().found["helm"])
    env = helm_home_env(tmp_path / "helm-home")
    served = tmp_path / "served"
    served.mkdir()
    chart = tmp_path / "guestbook"
    shutil.copytree(APPS / "guestbook-helm", chart)
    capture([helm, "package", str(chart), "--destination", str(served)], env=env)
    with auth_chart_repo(served, CHART_USER, CHART_PASSWORD) as url:
        capture([helm, "repo", "index", str(served), "--url", url], env=env)
        source = {"repoURL": url, "chart": "guestbook", "targetRevision": "0.1.0"}
        argo.create_app("chart-app", source, namespace)

        def unauthorized(status: dict[str, Any]) -> bool:
            found = conditions(status, "ComparisonError")
            return any("401" in m or "unauthorized" in m.lower() for m in found)

        argo.wait("the chart repository to refuse us", "chart-app", unauthorized)
        argo.secret(
            "charts",
            "repository",
            {
                "url": url,
                "type": "helm",
                "name": "charts",
                "username": CHART_USER,
                "password": CHART_PASSWORD,
            },
        )

        def rendered(status: dict[str, Any]) -> dict[str, Any] | None:
            revision = (status.get("sync") or {}).get("revision")
            ok = revision == "0.1.0" and not conditions(status, "ComparisonError")
            return status if ok else None

        status = argo.wait("the chart to render", "chart-app", rendered)
        assert status["sourceType"] == "Helm"
        kinds = {r["kind"] for r in status["resources"]}
        assert {"Deployment", "Service"} <= kinds
        argo.sync("chart-app")
        argo.wait("the chart app to be Synced and Healthy", "chart-app", synced_healthy, 120)
        assert _leaks(argo, kubectl, ["chart-app"], [CHART_PASSWORD]) == []
