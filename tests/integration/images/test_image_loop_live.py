"""Image automation end to end, as a user runs it: ``kapstan controller --image-interval``
(a real process) against the real control plane, Debian's ``docker-registry`` and a Kustomize
app in Git annotated the way argocd-image-updater users annotate it.

- polling: pushing ``1.2.4`` moves the app (``1.2.x``) from ``1.2.3`` to ``1.2.4``: the
  Application's ``spec.source.kustomize.images`` is patched, the app syncs and the Deployment
  in the cluster runs ``1.2.4``; ``2.0.0``, pushed first, is never picked; an ``ImagesUpdated``
  Event says what changed;
- on request (``--image-interval 0``): ``request_check`` (what ``kapstan server`` calls when a
  registry webhook arrives) makes the controller check at once, against an htpasswd registry
  whose credentials come from a ``pullsecret:`` in ``registries.conf``; an app on another
  repository is not touched; an unreachable registry is a Warning Event and nothing changes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.localcluster.kubectl import Kubectl
from kapstan.services.images.trigger import CHECK_REQUESTED, request_check
from kapstan.testing import gitservers
from kapstan.testing.controllers import ControllerProcess
from kapstan.testing.gitservers import _git
from kapstan.testing.registries import Pusher, Registry
from kapstan.testing.waiting import wait_for

from .conftest import PASSWORD, USER

pytestmark = pytest.mark.cluster

ARGOCD = "argocd"
P = "argocd-image-updater.argoproj.io/"
KUSTOMIZATION = "resources:\n- deployment.yaml\n"
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: {image}
"""


@pytest.fixture
def controllers() -> Iterator[list[ControllerProcess]]:
    started: list[ControllerProcess] = []
    yield started
    for ctl in started:
        ctl.stop()


def _repo(tmp_path: Path, image: str) -> Path:
    work = gitservers.init_worktree(tmp_path / "apps")
    (work / "web").mkdir()
    (work / "web" / "kustomization.yaml").write_text(KUSTOMIZATION)
    (work / "web" / "deployment.yaml").write_text(DEPLOYMENT.format(image=image))
    gitservers.commit_all(work, "web")
    return work


def _apply(kubectl: Kubectl, doc: dict[str, Any]) -> None:
    kubectl("apply", "-f", "-", stdin=json.dumps(doc))


def _registries_conf(
    kubectl: Kubectl, entries: list[dict[str, Any]], extra: dict[str, str] | None = None
) -> None:
    text = json.dumps({"registries": entries})  # JSON is YAML
    _apply(
        kubectl,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-image-updater-config", "namespace": ARGOCD},
            "data": {"registries.conf": text, **(extra or {})},
        },
    )


def _local_registry_conf(kubectl: Kubectl, registry: Registry) -> None:
    """registries.conf naming the plain-HTTP test registry, as a user's would."""
    local = {"name": "local", "prefix": registry.host, "api_url": registry.api_url}
    _registries_conf(kubectl, [local])


def _app(name: str, repo: Path, namespace: str, annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": ARGOCD, "annotations": annotations},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "web"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {"automated": {}},
        },
    }


def _start(
    kubeconfig: Path, tmp_path: Path, controllers: list[ControllerProcess], interval: str
) -> ControllerProcess:
    ctl = ControllerProcess(
        kubeconfig,
        tmp_path / "cache",
        tmp_path / f"controller-{len(controllers)}.log",
        resync=5.0,
        extra=["--image-interval", interval],
    )
    controllers.append(ctl)
    return ctl.start()


def _alive(ctl: ControllerProcess) -> None:
    if not ctl.alive():
        raise AssertionError(f"kapstan controller exited:\n{ctl.output()[-3000:]}")


def _deployment_image(kubectl: Kubectl, namespace: str) -> str | None:
    try:
        dep = kubectl.get_json("deployment", "web", "-n", namespace)
    except Exception:  # not created yet
        return None
    return str(dep["spec"]["template"]["spec"]["containers"][0]["image"])


def _events(kubectl: Kubectl, app: str) -> list[dict[str, Any]]:
    listed = kubectl.get_json(
        "events", "-n", ARGOCD, "--field-selector", f"involvedObject.name={app}"
    )
    return list(listed.get("items") or [])


