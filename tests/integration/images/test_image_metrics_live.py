"""``/metrics`` of the image loop, scraped from the real processes: ``kapstan image-updater
--metrics-port`` beside ``kapstan controller --image-interval off --metrics-port``, the real
control plane and Debian's ``docker-registry``.

After ``1.2.4`` is pushed and the image-updater moves the app to it, a Prometheus scrape of
the image-updater shows the app watched, one image updated, no error and its requests to the
registry (none failed); the controller's endpoint answers too, with nothing counted (its
loop is off). Stopping the image-updater closes its port.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import httpx2
import pytest

from kapstan.localcluster import process
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.ports import free_port
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
    _kustomize_images,
    _local_registry_conf,
    _repo,
)
from .test_image_updater_process_live import _updater

pytestmark = pytest.mark.cluster


def _sample(text: str, name: str, labels: str = "") -> float | None:
    """The value of series ``name{labels}`` in a text-format scrape (None: not there)."""
    series = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        key, _, value = line.rpartition(" ")
        if key == series:
            return float(value)
    return None


def _scrape(port: int) -> str:
    answer = httpx2.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return answer.text


def _updated(port: int, app: str) -> float | None:
    """images_updated_total of ``app``, None until the endpoint listens."""
    try:
        text = _scrape(port)
    except httpx2.ConnectError:
        return None
    return _sample(text, "argocd_image_updater_images_updated_total", f'application="{app}"')


def test_image_updater_metrics_count_the_update_and_the_registry_requests(
    registry: Registry,
    pusher: Pusher,
    kubectl: Kubectl,
    kubeconfig: Path,
    namespace: str,
    argocd: str,
    tmp_path: Path,
) -> None:
    repo_name = f"team/metrics-{uuid.uuid4().hex[:6]}"
    image = f"{registry.host}/{repo_name}"
    pusher.image(repo_name, "1.2.3")
    repo = _repo(tmp_path, f"{image}:1.2.3")
    _local_registry_conf(kubectl, registry)
    name = f"metrics-{uuid.uuid4().hex[:6]}"
    ctl_port, port = free_port(), free_port()
    ctl = ControllerProcess(
        kubeconfig,
        tmp_path / "cache",
        tmp_path / "controller.log",
        resync=5.0,
        extra=["--image-interval", "off", "--metrics-port", str(ctl_port),
               "--metrics-address", "127.0.0.1"],
    )  # fmt: skip
    log = tmp_path / "image-updater.log"
    updater: process.ProcessHandle | None = None
    try:
        ctl.start()
        _apply(kubectl, _app(name, repo, namespace, {P + "image-list": f"app={image}:1.2.x"}))
        wait_for(
            "the Deployment at 1.2.3",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.3",
            90,
            alive=lambda: _alive(ctl),
        )
        pusher.image(repo_name, "1.2.4")
        updater = _updater(
            kubeconfig, log, "1s", "--metrics-port", str(port), "--metrics-address", "127.0.0.1"
        )

        def running() -> None:
            _alive(ctl)
            if updater is not None and not updater.alive():
                raise AssertionError(f"image-updater exited:\n{log.read_text()[-3000:]}")

        wait_for(
            "the update counted in /metrics",
            lambda: _updated(port, name) == 1,
            90,
            alive=running,
            detail=lambda: log.read_text()[-3000:],
        )
        assert _kustomize_images(kubectl, name) == [f"{image}:1.2.4"]
        text = _scrape(port)
        api = f'registry="{registry.api_url}"'
        app = f'application="{name}"'
        assert _sample(text, "argocd_image_updater_images_errors_total", app) == 0
        assert _sample(text, "argocd_image_updater_images_watched_total", app) == 1
        assert (_sample(text, "argocd_image_updater_applications_watched_total") or 0) >= 1
        requests = _sample(text, "argocd_image_updater_registry_requests_total", api)
        assert requests is not None
        assert requests >= 1  # a tag list per pass, 1 s apart
        assert _sample(text, "argocd_image_updater_registry_requests_failed_total", api) == 0

        # The controller serves its endpoint too; its image loop is off, so nothing is counted.
        ctl_text = _scrape(ctl_port)
        assert _sample(ctl_text, "argocd_image_updater_applications_watched_total") == 0
        assert "argocd_image_updater_images_updated_total{" not in ctl_text
        # ... and /healthz, as Argo CD's controller does on its metrics port: it has long
        # listed its apps by now (it synced one).
        health = httpx2.get(f"http://127.0.0.1:{ctl_port}/healthz", timeout=10)
        assert (health.status_code, health.text) == (200, "ok\n")

        process.stop(updater)
        assert "image-updater stopped" in log.read_text()
        with socket.socket() as s:  # the endpoint went with the process
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
        updater = None
    finally:
        kubectl("delete", "application", name, "-n", ARGOCD, "--ignore-not-found", "--wait=false")
        kubectl(
            "delete", "configmap", "argocd-image-updater-config", "-n", ARGOCD, "--ignore-not-found"
        )
        if updater is not None:
            process.stop(updater)
        ctl.stop()
