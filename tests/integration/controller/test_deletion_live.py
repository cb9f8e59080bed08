"""Cascade deletion of an Application on the real cluster, driven as the reconciler does.

Each scenario creates an Application (CRD installed) and, in the test namespace, a tracked
Deployment (with running ReplicaSet and pods), ConfigMap and Service, a tracked ClusterRole,
a tracked ConfigMap with ``Delete=false`` and an untracked ConfigMap. The foreground scenario
adds a tracked ConfigMap held by a foreign finalizer, released by the test after two passes
saw it pending, to show that pending objects block completion and the cluster-scoped tier.
The Application is deleted with ``kubectl delete --wait=false``; then ``finalize`` is called
about once a second with the tracked live objects, as listed afresh, until it reports done.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kapstan.controller.deletion import FinalizeResult
from kapstan.controller.deletion import finalize as run_finalize
from kapstan.engine.deletion import cascade_policy
from kapstan.engine.tracking import Tracking
from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.kube.discovery import Discovery
from kapstan.kube.errors import NotFound
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import CommandError
from kapstan.model.annotations import SYNC_OPTIONS
from kapstan.model.keys import ResourceKey
from kapstan.model.vocabulary import RESOURCES_FINALIZER as FINALIZER
from kapstan.model.vocabulary import RESOURCES_FINALIZER_BACKGROUND as BACKGROUND
from kapstan.runtime.install import install_crds

pytestmark = pytest.mark.cluster
TRACKING = Tracking()


def with_tracking(app: str, obj: dict[str, Any]) -> dict[str, Any]:
    return TRACKING.stamp(app, obj)


def tracked_by(obj: dict[str, Any]) -> str | None:
    return TRACKING.app_of(obj)


APP = "doomed"
LABELS = {"app": "web"}
HOLD = "kapstan.test/hold"
TIMEOUT = 120.0


def _app(namespace: str, finalizers: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": APP, "namespace": namespace, "finalizers": finalizers},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://example.com/apps.git", "path": "web"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        },
    }


def _objects(
    namespace: str, *, hold: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tracked, untracked) objects; the tracked ones carry the app's tracking id."""
    meta = {"namespace": namespace}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", **meta},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", **meta},
        "spec": {"selector": LABELS, "ports": [{"port": 80}]},
    }
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", **meta}}
    keep = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "keep", "annotations": {SYNC_OPTIONS: "Delete=false"}, **meta},
    }
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": f"{namespace}-reader"},
        "rules": [],
    }
    stray = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stray", **meta}}
    held = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "held", **meta}}
    held["metadata"]["finalizers"] = [HOLD]
    objs = (deployment, service, config, keep, role, *([held] if hold else []))
    tracked = [with_tracking(APP, o) for o in objs]
    return tracked, [stray]


@dataclass
class Outcome:
    """What the scenario observed: each pass's result and tracked live keys."""

    results: list[FinalizeResult] = field(default_factory=list)
    snapshots: list[set[str]] = field(default_factory=list)
    pods_before: int = 0
    held_passes: int = 0


class Scenario:
    def __init__(self, kube: KubeClient, kubectl: Kubectl, namespace: str) -> None:
        self.kube = kube
        self.kubectl = kubectl
        self.ns = namespace
        self.discovery = Discovery(kube)
        self.app_path = f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/applications/{APP}"

    async def is_namespaced_lookup(self) -> Callable[[str, str], bool | None]:
        return (await self.discovery.model()).namespaced

    async def list(self, path: str, **params: Any) -> list[dict[str, Any]]:
        return (await self.kube.list(path, params)).items

    async def live(self) -> list[dict[str, Any]]:
        """The app's tracked objects, listed afresh (what the reconciler would pass)."""
        ns = self.ns
        found: list[dict[str, Any]] = []
        for path in (
            f"/apis/apps/v1/namespaces/{ns}/deployments",
            f"/api/v1/namespaces/{ns}/services",
            f"/api/v1/namespaces/{ns}/configmaps",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        ):
            found.extend(o for o in await self.list(path) if tracked_by(o) == APP)
        return found

    async def pods_and_replicasets(self) -> int:
        selector = "app=web"
        pods = await self.list(f"/api/v1/namespaces/{self.ns}/pods", labelSelector=selector)
        sets = await self.list(
            f"/apis/apps/v1/namespaces/{self.ns}/replicasets", labelSelector=selector
        )
        return len(pods) + len(sets)

    async def wait(self, what: str, check: Callable[[], Any]) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not await check():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.5)

    async def setup(self, finalizers: list[str], *, hold: bool = False) -> None:
        await install_crds(self.kube)
        tracked, untracked = _objects(self.ns, hold=hold)
        docs = [_app(self.ns, finalizers), *tracked, *untracked]
        self.kubectl(
            "apply",
            "-f",
            "-",
            stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}),
        )

        async def pods_running() -> bool:
            pods = await self.list(f"/api/v1/namespaces/{self.ns}/pods", labelSelector="app=web")
            return len(pods) == 2

        await self.wait("the Deployment's pods", pods_running)

    async def delete_app(self) -> Outcome:
        """``kubectl delete --wait=false``, then one finalize pass a second until done."""
        outcome = Outcome(pods_before=await self.pods_and_replicasets())
        self.kubectl("delete", "application", APP, "-n", self.ns, "--wait=false")
        app = await self.kube.get(self.app_path)
        assert app["metadata"].get("deletionTimestamp")
        lookup = await self.is_namespaced_lookup()
        deadline = time.monotonic() + TIMEOUT
        while True:
            assert time.monotonic() < deadline, f"not done: {outcome.results[-3:]}"
            app = await self.kube.get(self.app_path)
            live = await self.live()
            outcome.snapshots.append({str(ResourceKey.from_obj(o)) for o in live})
            result = await run_finalize(
                self.kube,
                self.app_path,
                app,
                live,
                is_namespaced=lookup,
                discovery=self.discovery,
            )
            outcome.results.append(result)
            assert result.message == "", result.message
            if result.done:
                return outcome
            held = [o for o in live if o["metadata"]["name"] == "held"]
            if held and held[0]["metadata"].get("deletionTimestamp"):
                assert f"/ConfigMap/{self.ns}/held" in result.remaining
                outcome.held_passes += 1
                if outcome.held_passes == 2:
                    self.release_held()
            await asyncio.sleep(1.0)

    def release_held(self) -> None:
        unblock = json.dumps({"metadata": {"finalizers": None}})
        with contextlib.suppress(CommandError):  # already gone
            self.kubectl("patch", "configmap", "held", "-n", self.ns, "--type=merge", "-p", unblock)

    async def exists(self, path: str) -> bool:
        try:
            await self.kube.get(path)
        except NotFound:
            return False
        return True

    def cleanup(self) -> None:
        unblock = json.dumps({"metadata": {"finalizers": None}})
        ns = ["-n", self.ns, "--ignore-not-found"]
        if APP in self.kubectl("get", "applications", *ns, "-o", "name"):
            self.kubectl("patch", "application", APP, "-n", self.ns, "--type=merge", "-p", unblock)
        self.kubectl("delete", "application", APP, *ns, "--wait=false")
        self.kubectl("delete", "clusterrole", f"{self.ns}-reader", "--ignore-not-found")
        self.release_held()