def _kustomize_images(kubectl: Kubectl, app: str) -> list[str]:
    got = kubectl.get_json("application", app, "-n", ARGOCD)
    return list(((got["spec"]["source"].get("kustomize")) or {}).get("images") or [])


def test_polling_moves_the_app_to_the_new_patch_and_ignores_the_new_major(
    registry: Registry,
    pusher: Pusher,
    kubectl: Kubectl,
    kubeconfig: Path,
    namespace: str,
    argocd: str,
    tmp_path: Path,
    controllers: list[ControllerProcess],
) -> None:
    repo_name = f"team/app-{uuid.uuid4().hex[:6]}"
    image = f"{registry.host}/{repo_name}"
    pusher.image(repo_name, "1.2.3")
    pusher.image(repo_name, "2.0.0")
    repo = _repo(tmp_path, f"{image}:1.2.3")
    _local_registry_conf(kubectl, registry)
    name = f"img-{uuid.uuid4().hex[:6]}"
    ctl = _start(kubeconfig, tmp_path, controllers, "1")
    wait_for(
        "the Application CRD",
        lambda: "applications" in kubectl("api-resources"),
        60,
        alive=lambda: _alive(ctl),
    )
    _apply(kubectl, _app(name, repo, namespace, {P + "image-list": f"app={image}:1.2.x"}))
    try:
        wait_for(
            "the Deployment at 1.2.3",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.3",
            90,
            alive=lambda: _alive(ctl),
        )
        time.sleep(3)  # several image checks see 1.2.3 and 2.0.0: nothing to do
        assert _kustomize_images(kubectl, name) == []
        assert _deployment_image(kubectl, namespace) == f"{image}:1.2.3"

        pushed_at = time.monotonic()
        pusher.image(repo_name, "1.2.4")
        wait_for(
            "the Deployment at 1.2.4",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.4",
            90,
            alive=lambda: _alive(ctl),
            detail=lambda: ctl.output()[-3000:],
        )
        took = time.monotonic() - pushed_at
        assert _kustomize_images(kubectl, name) == [f"{image}:1.2.4"]
        pods = kubectl.get_json("pods", "-n", namespace, "-l", "app=web")["items"]
        assert f"{image}:1.2.4" in {p["spec"]["containers"][0]["image"] for p in pods}
        updated = [e for e in _events(kubectl, name) if e.get("reason") == "ImagesUpdated"]
        assert updated, "no ImagesUpdated event"
        assert f"to {image}:1.2.4 (from 1.2.3)" in updated[0]["message"]
        print(f"push to running (polling every 1 s): {took:.1f}s")
    finally:
        kubectl("delete", "application", name, "-n", ARGOCD, "--ignore-not-found", "--wait=false")
        kubectl(
            "delete", "configmap", "argocd-image-updater-config", "-n", ARGOCD, "--ignore-not-found"
        )


