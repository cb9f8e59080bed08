"""A chart pushed to a real OCI registry (Debian's ``docker-registry``, plain HTTP) with the real
``helm push``, then a registry webhook delivered to ``kapstan server --with-controller`` in
Kapstan's generic signed form, as a CI job sends it — with polling off.

What a user sees: an app tracking ``0.*`` deploys the newly pushed chart version; an app
pinned to ``0.1.0`` is left alone until ``0.1.0`` itself is pushed again with other content,
and then deploys that content (the registry push asks for a hard refresh, so the controller
renders the chart again instead of answering from its render cache, which would still say
Synced); a forged signature is refused (401) and deploys nothing.

The app tracking ``0.*`` uses plain ``automated`` sync: its revision is the chart version the
constraint picks (``0.1.0``, then ``0.1.1``, as Argo CD reports it), so a newly pushed version
is a new revision to sync. The pinned app also has ``selfHeal``: a re-pushed ``0.1.0`` is the
revision it already synced, and automated sync (Argo CD's too) deploys that again only with
self-heal.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kapstan.localcluster import Toolchain
from kapstan.localcluster.process import capture
from kapstan.testing.chartservers import DOCKER_REGISTRY, helm_home_env, oci_registry
from kapstan.testing.waiting import wait_for
from tests.integration.api.conftest import IN_CLUSTER, Install

pytestmark = pytest.mark.cluster
HOOK_SECRET = "registry-hook-s3cret"


def _chart(root: Path, version: str, build: str) -> Path:
    """A chart ``web`` of ``version`` whose ConfigMap says the version and ``build``."""
    chart = root / f"web-{version}-{build}"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: web\nversion: {version}\n")
    (chart / "values.yaml").write_text(f"build: {build}\n")
    (chart / "templates" / "settings.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
        'data:\n  version: "{{ .Chart.Version }}"\n  build: "{{ .Values.build }}"\n'
    )
    return chart


def _deliver(http: httpx2.Client, host: str, tag: str, secret: str) -> httpx2.Response:
    body = json.dumps({"registry": host, "repository": "charts/web", "tag": tag}).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Kapstan-Event": "registry.push",
        "X-Kapstan-Signature": f"sha256={signature}",
    }
    return http.post("/api/webhook", content=body, headers=headers)


def _app(name: str, repo_url: str, revision: str, *, self_heal: bool) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo_url, "chart": "web", "targetRevision": revision},
            "destination": {"server": IN_CLUSTER, "namespace": name},
            "syncPolicy": {
                "automated": {"selfHeal": self_heal},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    }


def sync_revision(http: httpx2.Client, name: str) -> str:
    """The app's ``status.sync.revision``."""
    status = http.get(f"/api/v1/applications/{name}").json().get("status") or {}
    return str((status.get("sync") or {}).get("revision") or "")


def test_a_registry_push_deploys_the_chart_with_polling_off(
    install: Install, toolchain: Toolchain, tmp_path: Path
) -> None:
    if not DOCKER_REGISTRY.exists():
        pytest.fail("docker-registry not installed: see toolchain/apt-packages.txt")
    helm = str(toolchain.path("helm"))
    env = helm_home_env(tmp_path / "helm", registry=True)
    packages = tmp_path / "packages"

    def push(host: str, version: str, build: str) -> None:
        out = packages / build
        chart = _chart(tmp_path / "charts", version, build)
        capture([helm, "package", str(chart), "--destination", str(out)], env=env)
        tgz = next(out.glob("*.tgz"))
        capture([helm, "push", str(tgz), f"oci://{host}/charts", "--plain-http"], env=env)

    def settings(namespace: str) -> dict[str, str]:
        """The deployed ConfigMap's data (empty until it exists)."""
        out = install.kubectl(
            "get", "configmap", "settings", "-n", namespace, "-o", "json", "--ignore-not-found"
        )
        return dict(json.loads(out).get("data") or {}) if out.strip() else {}

    install.argo.argocd_secret({"webhook.registry.secret": HOOK_SECRET})
    with oci_registry(tmp_path / "registry") as host:
        push(host, "0.1.0", "a")
        repo_url = f"oci://{host}/charts"
        install.argo.secret(
            "repo-charts",
            "repository",
            {"url": repo_url, "type": "helm", "name": "charts", "enableOCI": "true",
             "insecureOCIForceHttp": "true"},
        )  # fmt: skip
        server = install.start_server("--with-controller", "--app-resync", "0")
        token = install.login(server, "admin", install.admin_password())
        suffix = install.ns[-6:]
        latest, pinned = f"chart-latest-{suffix}", f"chart-pinned-{suffix}"
        with contextlib.closing(install.client(server, token)) as http:
            for name, revision, heal in ((latest, "0.*", False), (pinned, "0.1.0", True)):
                answer = http.post(
                    "/api/v1/applications", json=_app(name, repo_url, revision, self_heal=heal)
                )
                assert answer.status_code == 200, answer.text
            for name in (latest, pinned):
                wait_for(f"{name} deployed 0.1.0", lambda n=name: settings(n).get("build") == "a",
                         120)  # fmt: skip
            assert sync_revision(http, latest) == "0.1.0"  # what 0.* picks, not "0.*"

            # 0.1.1 is pushed; polling is off, so only the webhook makes it known.
            push(host, "0.1.1", "b")
            forged = _deliver(http, host, "0.1.1", "not-the-secret")
            assert (forged.status_code, forged.text) == (401, "Unauthorized\n")
            time.sleep(5)
            assert settings(latest) == {"version": "0.1.0", "build": "a"}
            started = time.monotonic()
            answer = _deliver(http, host, "0.1.1", HOOK_SECRET)
            assert (answer.status_code, answer.text) == (200, "")
            wait_for("0.* deployed 0.1.1", lambda: settings(latest).get("version") == "0.1.1", 60)
            wait_for("0.* at revision 0.1.1", lambda: sync_revision(http, latest) == "0.1.1", 30)
            print(f"registry push -> webhook -> deployed: {time.monotonic() - started:.2f} s")
            assert settings(pinned) == {"version": "0.1.0", "build": "a"}

            # 0.1.0 pushed again with other content: the pinned app renders it again.
            push(host, "0.1.0", "c")
            answer = _deliver(http, host, "0.1.0", HOOK_SECRET)
            assert answer.status_code == 200
            wait_for("0.1.0 redeployed", lambda: settings(pinned).get("build") == "c", 60)
            assert settings(latest) == {"version": "0.1.1", "build": "b"}
        for name in (latest, pinned):
            install.kubectl("delete", "applications.argoproj.io", name, "-n", install.ns)
