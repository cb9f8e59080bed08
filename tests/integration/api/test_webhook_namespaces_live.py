"""Webhooks against a real ``kapstan server`` (split mode: the server alone, as one API
replica) started with ``--application-namespaces``: a signed GitHub push and a GHCR ``package``
event, delivered over HTTP as GitHub delivers them, ask for the refresh of the matching apps in
the server's namespace *and* in the other namespace the flag allows — never in a namespace it
does not allow — with the refresh level each event asks for (``normal`` for Git, ``hard`` for
a chart pushed to a registry).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing.waiting import wait_for
from tests.integration.api.conftest import IN_CLUSTER, Install

pytestmark = pytest.mark.cluster
HOOK_SECRET = "hook-s3cret-ns"
REFRESH = "argocd.argoproj.io/refresh"
REPO = "https://git.acme.test/acme/apps"
TAG = {"name": "1.4.0", "digest": "sha256:6f1a9b8f"}  # a chart version the "1.*" apps track


def _app(name: str, namespace: str, source: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "project": "default",
            "source": source,
            "destination": {"server": IN_CLUSTER, "namespace": name},
        },
    }


def _signed(event: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": f"{event}-1",
        "X-Hub-Signature-256": f"sha256={digest}",
        "User-Agent": "GitHub-Hookshot/test",
    }
    return body, headers


def _level(kubectl: Kubectl, namespace: str, name: str) -> str:
    app = kubectl.get_json("applications.argoproj.io", name, "-n", namespace)
    return str(((app.get("metadata") or {}).get("annotations") or {}).get(REFRESH) or "")


@contextlib.contextmanager
def _namespaces(kubectl: Kubectl, *names: str) -> Iterator[None]:
    for name in names:
        kubectl("create", "namespace", name)
    try:
        yield
    finally:
        for name in names:
            kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=false")


def test_webhooks_refresh_apps_in_the_allowed_namespaces(install: Install) -> None:
    suffix = install.ns[-6:]
    allowed, refused = f"team-{suffix}", f"else-{suffix}"
    git = {"repoURL": f"{REPO}.git", "targetRevision": "main", "path": "web"}
    chart = {"repoURL": "oci://ghcr.io/acme/charts", "chart": "web", "targetRevision": "1.*"}
    apps = {
        (install.ns, f"git-home-{suffix}"): git,
        (allowed, "git-team"): git,
        (refused, "git-else"): git,
        (allowed, "chart-team"): chart,
        (refused, "chart-else"): chart,
    }
    install.argo.argocd_secret({"webhook.github.secret": HOOK_SECRET})
    with _namespaces(install.kubectl, allowed, refused):
        for (namespace, name), source in apps.items():
            doc = json.dumps(_app(name, namespace, source))
            install.kubectl("apply", "-n", namespace, "-f", "-", stdin=doc)
        server = install.start_server("--application-namespaces", "team-*")
        with server.client() as http:
            body, headers = _signed(
                "push",
                {
                    "ref": "refs/heads/main",
                    "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
                    "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
                    "commits": [{"id": "0d1a26e6", "added": [], "removed": [],
                                 "modified": ["web/deployment.yaml"]}],
                    "repository": {"html_url": REPO, "default_branch": "main"},
                },
            )  # fmt: skip
            answer = http.post("/api/webhook", content=body, headers=headers)
            assert (answer.status_code, answer.text) == (200, "")
            body, headers = _signed(
                "package",
                {
                    "action": "published",
                    "package": {
                        "name": "charts/web",
                        "package_type": "CONTAINER",
                        "owner": {"login": "acme"},
                        "package_version": {
                            "version": "sha256:6f1a9b8f",
                            "container_metadata": {"tag": TAG},
                        },
                    },
                },
            )  # fmt: skip
            answer = http.post("/api/webhook", content=body, headers=headers)
            assert (answer.status_code, answer.text) == (200, "")

        expected = {
            (install.ns, f"git-home-{suffix}"): "normal",
            (allowed, "git-team"): "normal",
            (allowed, "chart-team"): "hard",
        }
        for (namespace, name), level in expected.items():
            wait_for(
                f"{namespace}/{name} asked for a {level} refresh",
                lambda n=namespace, a=name, want=level: _level(install.kubectl, n, a) == want,
                30,
            )
        # Both events were handled (the ones above are done); the refused namespace's apps
        # match both but were never asked for a refresh.
        assert _level(install.kubectl, refused, "git-else") == ""
        assert _level(install.kubectl, refused, "chart-else") == ""
        install.kubectl(
            "delete", "applications.argoproj.io", f"git-home-{suffix}", "-n", install.ns
        )
