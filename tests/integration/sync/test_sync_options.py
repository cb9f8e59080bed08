"""Each sync option's effect on real objects, plus retry, terminate and generateName hooks."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kapstan.controller.sync import SyncRunner, run_with_retry
from kapstan.engine.ignore import IgnoreRule
from kapstan.engine.sync.operation import TERMINATED
from kapstan.engine.sync.plan import PlanError, SyncPlan, build_plan
from kapstan.engine.sync.retry import RetryPolicy
from kapstan.engine.sync.state import OperationState
from kapstan.kube.client import KubeClient
from kapstan.kube.errors import NotFound
from kapstan.model.status import SyncStatusCode
from kapstan.model.sync import OperationPhase, ResultCode
from kapstan.model.vocabulary import TRACKING_ID
from kapstan.testing.builders import open_crd
from kapstan.testing.stores import JsonFileStore

from .helpers import get, live_of, plan_for, shared_resources, sync_statuses, with_client

pytestmark = pytest.mark.cluster

OPTS = "argocd.argoproj.io/sync-options"


def _cm(namespace: str, name: str, data: dict[str, str], opts: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if opts:
        meta["annotations"] = {OPTS: opts}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def _deploy(namespace: str, name: str, opts: str = "", replicas: int = 1) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if opts:
        meta["annotations"] = {OPTS: opts}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }


def _crd(group: str) -> dict[str, Any]:
    return open_crd(group, "Gadget", "gadgets")


def _gadget(group: str, namespace: str, opts: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "g", "namespace": namespace}
    if opts:
        meta["annotations"] = {OPTS: opts}
    return {"apiVersion": f"{group}/v1", "kind": "Gadget", "metadata": meta, "spec": {"a": 1}}


async def _run(
    kube: KubeClient, plan: SyncPlan, path: Path, **options: Any
) -> tuple[OperationState, SyncRunner]:
    runner = SyncRunner(kube, plan, JsonFileStore(path), poll=0.2, **options)
    return await asyncio.wait_for(runner.run(), 120), runner


async def _gone(kube: KubeClient, path: str, timeout: float = 60) -> bool:
    for _ in range(int(timeout / 0.25)):
        try:
            await kube.get(path)
        except NotFound:
            return True
        await asyncio.sleep(0.25)
    return False


def test_validate_false_drops_unknown_fields(
    kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    async def body(kube: KubeClient) -> None:
        dep = _deploy(namespace, "v")
        dep["spec"]["notAField"] = 1
        state, _ = await _run(kube, await plan_for(kube, [dep]), tmp_path / "a.json")
        assert state.phase is OperationPhase.FAILED
        assert "notAField" in state.resources[0].message
        assert await get(kube, dep) is None
        dep["metadata"]["annotations"] = {OPTS: "Validate=false"}
        state, _ = await _run(kube, await plan_for(kube, [dep]), tmp_path / "b.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.resources
        live = await get(kube, dep)
        assert live is not None
        assert "notAField" not in live["spec"]

    with_client(kubeconfig, body)


def test_server_side_apply_default_and_client_side(
    kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    async def body(kube: KubeClient) -> None:
        ssa = _cm(namespace, "ssa", {"a": "1"})
        csa = _cm(namespace, "csa", {"a": "1"}, "ServerSideApply=false")
        state, _ = await _run(kube, await plan_for(kube, [ssa, csa]), tmp_path / "a.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        live = await get(kube, ssa)
        assert live is not None
        managers = {(m["manager"], m["operation"]) for m in live["metadata"]["managedFields"]}
        assert ("kapstan-controller", "Apply") in managers
        assert "kubectl.kubernetes.io/last-applied-configuration" not in (
            live["metadata"].get("annotations") or {}
        )
        live = await get(kube, csa)
        assert live is not None
        assert "kubectl.kubernetes.io/last-applied-configuration" in live["metadata"]["annotations"]
        assert all(m["operation"] != "Apply" for m in live["metadata"]["managedFields"])
        # app-level option selects client-side apply too; updates go through the merge patch
        csa2 = _cm(namespace, "csa", {"a": "2"})
        plan = await plan_for(kube, [csa2], app_options=["ServerSideApply=false"])
        state, _ = await _run(
            kube, plan, tmp_path / "b.json", app_options=["ServerSideApply=false"]
        )
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        live = await get(kube, csa)
        assert live is not None
        assert live["data"] == {"a": "2"}
        assert all(m["operation"] != "Apply" for m in live["metadata"]["managedFields"])

    with_client(kubeconfig, body)


async def _replicasets(kube: KubeClient, namespace: str, app: str) -> list[dict[str, Any]]:
    answer = await kube.get(
        f"/apis/apps/v1/namespaces/{namespace}/replicasets", {"labelSelector": f"app={app}"}
    )
    return list(answer.get("items") or [])


@pytest.mark.parametrize("policy", ["orphan", "background", "foreground"])
def test_prune_propagation_policy(
    kubeconfig: Path, namespace: str, tmp_path: Path, policy: str
) -> None:
    async def body(kube: KubeClient) -> None:
        keep = _cm(namespace, "keep", {"a": "1"})
        dep = _deploy(namespace, "p", f"PrunePropagationPolicy={policy}")
        state, _ = await _run(kube, await plan_for(kube, [keep, dep]), tmp_path / "a.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        # The sync ends once the last wave is applied; the Deployment's ReplicaSet follows.
        for _ in range(120):
            if len(await _replicasets(kube, namespace, "p")) == 1:
                break
            await asyncio.sleep(0.25)
        assert len(await _replicasets(kube, namespace, "p")) == 1
        plan = await plan_for(kube, [keep], tracked=[keep, dep], prune=True)
        state, runner = await _run(kube, plan, tmp_path / "b.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        assert [e.name for e in runner.events if e.verb == "prune"] == ["p"]
        assert await _gone(kube, f"/apis/apps/v1/namespaces/{namespace}/deployments/p")
        if policy == "orphan":
            for _ in range(100):
                rss = await _replicasets(kube, namespace, "p")
                if rss and not rss[0]["metadata"].get("ownerReferences"):
                    break
                await asyncio.sleep(0.2)
            assert len(rss) == 1
            assert not rss[0]["metadata"].get("ownerReferences")
        else:
            for _ in range(200):
                if not await _replicasets(kube, namespace, "p"):
                    break
                await asyncio.sleep(0.25)
            assert await _replicasets(kube, namespace, "p") == []

    with_client(kubeconfig, body)


def test_apply_out_of_sync_only(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    async def body(kube: KubeClient) -> None:
        same = _cm(namespace, "same", {"a": "1"})
        changed = _cm(namespace, "changed", {"a": "1"})
        opts = ["ApplyOutOfSyncOnly=true"]
        plan = await plan_for(kube, [same, changed], app_options=opts)
        state, _ = await _run(kube, plan, tmp_path / "a.json", app_name="app")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        before = await get(kube, same)
        assert before is not None
        changed = _cm(namespace, "changed", {"a": "2"})
        desired = [same, changed]
        live = await live_of(kube, desired)
        statuses = sync_statuses(desired, live, app="app")
        assert {k.name: v for k, v in statuses.items()} == {
            "same": SyncStatusCode.SYNCED,
            "changed": SyncStatusCode.OUT_OF_SYNC,
        }
        plan = build_plan(desired, live, statuses=statuses, app_options=opts)
        state, runner = await _run(kube, plan, tmp_path / "b.json", app_name="app")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        assert [e.name for e in runner.events] == ["changed"]
        after = await get(kube, same)
        assert after is not None
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
        assert after["metadata"]["managedFields"] == before["metadata"]["managedFields"]
        live_changed = await get(kube, changed)
        assert live_changed is not None
        assert live_changed["data"] == {"a": "2"}

    with_client(kubeconfig, body)


def test_respect_ignore_differences(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    async def body(kube: KubeClient) -> None:
        rules = (IgnoreRule(group="apps", kind="Deployment", json_pointers=("/spec/replicas",)),)
        dep = _deploy(namespace, "ri", replicas=1)
        state, _ = await _run(kube, await plan_for(kube, [dep]), tmp_path / "a.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        path = f"/apis/apps/v1/namespaces/{namespace}/deployments/ri"
        await kube.request(
            "PATCH",
            path,
            {"fieldManager": "kubectl-scale"},
            {"spec": {"replicas": 3}},
            "application/merge-patch+json",
        )
        dep["metadata"]["labels"] = {"changed": "yes"}
        opts = ["RespectIgnoreDifferences=true"]
        plan = await plan_for(kube, [dep], app_options=opts)
        state, _ = await _run(kube, plan, tmp_path / "b.json", ignore_rules=rules)
        assert state.phase is OperationPhase.SUCCEEDED, [r.message for r in state.resources]
        live = await kube.get(path)
        assert live["spec"]["replicas"] == 3
        assert live["metadata"]["labels"] == {"changed": "yes"}
        # without the option the sync takes replicas back to git's value (forcing the
        # conflict with the scaler's field ownership)
        plan = await plan_for(kube, [dep], app_options=["Force=true"])
        state, _ = await _run(kube, plan, tmp_path / "c.json", ignore_rules=rules)
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        assert (await kube.get(path))["spec"]["replicas"] == 1

    with_client(kubeconfig, body)


def test_fail_on_shared_resource(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    async def body(kube: KubeClient) -> None:
        other = _cm(namespace, "shared", {"a": "other"})
        other["metadata"]["annotations"] = {
            TRACKING_ID: f"other:/ConfigMap:{namespace}/shared",
        }
        await kube.request("POST", f"/api/v1/namespaces/{namespace}/configmaps", None, other)
        mine = _cm(namespace, "shared", {"a": "mine"})
        live = await live_of(kube, [mine])
        shared = shared_resources("mine", live)
        assert [(k.name, app) for k, app in shared.items()] == [("shared", "other")]
        with pytest.raises(PlanError, match="also tracked by other"):
            build_plan([mine], live, shared=shared, app_options=["FailOnSharedResource=true"])
        # the runner enforces it too (resource-level option), without writing anything
        opted = _cm(namespace, "shared", {"a": "mine"}, "FailOnSharedResource=true")
        state, runner = await _run(
            kube, await plan_for(kube, [opted]), tmp_path / "a.json", app_name="mine"
        )
        assert state.phase is OperationPhase.FAILED
        assert "part of application other" in state.resources[0].message
        assert runner.events == []
        assert (await get(kube, other) or {}).get("data") == {"a": "other"}
        # without the option the object is taken over (forced), and tracked by this app
        plan = await plan_for(kube, [mine], app_options=["Force=true"])
        state, _ = await _run(kube, plan, tmp_path / "b.json", app_name="mine")
        assert state.phase is OperationPhase.SUCCEEDED, [r.message for r in state.resources]
        taken = await get(kube, mine)
        assert taken is not None
        assert (
            taken["metadata"]["annotations"][TRACKING_ID] == f"mine:/ConfigMap:{namespace}/shared"
        )

    with_client(kubeconfig, body)


def test_skip_dry_run_on_missing_resource(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    group = f"{namespace}.skip.kapstan.test"
    crd = _crd(group)
    crd_path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{group}"

    async def body(kube: KubeClient) -> None:
        gadget = _gadget(group, namespace, "SkipDryRunOnMissingResource=true")
        plan = build_plan([gadget], [])
        assert plan.tasks[0].skip_dry_run
        task = asyncio.create_task(_run(kube, plan, tmp_path / "a.json"))
        await asyncio.sleep(1.0)  # the CRD is installed by something else, meanwhile
        await kube.request(
            "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", None, crd
        )
        try:
            state, _ = await task
            assert state.phase is OperationPhase.SUCCEEDED, state.message
            assert await get(kube, gadget) is not None
        finally:
            await kube.request("DELETE", crd_path)

    with_client(kubeconfig, body)


def test_prune_confirm(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    async def body(kube: KubeClient) -> None:
        keep = _cm(namespace, "keep", {"a": "1"})
        gated = _cm(namespace, "gated", {"a": "1"}, "Prune=confirm")
        state, _ = await _run(kube, await plan_for(kube, [keep, gated]), tmp_path / "a.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        plan = await plan_for(kube, [keep], tracked=[keep, gated], prune=True)
        state, runner = await _run(kube, plan, tmp_path / "b.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        skipped = next(r for r in state.resources if r.name == "gated")
        assert skipped.status is ResultCode.PRUNE_SKIPPED
        assert "confirmation" in skipped.message
        assert await get(kube, gated) is not None
        plan = await plan_for(
            kube, [keep], tracked=[keep, gated], prune=True, deletion_approved=True
        )
        state, runner = await _run(kube, plan, tmp_path / "c.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        assert [e.name for e in runner.events if e.verb == "prune"] == ["gated"]
        assert await _gone(kube, f"/api/v1/namespaces/{namespace}/configmaps/gated")

    with_client(kubeconfig, body)


def test_create_namespace_with_managed_metadata(
    kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    target = f"{namespace}-meta"

    async def body(kube: KubeClient) -> None:
        cm = _cm(target, "c", {"a": "1"})
        plan = await plan_for(
            kube,
            [cm],
            app_options=["CreateNamespace=true"],
            destination_namespace=target,
            managed_namespace_metadata={"labels": {"team": "a"}, "annotations": {"x": "y"}},
        )
        try:
            state, _ = await _run(kube, plan, tmp_path / "a.json")
            assert state.phase is OperationPhase.SUCCEEDED, state.message
            ns = await kube.get(f"/api/v1/namespaces/{target}")
            assert ns["metadata"]["labels"]["team"] == "a"
            assert ns["metadata"]["annotations"]["x"] == "y"
            assert await get(kube, cm) is not None
        finally:
            await kube.request("DELETE", f"/api/v1/namespaces/{target}")

    with_client(kubeconfig, body)


def test_retry_succeeds_after_namespace_appears(
    kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    target = f"{namespace}-late"

    async def body(kube: KubeClient) -> None:
        cm = _cm(target, "c", {"a": "1"})
        policy = RetryPolicy(limit=5, duration=0.5, factor=1.0, max_duration=1.0)
        attempts = 0

        async def make_plan() -> SyncPlan:
            nonlocal attempts
            attempts += 1
            if attempts == 2:  # created by someone else between attempts
                await kube.request(
                    "POST",
                    "/api/v1/namespaces",
                    None,
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": target}},
                )
            return await plan_for(kube, [cm])

        store = JsonFileStore(tmp_path / "s.json")
        try:
            state, runners = await asyncio.wait_for(
                run_with_retry(kube, make_plan, store, policy, poll=0.2), 120
            )
            assert state.phase is OperationPhase.SUCCEEDED, state.message
            assert state.retry_count == 1
            assert len(runners) == 2
            assert await get(kube, cm) is not None
        finally:
            await kube.request("DELETE", f"/api/v1/namespaces/{target}")

    with_client(kubeconfig, body)


def test_retry_limit_respected(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    async def body(kube: KubeClient) -> None:
        cm = _cm(f"{namespace}-never", "c", {"a": "1"})
        policy = RetryPolicy(limit=2, duration=0.1, factor=2.0, max_duration=1.0)

        async def make_plan() -> SyncPlan:
            return await plan_for(kube, [cm])

        store = JsonFileStore(tmp_path / "s.json")
        state, runners = await asyncio.wait_for(
            run_with_retry(kube, make_plan, store, policy, poll=0.2), 120
        )
        assert state.phase is OperationPhase.FAILED
        assert state.retry_count == 2
        assert len(runners) == 3

    with_client(kubeconfig, body)


def test_terminate_during_wait(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    async def body(kube: KubeClient) -> None:
        pvc = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "never-bound", "namespace": namespace},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "does-not-exist",
                "resources": {"requests": {"storage": "1Mi"}},
            },
        }
        later = _cm(namespace, "later", {"a": "1"})
        later["metadata"]["annotations"] = {"argocd.argoproj.io/sync-wave": "1"}
        stop = asyncio.Event()
        runner = SyncRunner(
            kube,
            await plan_for(kube, [pvc, later]),
            JsonFileStore(tmp_path / "s.json"),
            terminate=stop,
            poll=0.2,
        )
        task = asyncio.create_task(runner.run())
        while not runner.events:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert not task.done()
        stop.set()
        state = await asyncio.wait_for(task, 10)
        assert state.phase is OperationPhase.FAILED
        assert state.message == TERMINATED
        assert await get(kube, later) is None

    with_client(kubeconfig, body)


def test_generate_name_hook(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    async def body(kube: KubeClient) -> None:
        hook = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "generateName": "migrate-",
                "namespace": namespace,
                "annotations": {
                    "argocd.argoproj.io/hook": "PreSync",
                    "argocd.argoproj.io/hook-delete-policy": "HookSucceeded",
                },
            },
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "busybox"}],
                    }
                },
            },
        }
        cm = _cm(namespace, "after", {"a": "1"})
        plan = build_plan([hook, cm], [])
        state, runner = await _run(kube, plan, tmp_path / "s.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        created = next(e for e in runner.events if e.verb == "create-hook")
        assert created.message.startswith("job/migrate-")
        actual = created.message.split()[0].split("/")[1]
        assert actual != "migrate-"
        assert [e.verb for e in runner.events] == ["create-hook", "apply", "delete-hook"]
        result = next(r for r in state.resources if r.hook_type)
        assert result.hook_phase is OperationPhase.SUCCEEDED
        assert await _gone(kube, f"/apis/batch/v1/namespaces/{namespace}/jobs/{actual}")

    with_client(kubeconfig, body)