def _scenario(
    kubeconfig: Path, kubectl: Kubectl, namespace: str, finalizers: list[str], background: bool
) -> None:
    async def main() -> None:
        async with KubeClient(load_kubeconfig(kubeconfig)) as kube:
            scenario = Scenario(kube, kubectl, namespace)
            try:
                await scenario.setup(finalizers, hold=not background)
                outcome = await scenario.delete_app()
                await _check(scenario, outcome, background)
            finally:
                scenario.cleanup()

    asyncio.run(main())


async def _check(s: Scenario, outcome: Outcome, background: bool) -> None:
    ns = s.ns
    role = f"rbac.authorization.k8s.io/ClusterRole//{ns}-reader"
    namespaced = {f"apps/Deployment/{ns}/web", f"/Service/{ns}/web", f"/ConfigMap/{ns}/cfg"}
    namespaced |= set() if background else {f"/ConfigMap/{ns}/held"}
    assert outcome.pods_before == 3  # one ReplicaSet, two pods
    first = outcome.snapshots[0]
    assert namespaced | {role, f"/ConfigMap/{ns}/keep"} <= first
    assert outcome.results[0].remaining[-1] == role  # cluster-scoped last
    # Ordering: while any namespaced object was still there, the ClusterRole was untouched.
    for snapshot in outcome.snapshots:
        if snapshot & namespaced:
            assert role in snapshot
    assert len(outcome.results) >= 2
    if not background:  # the held ConfigMap kept the app (and the ClusterRole) waiting
        assert outcome.held_passes == 2
    assert outcome.results[-1].remaining == ()

    # Tracked objects gone (foreground: the Deployment's dependents first), the rest kept.
    assert await s.live() == [await s.kube.get(f"/api/v1/namespaces/{ns}/configmaps/keep")]
    assert await s.exists(f"/api/v1/namespaces/{ns}/configmaps/stray")
    assert not await s.exists(f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{ns}-reader")
    if background:

        async def collected() -> bool:
            return await s.pods_and_replicasets() == 0

        await s.wait("the garbage collector", collected)
    else:
        assert await s.pods_and_replicasets() == 0

    # The finalizer is gone, and with it the Application; another pass has nothing to do.
    assert not await s.exists(s.app_path)
    again = await run_finalize(
        s.kube,
        s.app_path,
        _app(ns, [FINALIZER]),
        await s.live(),
        is_namespaced=await s.is_namespaced_lookup(),
        discovery=s.discovery,
    )
    assert again == FinalizeResult(done=True)


def test_foreground_cascade(kubeconfig: Path, kubectl: Kubectl, namespace: str) -> None:
    _scenario(kubeconfig, kubectl, namespace, [FINALIZER], background=False)


def test_background_cascade(kubeconfig: Path, kubectl: Kubectl, namespace: str) -> None:
    _scenario(kubeconfig, kubectl, namespace, [BACKGROUND], background=True)


def test_no_finalizer_orphans(kubeconfig: Path, kubectl: Kubectl, namespace: str) -> None:
    async def main() -> None:
        async with KubeClient(load_kubeconfig(kubeconfig)) as kube:
            s = Scenario(kube, kubectl, namespace)
            try:
                await install_crds(kube)
                tracked, _ = _objects(namespace)
                docs = [_app(namespace, []), *tracked]
                kubectl(
                    "apply",
                    "-f",
                    "-",
                    stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}),
                )
                app = await kube.get(s.app_path)
                assert cascade_policy(app) is None
                live = await s.live()
                result = await run_finalize(
                    kube,
                    s.app_path,
                    app,
                    live,
                    is_namespaced=await s.is_namespaced_lookup(),
                    discovery=s.discovery,
                )
                assert result == FinalizeResult(done=True)
                kubectl("delete", "application", APP, "-n", namespace, "--wait=true")
                assert not await s.exists(s.app_path)
                after = {str(ResourceKey.from_obj(o)) for o in await s.live()}
                assert after == {str(ResourceKey.from_obj(o)) for o in live}
                assert len(after) == 5
            finally:
                s.cleanup()

    asyncio.run(main())
