"""A registry webhook received by ``kapstan server`` makes ``kapstan controller`` (another
process: split mode) check the images at once, long before its ``--image-interval``.

A user points their registry's webhook (here Kapstan's generic signed form, as a CI job sends
it) at ``/api/webhook``: pushing ``1.2.4`` and delivering the event moves the app's Deployment
from ``1.2.3`` to ``1.2.4`` with the interval at an hour; a delivery with a forged signature is
refused and changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.controllers import ControllerProcess
from kapstan.testing.registries import Pusher, Registry
from kapstan.testing.waiting import wait_for

from .test_image_loop_live import (
    ARGOCD,
    P,
    _alive,
    _app,
    _apply,
    _deployment_image,
    _local_registry_conf,
    _repo,
)

pytestmark = pytest.mark.cluster

SECRET = "registry-hook-secret"


@pytest.fixture
def webhook_secret(kubectl: Kubectl, argocd: str) -> Iterator[None]:
    """``webhook.registry.secret`` in argocd-secret (added beside what is there, then removed)."""
    _apply(
        kubectl,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "argocd-secret", "namespace": ARGOCD},
            "stringData": {"webhook.registry.secret": SECRET},
        },
    )
    yield
    with contextlib.suppress(Exception):
        kubectl(
            "patch", "secret", "argocd-secret", "-n", ARGOCD, "--type=json",
            "-p", '[{"op": "remove", "path": "/data/webhook.registry.secret"}]',
        )  # fmt: skip


def _deliver(server: ApiServerProcess, registry: str, repository: str, tag: str, key: str) -> int:
    body = json.dumps({"registry": registry, "repository": repository, "tag": tag}).encode()
    signature = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Kapstan-Event": "registry.push",
        "X-Kapstan-Signature": f"sha256={signature}",
    }
    with server.client() as http:
        return http.post("/api/webhook", content=body, headers=headers).status_code


def test_a_registry_webhook_to_the_server_updates_the_image_at_once(
    registry: Registry,
    kubectl: Kubectl,
    kubeconfig: Path,
    namespace: str,
    webhook_secret: None,
    tmp_path: Path,
) -> None:
    repo_name = f"team/hooked-{uuid.uuid4().hex[:6]}"
    image = f"{registry.host}/{repo_name}"
    with Pusher(registry) as push:
        push.image(repo_name, "1.2.3")
    repo = _repo(tmp_path, f"{image}:1.2.3")
    # The registry speaks plain HTTP: registries.conf says so, as a user's would.
    _local_registry_conf(kubectl, registry)
    name = f"hooked-{uuid.uuid4().hex[:6]}"
    server = ApiServerProcess(kubeconfig, ARGOCD, tmp_path / "server.log")
    ctl = ControllerProcess(
        kubeconfig,
        tmp_path / "cache",
        tmp_path / "controller.log",
        resync=5.0,
        extra=["--image-interval", "3600"],
    )
    try:
        server.start()
        ctl.start()
        _apply(kubectl, _app(name, repo, namespace, {P + "image-list": f"app={image}:1.2.x"}))
        wait_for(
            "the Deployment at 1.2.3",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.3",
            90,
            alive=lambda: _alive(ctl),
        )
        with Pusher(registry) as push:
            push.image(repo_name, "1.2.4")
        assert _deliver(server, registry.host, repo_name, "1.2.4", "not-the-secret") == 401
        time.sleep(3)
        assert _deployment_image(kubectl, namespace) == f"{image}:1.2.3"
        delivered = time.monotonic()
        assert _deliver(server, registry.host, repo_name, "1.2.4", SECRET) == 200
        wait_for(
            "the Deployment at 1.2.4",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.4",
            60,
            alive=lambda: _alive(ctl),
            detail=lambda: server.output()[-2000:] + ctl.output()[-3000:],
        )
        print(f"registry webhook -> running the new image: {time.monotonic() - delivered:.1f}s")
        assert SECRET not in server.output() + ctl.output()
    finally:
        kubectl("delete", "application", name, "-n", ARGOCD, "--ignore-not-found", "--wait=false")
        kubectl(
            "delete", "configmap", "argocd-image-updater-config", "-n", ARGOCD, "--ignore-not-found"
        )
        ctl.stop()
        server.stop()
