"""Gitea as the Git host, its webhooks pointed at ``kapstan server --with-controller`` (Git
polling off) on the real cluster — nothing in between: ``git push`` to Gitea over HTTP,
Gitea delivers the webhook, Kapstan refreshes and auto-sync deploys.

What a user sees: a push to the app's branch makes it Synced at the pushed commit (Gitea's
format, then Gogs' format); a push that touches only another app's path refreshes only that
app; a pull request merged through Gitea's API deploys; a hook with a forged secret is refused
and deploys nothing. Needs Gitea built (``make gitea``): skipped without it unless
``KAPSTAN_GITEA=1`` (``make test-gitea``), which fails instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kapstan.localcluster.gitea import GiteaBuild
from kapstan.localcluster.process import capture
from kapstan.testing import gitservers
from kapstan.testing.gitea import ADMIN, Gitea, gitea_server
from kapstan.testing.waiting import wait_for
from tests.integration.api.conftest import IN_CLUSTER, TESTDATA, Install

REQUIRED = os.environ.get("KAPSTAN_GITEA") == "1"
BUILD = GiteaBuild()
pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(
        not REQUIRED and not BUILD.is_built(),
        reason=f"Gitea is not built in {BUILD.binary}: `make test-gitea` builds it and runs this",
    ),
]
HOOK_SECRET = "gitea-hook-s3cret"
PATHS = "argocd.argoproj.io/manifest-generate-paths"


def _settings(version: int) -> str:
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
        f'data: {{version: "{version}"}}\n'
    )


def _sync(http: httpx2.Client, name: str) -> dict[str, Any]:
    status = http.get(f"/api/v1/applications/{name}").json().get("status") or {}
    sync: dict[str, Any] = status.get("sync") or {}
    return {**sync, "reconciledAt": status.get("reconciledAt")}


def _synced_at(http: httpx2.Client, name: str, sha: str) -> bool:
    sync = _sync(http, name)
    return bool(sync.get("status") == "Synced" and sync.get("revision") == sha)


def _app(name: str, repo_url: str, path: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "annotations": {PATHS: "."}},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo_url, "targetRevision": "main", "path": path},
            "destination": {"server": IN_CLUSTER, "namespace": name},
            "syncPolicy": {"automated": {}, "syncOptions": ["CreateNamespace=true"]},
        },
    }


@pytest.fixture
def gitea(tmp_path: Path) -> Iterator[Gitea]:
    with gitea_server(tmp_path / "gitea", BUILD) as found:
        yield found


def test_gitea_pushes_deploy_through_its_webhooks(
    install: Install, gitea: Gitea, tmp_path: Path
) -> None:
    repo = f"apps-{install.ns[-6:]}"
    clone_url = gitea.create_repo(repo)
    tree = gitservers.init_worktree(tmp_path / "work")
    shutil.copytree(TESTDATA / "web", tree / "web")
    (tree / "other").mkdir()
    (tree / "other" / "settings.yaml").write_text(_settings(1))
    first = gitservers.commit_all(tree, "version 1")

    def push(branch: str = "main") -> str:
        sha = gitservers.commit_all(tree, "next")
        capture(["git", "-C", str(tree), "push", "--quiet", gitea.push_url(repo), f"HEAD:{branch}"])
        return sha

    capture(["git", "-C", str(tree), "push", "--quiet", gitea.push_url(repo), "HEAD:main"])
    install.argo.argocd_secret({"webhook.gogs.secret": HOOK_SECRET})
    server = install.start_server("--with-controller", "--app-resync", "0")
    hook_url = f"{server.base_url}/api/webhook"
    token = install.login(server, "admin", install.admin_password())
    web, other = f"gitea-web-{install.ns[-6:]}", f"gitea-other-{install.ns[-6:]}"
    with contextlib.closing(install.client(server, token)) as http, gitea.api() as api:
        for name, path in ((web, "web"), (other, "other")):
            answer = http.post("/api/v1/applications", json=_app(name, clone_url, path))
            assert answer.status_code == 200, answer.text
        for name in (web, other):
            wait_for(f"{name} Synced at v1", lambda n=name: _synced_at(http, n, first), 120)

        # A hook whose secret is not Kapstan's: Gitea delivers, Kapstan refuses, nothing moves.
        forged = gitea.add_hook(repo, hook_url, "not-the-secret")
        (tree / "web" / "settings.yaml").write_text(_settings(2))
        push()
        wait_for(
            "kapstan server to refuse Gitea's delivery",
            lambda: "HMAC verification failed" in server.log.read_text(errors="replace"),
            30,
        )
        time.sleep(3)  # polling is off: nothing else may deploy the pushed commit
        assert _synced_at(http, web, first)
        api.delete(f"/repos/{ADMIN[0]}/{repo}/hooks/{forged['id']}").raise_for_status()

        # Gitea's own format: a push to main deploys web; other's path is untouched.
        own = gitea.add_hook(repo, hook_url, HOOK_SECRET, kind="gitea")
        other_before = _sync(http, other)
        (tree / "web" / "settings.yaml").write_text(_settings(3))
        started = time.monotonic()
        pushed = push()
        wait_for("web Synced at the pushed commit", lambda: _synced_at(http, web, pushed), 60)
        print(f"gitea push -> webhook -> Synced: {time.monotonic() - started:.2f} s")
        live = install.kubectl.get_json("configmap", "settings", "-n", web)
        assert live["data"] == {"version": "3"}
        assert _sync(http, other) == other_before

        # A pull request merged through Gitea's API deploys the app whose path it changed.
        (tree / "other" / "settings.yaml").write_text(_settings(4))
        push("feature")
        answer = api.post(
            f"/repos/{ADMIN[0]}/{repo}/pulls",
            json={"title": "Other v4", "head": "feature", "base": "main"},
        )
        answer.raise_for_status()
        number = answer.json()["number"]
        merged = api.post(f"/repos/{ADMIN[0]}/{repo}/pulls/{number}/merge", json={"Do": "merge"})
        assert merged.status_code == 200, merged.text
        head = api.get(f"/repos/{ADMIN[0]}/{repo}/branches/main").json()["commit"]["id"]
        wait_for("other Synced at the merge commit", lambda: _synced_at(http, other, head), 60)
        live = install.kubectl.get_json("configmap", "settings", "-n", other)
        assert live["data"] == {"version": "4"}

        # Gogs' format (a Gogs hook of the same Gitea): deploys as well.
        api.delete(f"/repos/{ADMIN[0]}/{repo}/hooks/{own['id']}").raise_for_status()
        gitea.add_hook(repo, hook_url, HOOK_SECRET, kind="gogs")
        capture(
            ["git", "-C", str(tree), "pull", "--quiet", "--ff-only", gitea.push_url(repo), "main"]
        )
        (tree / "web" / "settings.yaml").write_text(_settings(5))
        pushed = push()
        wait_for("web Synced after a Gogs delivery", lambda: _synced_at(http, web, pushed), 60)