def test_requested_check_with_pull_secret_credentials(
    auth_registry: Registry,
    kubectl: Kubectl,
    kubeconfig: Path,
    namespace: str,
    argocd: str,
    tmp_path: Path,
    controllers: list[ControllerProcess],
) -> None:
    repo_name = f"team/app-{uuid.uuid4().hex[:6]}"
    image = f"{auth_registry.host}/{repo_name}"
    with Pusher(auth_registry) as push:
        push.image(repo_name, "1.2.3")
    repo = _repo(tmp_path, f"{image}:1.2.3")
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    docker = json.dumps({"auths": {auth_registry.host: {"auth": auth}}})
    secret = f"regcred-{uuid.uuid4().hex[:6]}"
    _apply(
        kubectl,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/dockerconfigjson",
            "metadata": {"name": secret, "namespace": ARGOCD},
            "data": {".dockerconfigjson": base64.b64encode(docker.encode()).decode()},
        },
    )
    _registries_conf(
        kubectl,
        [
            {
                "name": "local",
                "prefix": auth_registry.host,
                "api_url": auth_registry.api_url,
                "credentials": f"pullsecret:{ARGOCD}/{secret}",
            },
            {"name": "dead", "prefix": "127.0.0.1:9", "api_url": "http://127.0.0.1:9"},
        ],
    )
    name, other, dead = (f"{p}-{uuid.uuid4().hex[:6]}" for p in ("req", "other", "dead"))
    ctl = _start(kubeconfig, tmp_path, controllers, "0")
    wait_for(
        "the Application CRD",
        lambda: "applications" in kubectl("api-resources"),
        60,
        alive=lambda: _alive(ctl),
    )
    _apply(kubectl, _app(name, repo, namespace, {P + "image-list": f"app={image}:1.2.x"}))
    other_ns = f"{namespace}-o"
    kubectl("create", "namespace", other_ns)
    _apply(
        kubectl,
        _app(other, repo, other_ns, {P + "image-list": f"app={auth_registry.host}/team/else:1.x"}),
    )
    kubectl("create", "namespace", f"{namespace}-d")
    _apply(
        kubectl,
        _app(
            dead,
            repo,
            f"{namespace}-d",
            {P + "image-list": "app=127.0.0.1:9/team/app:1.x", P + "app.force-update": "true"},
        ),
    )

    async def ask(repository: str) -> list[str]:
        async with KubeClient(load_kubeconfig(kubeconfig)) as kube:
            return await request_check(kube, ARGOCD, repository)

    try:
        wait_for(
            "the Deployment at 1.2.3",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.3",
            90,
            alive=lambda: _alive(ctl),
        )
        with Pusher(auth_registry) as push:
            push.image(repo_name, "1.2.4")
        asked_at = time.monotonic()
        assert asyncio.run(ask(image)) == [name]
        wait_for(
            "the Deployment at 1.2.4",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.4",
            60,
            alive=lambda: _alive(ctl),
            detail=lambda: ctl.output()[-3000:],
        )
        took = time.monotonic() - asked_at
        got = kubectl.get_json("application", name, "-n", ARGOCD)
        assert CHECK_REQUESTED not in (got["metadata"].get("annotations") or {})
        assert _kustomize_images(kubectl, other) == []
        assert asyncio.run(ask("127.0.0.1:9/team/app")) == [dead]
        failed = wait_for(
            "a Warning event on the app whose registry is down",
            lambda: [e for e in _events(kubectl, dead) if e.get("reason") == "ImageUpdateFailed"],
            30,
            alive=lambda: _alive(ctl),
        )
        assert failed[0]["type"] == "Warning"
        assert "unreachable" in failed[0]["message"]
        assert _kustomize_images(kubectl, dead) == []
        assert PASSWORD not in ctl.output()
        print(f"request to running (on request): {took:.1f}s")
    finally:
        for app in (name, other, dead):
            kubectl(
                "delete", "application", app, "-n", ARGOCD, "--ignore-not-found", "--wait=false"
            )
        kubectl(
            "delete", "configmap", "argocd-image-updater-config", "-n", ARGOCD, "--ignore-not-found"
        )
        kubectl("delete", "secret", secret, "-n", ARGOCD, "--ignore-not-found")
        for ns in (other_ns, f"{namespace}-d"):
            kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=false")


CHART = "apiVersion: v2\nname: web\nversion: 0.1.0\n"
VALUES = 'image:\n  name: {name}\n  tag: "{tag}"\n'
TEMPLATE = DEPLOYMENT.format(image="{{ .Values.image.name }}:{{ .Values.image.tag }}")


