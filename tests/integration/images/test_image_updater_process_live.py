"""``kapstan image-updater`` as its own process beside ``kapstan controller --image-interval
off``, as argocd-image-updater runs beside Argo CD.

With the controller's image loop off, a pushed ``1.2.4`` changes nothing (no second loop is
hiding in the controller); once ``kapstan image-updater --interval 1s`` runs, it moves the app
(``1.2.x``) from ``1.2.3`` to ``1.2.4``, and the controller deploys what it wrote. With
``--interval 0`` it checks only on request: a registry webhook received by ``kapstan server``
reaches it (not the controller) and the new tag is deployed at once.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from kapstan.demo.children import kapstan_argv
from kapstan.localcluster import process
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
    _kustomize_images,
    _local_registry_conf,
    _repo,
)
from .test_image_webhook_live import SECRET, _deliver, webhook_secret

pytestmark = pytest.mark.cluster
__all__ = ["webhook_secret"]  # the fixture, imported for the webhook test


def _updater(kubeconfig: Path, log: Path, interval: str, *extra: str) -> process.ProcessHandle:
    """A running ``kapstan image-updater --interval INTERVAL [extra...]`` of ARGOCD."""
    argv = kapstan_argv(
        "image-updater", "--kubeconfig", str(kubeconfig), "--namespace", ARGOCD,
        "--interval", interval, *extra,
    )  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return process.spawn("kapstan-image-updater", argv, log=log, env=env)


def test_the_image_updater_process_updates_an_app_the_controller_deploys(
    registry: Registry,
    pusher: Pusher,
    kubectl: Kubectl,
    kubeconfig: Path,
    namespace: str,
    argocd: str,
    tmp_path: Path,
) -> None:
    repo_name = f"team/separate-{uuid.uuid4().hex[:6]}"
    image = f"{registry.host}/{repo_name}"
    pusher.image(repo_name, "1.2.3")
    repo = _repo(tmp_path, f"{image}:1.2.3")
    _local_registry_conf(kubectl, registry)
    name = f"separate-{uuid.uuid4().hex[:6]}"
    ctl = ControllerProcess(
        kubeconfig,
        tmp_path / "cache",
        tmp_path / "controller.log",
        resync=5.0,
        extra=["--image-interval", "off"],
    )
    updater_log = tmp_path / "image-updater.log"
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
        time.sleep(4)  # the controller alone: its image loop is off, nothing moves
        assert _kustomize_images(kubectl, name) == []
        assert "image automation off" in ctl.output()

        updater = _updater(kubeconfig, updater_log, "1s")
        started = time.monotonic()

        def running() -> None:
            _alive(ctl)
            if updater is not None and not updater.alive():
                raise AssertionError(f"image-updater exited:\n{updater_log.read_text()[-3000:]}")

        wait_for(
            "the Deployment at 1.2.4",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.4",
            90,
            alive=running,
            detail=lambda: updater_log.read_text()[-3000:] + ctl.output()[-2000:],
        )
        print(f"image-updater started -> running 1.2.4: {time.monotonic() - started:.1f}s")
        assert _kustomize_images(kubectl, name) == [f"{image}:1.2.4"]
        assert f"image check of app {name}" in updater_log.read_text()
        assert f"image check of app {name}" not in ctl.output()
    finally:
        kubectl("delete", "application", name, "-n", ARGOCD, "--ignore-not-found", "--wait=false")
        kubectl(
            "delete", "configmap", "argocd-image-updater-config", "-n", ARGOCD, "--ignore-not-found"
        )
        if updater is not None:
            process.stop(updater)
        ctl.stop()


def test_a_registry_webhook_reaches_the_image_updater_process(
    registry: Registry,
    pusher: Pusher,
    kubectl: Kubectl,
    kubeconfig: Path,
    namespace: str,
    argocd: str,
    webhook_secret: None,
    tmp_path: Path,
) -> None:
    repo_name = f"team/separate-hook-{uuid.uuid4().hex[:6]}"
    image = f"{registry.host}/{repo_name}"
    pusher.image(repo_name, "1.2.3")
    repo = _repo(tmp_path, f"{image}:1.2.3")
    _local_registry_conf(kubectl, registry)
    name = f"separate-hook-{uuid.uuid4().hex[:6]}"
    server = ApiServerProcess(kubeconfig, ARGOCD, tmp_path / "server.log")
    ctl = ControllerProcess(
        kubeconfig,
        tmp_path / "cache",
        tmp_path / "controller.log",
        resync=5.0,
        extra=["--image-interval", "off"],
    )
    updater_log = tmp_path / "image-updater.log"
    updater: process.ProcessHandle | None = None
    try:
        server.start()
        ctl.start()
        updater = _updater(kubeconfig, updater_log, "0")

        def running() -> None:
            _alive(ctl)
            if updater is not None and not updater.alive():
                raise AssertionError(f"image-updater exited:\n{updater_log.read_text()[-3000:]}")

        _apply(kubectl, _app(name, repo, namespace, {P + "image-list": f"app={image}:1.2.x"}))
        wait_for(
            "the Deployment at 1.2.3",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.3",
            90,
            alive=running,
        )
        pusher.image(repo_name, "1.2.4")
        delivered = time.monotonic()
        assert _deliver(server, registry.host, repo_name, "1.2.4", SECRET) == 200
        wait_for(
            "the Deployment at 1.2.4",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.4",
            60,
            alive=running,
            detail=lambda: updater_log.read_text()[-3000:] + server.output()[-2000:],
        )
        print(f"webhook -> image-updater -> running 1.2.4: {time.monotonic() - delivered:.1f}s")
        assert f"check of app {name} requested" in updater_log.read_text()
        assert f"image check of app {name}" not in ctl.output()
    finally:
        kubectl("delete", "application", name, "-n", ARGOCD, "--ignore-not-found", "--wait=false")
        kubectl(
            "delete", "configmap", "argocd-image-updater-config", "-n", ARGOCD, "--ignore-not-found"
        )
        if updater is not None:
            process.stop(updater)
        ctl.stop()
        server.stop()
