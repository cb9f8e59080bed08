"""A Git push delivered to ``kapstan server --with-controller`` as GitHub delivers it — a
real HTTP POST to ``/api/webhook`` in GitHub's format, signed with ``webhook.github.secret``
— with Git polling off, against the real cluster and a repository served over HTTP (lighttpd
``git http-backend`` with basic auth), so the repository URL matching is the real one.

What a user sees: the pushed app becomes Synced at the pushed commit within seconds; an app of
the same repository whose ``manifest-generate-paths`` the push did not touch is not
refreshed; a forged signature is refused (400) and deploys nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import shutil
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kapstan.localcluster.process import capture
from kapstan.testing import gitservers
from kapstan.testing.githubpush import github_push_event
from kapstan.testing.waiting import wait_for
from tests.integration.api.conftest import IN_CLUSTER, TESTDATA, Install

pytestmark = pytest.mark.cluster
GIT_USER, GIT_PASSWORD = "deployer", "s3cret-git-Pa55"
HOOK_SECRET = "hook-s3cret"
MANIFEST_GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"


def _settings(version: int) -> str:
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
        f'data: {{version: "{version}"}}\n'
    )


def _push_payload(web_url: str, before: str, after: str, files: list[str]) -> bytes:
    return github_push_event(f"{web_url}.git", before, after, files)


def _deliver(http: httpx2.Client, body: bytes, secret: str) -> httpx2.Response:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return http.post(
        "/api/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "d1",
            "X-Hub-Signature-256": f"sha256={signature}",
            "User-Agent": "GitHub-Hookshot/test",
        },
    )


def _status(http: httpx2.Client, name: str) -> dict[str, Any]:
    status: dict[str, Any] = http.get(f"/api/v1/applications/{name}").json().get("status") or {}
    return status


def _synced_at(http: httpx2.Client, name: str, sha: str) -> bool:
    sync = _status(http, name).get("sync") or {}
    return bool(sync.get("status") == "Synced" and sync.get("revision") == sha)


def _app(name: str, repo_url: str, path: str, annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo_url, "targetRevision": "main", "path": path},
            "destination": {"server": IN_CLUSTER, "namespace": name},
            "syncPolicy": {"automated": {}, "syncOptions": ["CreateNamespace=true"]},
        },
    }


def test_a_signed_github_push_deploys_with_polling_off(install: Install, tmp_path: Path) -> None:
    tree = gitservers.init_worktree(tmp_path / "work")
    shutil.copytree(TESTDATA / "web", tree / "web")
    (tree / "other").mkdir()
    (tree / "other" / "settings.yaml").write_text(_settings(1))
    first = gitservers.commit_all(tree, "version 1")
    projects = tmp_path / "projects"
    projects.mkdir()
    bare = projects / "apps.git"
    capture(["git", "clone", "--quiet", "--bare", str(tree), str(bare)])

    def push() -> str:
        sha = gitservers.commit_all(tree, "next")
        capture(["git", "-C", str(tree), "push", "--quiet", str(bare), "HEAD:main"])
        return sha

    # As a user sets the secret: kubectl apply keeps the keys the server wrote itself.
    install.argo.argocd_secret({"webhook.github.secret": HOOK_SECRET})
    server = install.start_server("--with-controller", "--app-resync", "0")
    with gitservers.http_server(tmp_path / "http", projects, {GIT_USER: GIT_PASSWORD}) as git:
        repo_url = f"{git.base_url}/apps.git"
        web_url = git.base_url + "/apps"  # what GitHub sends: the web page, no .git
        install.argo.secret(
            "repo-apps",
            "repository",
            {"url": repo_url, "username": GIT_USER, "password": GIT_PASSWORD},
        )
        token = install.login(server, "admin", install.admin_password())
        suffix = install.ns[-6:]
        web, other = f"hook-web-{suffix}", f"hook-other-{suffix}"
        with contextlib.closing(install.client(server, token)) as http:
            for name, path in ((web, "web"), (other, "other")):
                body = _app(name, repo_url, path, {MANIFEST_GENERATE_PATHS: "."})
                answer = http.post("/api/v1/applications", json=body)
                assert answer.status_code == 200, answer.text
            for name in (web, other):
                wait_for(f"{name} Synced at v1", lambda n=name: _synced_at(http, n, first), 120)
            other_reconciled = _status(http, other).get("reconciledAt")

            # A forged signature: refused, and nothing deploys the pushed commit.
            (tree / "web" / "settings.yaml").write_text(_settings(2))
            second = push()
            forged = _deliver(http, _push_payload(web_url, first, second, ["web/settings.yaml"]),
                              "not-the-secret")  # fmt: skip
            assert (forged.status_code, forged.text) == (
                400,
                "Webhook processing failed: HMAC verification failed\n",
            )
            time.sleep(5)  # polling is off: without a webhook nothing looks at Git
            assert _synced_at(http, web, first)

            # The real delivery: the web app deploys the pushed commit; "other" is untouched.
            started = time.monotonic()
            answer = _deliver(
                http, _push_payload(web_url, first, second, ["web/settings.yaml"]), HOOK_SECRET
            )
            assert (answer.status_code, answer.text) == (200, "")
            wait_for("web Synced at the pushed commit", lambda: _synced_at(http, web, second), 60)
            elapsed = time.monotonic() - started
            live = install.kubectl.get_json("configmap", "settings", "-n", web)
            assert live["data"] == {"version": "2"}
            assert _status(http, other).get("reconciledAt") == other_reconciled
            assert (_status(http, other).get("sync") or {}).get("revision") == first
            print(f"push -> webhook -> Synced: {elapsed:.2f} s")

            # A push touching only "other" refreshes it (and it deploys); web stays as it was.
            web_reconciled = _status(http, web).get("reconciledAt")
            (tree / "other" / "settings.yaml").write_text(_settings(3))
            third = push()
            answer = _deliver(
                http, _push_payload(web_url, second, third, ["other/settings.yaml"]), HOOK_SECRET
            )
            assert answer.status_code == 200
            wait_for("other Synced at the third commit", lambda: _synced_at(http, other, third), 60)
            assert _status(http, web).get("reconciledAt") == web_reconciled