def test_helm_app_gets_its_parameters_and_a_bad_annotation_is_reported(
    registry: Registry,
    pusher: Pusher,
    kubectl: Kubectl,
    kubeconfig: Path,
    namespace: str,
    argocd: str,
    tmp_path: Path,
    controllers: list[ControllerProcess],
) -> None:
    repo_name = f"team/helm-{uuid.uuid4().hex[:6]}"
    image = f"{registry.host}/{repo_name}"
    pusher.image(repo_name, "1.2.3")
    work = gitservers.init_worktree(tmp_path / "charts")
    (work / "web" / "templates").mkdir(parents=True)
    (work / "web" / "Chart.yaml").write_text(CHART)
    (work / "web" / "values.yaml").write_text(VALUES.format(name=image, tag="1.2.3"))
    (work / "web" / "templates" / "deployment.yaml").write_text(TEMPLATE)
    gitservers.commit_all(work, "chart")
    _local_registry_conf(kubectl, registry)
    name, bad = f"helm-{uuid.uuid4().hex[:6]}", f"bad-{uuid.uuid4().hex[:6]}"
    ctl = _start(kubeconfig, tmp_path, controllers, "1")
    wait_for("the Application CRD", lambda: "applications" in kubectl("api-resources"), 60)
    _apply(
        kubectl,
        _app(
            name,
            work,
            namespace,
            {
                P + "image-list": f"web={image}:~1.2",
                P + "web.helm.image-name": "image.name",
                P + "web.helm.image-tag": "image.tag",
            },
        ),
    )
    kubectl("create", "namespace", f"{namespace}-b")
    _apply(
        kubectl,
        _app(
            bad,
            work,
            f"{namespace}-b",
            {P + "image-list": f"web={image}", P + "web.update-strategy": "best"},
        ),
    )
    try:
        wait_for(
            "the Deployment at 1.2.3",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.3",
            90,
            alive=lambda: _alive(ctl),
        )
        pusher.image(repo_name, "1.2.4")
        wait_for(
            "the Deployment at 1.2.4",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.4",
            90,
            alive=lambda: _alive(ctl),
            detail=lambda: ctl.output()[-3000:],
        )
        got = kubectl.get_json("application", name, "-n", ARGOCD)
        params = {p["name"]: p["value"] for p in got["spec"]["source"]["helm"]["parameters"]}
        assert params == {"image.name": image, "image.tag": "1.2.4"}
        failed = wait_for(
            "a Warning event naming the bad annotation",
            lambda: [e for e in _events(kubectl, bad) if e.get("reason") == "ImageUpdateFailed"],
            30,
            alive=lambda: _alive(ctl),
        )
        assert "unknown update strategy 'best'" in failed[0]["message"]
        assert P + "web.update-strategy" in failed[0]["message"]
        assert len(failed) == 1  # recorded once, not on every interval
    finally:
        for app in (name, bad):
            kubectl(
                "delete", "application", app, "-n", ARGOCD, "--ignore-not-found", "--wait=false"
            )
        kubectl(
            "delete", "configmap", "argocd-image-updater-config", "-n", ARGOCD, "--ignore-not-found"
        )
        kubectl("delete", "namespace", f"{namespace}-b", "--ignore-not-found", "--wait=false")


def test_image_updater_resource_configures_an_app_without_annotations(
    registry: Registry,
    pusher: Pusher,
    kubectl: Kubectl,
    kubeconfig: Path,
    namespace: str,
    argocd: str,
    tmp_path: Path,
    controllers: list[ControllerProcess],
) -> None:
    repo_name = f"team/iu-{uuid.uuid4().hex[:6]}"
    image = f"{registry.host}/{repo_name}"
    pusher.image(repo_name, "1.2.3")
    repo = _repo(tmp_path, f"{image}:1.2.3")
    _local_registry_conf(kubectl, registry)
    suffix = uuid.uuid4().hex[:6]
    name, updater = f"iu-app-{suffix}", f"iu-{suffix}"
    ctl = _start(kubeconfig, tmp_path, controllers, "1")
    wait_for("the Application CRD", lambda: "applications" in kubectl("api-resources"), 60)
    _apply(kubectl, _app(name, repo, namespace, {}))
    _apply(
        kubectl,
        {
            "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
            "kind": "ImageUpdater",
            "metadata": {"name": updater, "namespace": ARGOCD},
            "spec": {
                "namespace": ARGOCD,
                "applicationRefs": [
                    {
                        "namePattern": f"iu-app-{suffix}*",
                        "images": [
                            {
                                "alias": "web",
                                "imageName": f"{image}:1.2.x",
                                "commonUpdateSettings": {"updateStrategy": "semver"},
                                "manifestTargets": {"kustomize": {"name": image}},
                            }
                        ],
                    }
                ],
            },
        },
    )
    try:
        wait_for(
            "the Deployment at 1.2.3",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.3",
            90,
            alive=lambda: _alive(ctl),
        )
        pusher.image(repo_name, "1.2.4")
        pusher.image(repo_name, "2.0.0")
        wait_for(
            "the Deployment at 1.2.4",
            lambda: _deployment_image(kubectl, namespace) == f"{image}:1.2.4",
            90,
            alive=lambda: _alive(ctl),
            detail=lambda: ctl.output()[-3000:],
        )
        assert _kustomize_images(kubectl, name) == [f"{image}={image}:1.2.4"]

        def status() -> dict[str, Any] | None:
            got = kubectl.get_json("imageupdater", updater, "-n", ARGOCD).get("status") or {}
            versions = {i["version"] for i in got.get("imageStatus") or []}
            return got if "1.2.4" in versions else None

        shown = wait_for("the ImageUpdater status at 1.2.4", status, 30, alive=lambda: _alive(ctl))
        assert shown["conditions"][0]["type"] == "Ready"
        assert shown["conditions"][0]["status"] == "True"
        [entry] = shown["imageStatus"]
        assert (entry["name"], entry["applications"][0]["appName"]) == (image, f"{ARGOCD}/{name}")
    finally:
        kubectl("delete", "imageupdater", updater, "-n", ARGOCD, "--ignore-not-found")
        kubectl("delete", "application", name, "-n", ARGOCD, "--ignore-not-found", "--wait=false")
        kubectl(
            "delete", "configmap", "argocd-image-updater-config", "-n", ARGOCD, "--ignore-not-found"
        )


@dataclass
class Scene:
    """What every git write-back test needs: the registry, the cluster, a controller."""

    registry: Registry
    pusher: Pusher
    kubectl: Kubectl
    kubeconfig: Path
    namespace: str
    tmp_path: Path
    controllers: list[ControllerProcess]


@pytest.fixture
def scene(
    registry: Registry,
    pusher: Pusher,
    kubectl: Kubectl,
    kubeconfig: Path,
    namespace: str,
    argocd: str,
    tmp_path: Path,
    controllers: list[ControllerProcess],
) -> Scene:
    return Scene(registry, pusher, kubectl, kubeconfig, namespace, tmp_path, controllers)


@contextlib.contextmanager
def _rolled_through_git(
    scene: Scene,
    prefix: str,
    files: Callable[[str], dict[str, str]],
    annotations: dict[str, str],
    config: dict[str, str] | None = None,
) -> Iterator[tuple[Path, str, str]]:
    """A repository of ``files(image at 1.2.3)`` behind an app with ``annotations`` (and
    ``image-list`` ``web=<image>:1.2.x``, write-back git), deployed at 1.2.3; then 1.2.4 is
    pushed to the registry and the Deployment must come to run it (through the commit the
    write-back pushed). Yields (the bare remote, the app's name, the image)."""
    kubectl = scene.kubectl
    repo_name = f"team/{prefix}-{uuid.uuid4().hex[:6]}"
    image = f"{scene.registry.host}/{repo_name}"
    scene.pusher.image(repo_name, "1.2.3")
    seed = gitservers.init_worktree(scene.tmp_path / "seed")
    for path, text in files(f"{image}:1.2.3").items():
        (seed / path).parent.mkdir(parents=True, exist_ok=True)
        (seed / path).write_text(text)
    gitservers.commit_all(seed, "seed")
    bare = scene.tmp_path / "remote.git"
    _git(scene.tmp_path, "clone", "--quiet", "--bare", str(seed), str(bare))
    local = {"name": "local", "prefix": scene.registry.host, "api_url": scene.registry.api_url}
    _registries_conf(kubectl, [local], config)
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    ctl = _start(scene.kubeconfig, scene.tmp_path, scene.controllers, "1")
    wait_for("the Application CRD", lambda: "applications" in kubectl("api-resources"), 60)
    wanted = {P + "image-list": f"web={image}:1.2.x", P + "write-back-method": "git"}
    _apply(kubectl, _app(name, bare, scene.namespace, {**wanted, **annotations}))
    try:
        wait_for(
            "the Deployment at 1.2.3",
            lambda: _deployment_image(kubectl, scene.namespace) == f"{image}:1.2.3",
            90,
            alive=lambda: _alive(ctl),
        )
        scene.pusher.image(repo_name, "1.2.4")
        wait_for(
            "the Deployment at 1.2.4",
            lambda: _deployment_image(kubectl, scene.namespace) == f"{image}:1.2.4",
            90,
            alive=lambda: _alive(ctl),
            detail=lambda: ctl.output()[-3000:],
        )
        yield bare, name, image
    finally:
        kubectl("delete", "application", name, "-n", ARGOCD, "--ignore-not-found", "--wait=false")
        kubectl(
            "delete", "configmap", "argocd-image-updater-config", "-n", ARGOCD, "--ignore-not-found"
        )


def _kustomize_files(image: str) -> dict[str, str]:
    return {
        "web/kustomization.yaml": KUSTOMIZATION,
        "web/deployment.yaml": DEPLOYMENT.format(image=image),
    }


@pytest.mark.parametrize("target", ["kustomization", ""], ids=["kustomization", "argocd-source"])
def test_git_write_back_commits_the_kustomization_and_the_commit_is_deployed(
    target: str, scene: Scene
) -> None:
    # No target: argocd-image-updater's default, .argocd-source-<app>.yaml.
    annotations = {P + "write-back-target": target} if target else {}
    config = {
        "git.user": "image-robot",
        "git.email": "robot@example.com",
        "git.commit-message-template": "chore: {{ .AppName }}{{ range .AppChanges }}"
        " {{ .OldTag }}->{{ .NewTag }}{{ end }}",
    }
    with _rolled_through_git(scene, "git", _kustomize_files, annotations, config) as rolled:
        bare, name, image = rolled
        kubectl = scene.kubectl
        log = _git(bare, "log", "--format=%an <%ae>|%s", "main").splitlines()
        assert log[0] == f"image-robot <robot@example.com>|chore: {name} 1.2.3->1.2.4"
        assert len(log) == 2  # one commit, not one per interval
        kustomization = _git(bare, "show", "main:web/kustomization.yaml")
        if target:
            assert f"name: {image}" in kustomization
            assert "newTag: 1.2.4" in kustomization
            assert "- deployment.yaml" in kustomization
        else:  # the kustomization as it was; the override file says the image
            assert kustomization.strip() == KUSTOMIZATION.strip()
            written = _git(bare, "show", f"main:web/.argocd-source-{name}.yaml")
            assert written.strip() == f"kustomize:\n  images:\n  - {image}:1.2.4"
        assert _kustomize_images(kubectl, name) == []  # Git, not the Application, holds it
        got = kubectl.get_json("application", name, "-n", ARGOCD)
        assert got["status"]["sync"]["revision"] == _git(bare, "rev-parse", "main")
        updated = [e for e in _events(kubectl, name) if e.get("reason") == "ImagesUpdated"]
        assert len(updated) == 1
        assert "(commit " in updated[0]["message"]


COMMENTED = (
    '# web chart\nimage:\n  name: {name}  # where from\n  tag: "{tag}"  # bumped by Kapstan\n'
)


def _chart_files(image: str) -> dict[str, str]:
    name, tag = image.rsplit(":", 1)
    return {
        "web/Chart.yaml": CHART,
        "web/values.yaml": COMMENTED.format(name=name, tag=tag),
        "web/templates/deployment.yaml": TEMPLATE,
    }


def test_git_write_back_to_helm_values_keeps_the_file_as_written(scene: Scene) -> None:
    annotations = {P + "write-back-target": "helmvalues:values.yaml"}
    with _rolled_through_git(scene, "hv", _chart_files, annotations) as (bare, name, image):
        pushed = _git(bare, "show", "main:web/values.yaml") + "\n"
        # One value changed, nothing else: comments and quoting as written.
        assert pushed == COMMENTED.format(name=image, tag="1.2.4")
        got = scene.kubectl.get_json("application", name, "-n", ARGOCD)
        assert not (got["spec"]["source"].get("helm") or {}).get("parameters")


def _marked(image: str) -> str:
    return DEPLOYMENT.format(image=f'{image} # {{"$imagepolicy": "{ARGOCD}:web"}}')


def test_git_write_back_to_flux_setter_markers_in_a_plain_directory_app(scene: Scene) -> None:
    annotations = {P + "write-back-target": "setters"}

    def files(image: str) -> dict[str, str]:
        return {"web/deployment.yaml": _marked(image)}

    with _rolled_through_git(scene, "fx", files, annotations) as (bare, _, image):
        pushed = _git(bare, "show", "main:web/deployment.yaml") + "\n"
        assert pushed == _marked(f"{image}:1.2.4")
