"""SyncRunner against the real local control plane."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kapstan.controller.sync import SyncRunner
from kapstan.kube.client import KubeClient
from kapstan.model.sync import OperationPhase, ResultCode
from kapstan.testing.stores import JsonFileStore

from .helpers import get, live_of, load, plan_for, sync, with_client

pytestmark = pytest.mark.cluster


def _ts(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_sync_waves_wait_for_health(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    async def body(kube: KubeClient) -> None:
        desired = load("waves", namespace)
        state, runner = await sync(kube, await plan_for(kube, desired), tmp_path / "s.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        applies = [e for e in runner.events if e.verb == "apply"]
        assert [e.wave for e in applies] == sorted(e.wave for e in applies)
        started = {e.name: e.at for e in applies}
        available: dict[str, float] = {}
        for name in ("db", "api", "web"):
            obj = next(o for o in desired if o["metadata"]["name"] == name)
            # The last wave is not health-gated (the sync ends once it is applied): give web
            # the time to become Available; db and api must already be.
            for _ in range(240 if name == "web" else 1):
                live = await get(kube, obj)
                assert live is not None
                conditions = (live.get("status") or {}).get("conditions") or []
                cond = next((c for c in conditions if c["type"] == "Available"), None)
                if cond is not None and cond["status"] == "True":
                    break
                await asyncio.sleep(0.25)
            assert cond is not None
            assert cond["status"] == "True"
            available[name] = _ts(cond["lastTransitionTime"])
        # each wave starts only after the previous wave's Deployment became Available
        assert started["api"] >= available["db"]
        assert started["web"] >= available["api"]
        assert started["db"] > started["w"]
        assert started["w"] > started["widgets.waves.kapstan.test"]
        assert all(r.status is ResultCode.SYNCED for r in state.resources)

    with_client(kubeconfig, body)


def test_hooks_run_and_are_deleted(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    async def body(kube: KubeClient) -> None:
        desired = load("hooks", namespace)
        state, runner = await sync(kube, await plan_for(kube, desired), tmp_path / "s.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        verbs = [(e.verb, e.name) for e in runner.events]
        assert verbs == [
            ("create-hook", "migrate"),
            ("apply", "app"),
            ("create-hook", "smoke"),
            ("delete-hook", "migrate"),
            ("delete-hook", "smoke"),
        ]
        hooks = {r.name: r for r in state.resources if r.hook_type}
        assert {n: r.hook_phase for n, r in hooks.items()} == {
            "migrate": OperationPhase.SUCCEEDED,
            "smoke": OperationPhase.SUCCEEDED,
        }
        for job in desired[:2]:
            for _ in range(50):
                if await get(kube, job) is None:
                    break
                await asyncio.sleep(0.2)
            assert await get(kube, job) is None

    with_client(kubeconfig, body)


def test_failing_presync_hook_stops_sync_and_runs_syncfail(
    kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    async def body(kube: KubeClient) -> None:
        desired = load("hookfail", namespace)
        state, runner = await sync(kube, await plan_for(kube, desired), tmp_path / "s.json")
        assert state.phase is OperationPhase.FAILED
        assert [(e.verb, e.name) for e in runner.events] == [
            ("create-hook", "migrate"),
            ("create-hook", "cleanup"),
        ]
        assert await get(kube, desired[2]) is None  # the Sync-phase ConfigMap never applied
        migrate = next(r for r in state.resources if r.name == "migrate")
        assert migrate.hook_phase is OperationPhase.FAILED
        assert migrate.message
        cleanup = next(r for r in state.resources if r.name == "cleanup")
        assert cleanup.hook_phase is OperationPhase.SUCCEEDED

    with_client(kubeconfig, body)


def test_invalid_field_fails_server_dry_run_and_changes_nothing(
    kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    async def body(kube: KubeClient) -> None:
        desired = load("invalid", namespace)
        first = {**desired[0], "data": {"a": "1"}}
        state, _ = await sync(kube, await plan_for(kube, [first]), tmp_path / "a.json")
        assert state.phase is OperationPhase.SUCCEEDED
        before = await get(kube, first)
        assert before is not None
        plan = await plan_for(kube, desired)
        state, runner = await sync(kube, plan, tmp_path / "b.json", server_dry_run=True)
        assert state.phase is OperationPhase.FAILED
        assert runner.events == []
        after = await get(kube, first)
        assert after is not None
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
        assert await get(kube, desired[1]) is None
        failed = next(r for r in state.resources if r.name == "broken")
        assert failed.status is ResultCode.SYNC_FAILED
        assert "notAField" in failed.message

        # Checked locally (the default), the same sync applies wave 0 and fails at wave 5.
        state, runner = await sync(kube, await plan_for(kube, desired), tmp_path / "c.json")
        assert state.phase is OperationPhase.FAILED
        assert [(e.verb, e.name, e.ok) for e in runner.events] == [
            ("apply", "first", True),
            ("apply", "broken", False),
        ]
        assert ((await get(kube, first)) or {}).get("data") == {"a": "2"}
        assert await get(kube, desired[1]) is None
        failed = next(r for r in state.resources if r.name == "broken")
        assert "notAField" in failed.message

    with_client(kubeconfig, body)


def test_prune_order_and_options(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    async def body(kube: KubeClient) -> None:
        desired = load("prune", namespace)
        state, _ = await sync(kube, await plan_for(kube, desired), tmp_path / "a.json")
        assert state.phase is OperationPhase.SUCCEEDED
        keep = [desired[0]]
        # prune not allowed: nothing deleted
        state, runner = await sync(
            kube, await plan_for(kube, keep, tracked=desired), tmp_path / "b.json"
        )
        assert state.phase is OperationPhase.SUCCEEDED
        assert len(await live_of(kube, desired)) == len(desired)
        assert {r.name for r in state.resources if r.status is ResultCode.PRUNE_SKIPPED} == {
            o["metadata"]["name"] for o in desired[1:]
        }
        state, runner = await sync(
            kube, await plan_for(kube, keep, tracked=desired, prune=True), tmp_path / "c.json"
        )
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        pruned = [e.name for e in runner.events if e.verb == "prune"]
        assert pruned == ["gone-late", "gone-early", "last"]  # reverse waves, PruneLast last
        remaining = {o["metadata"]["name"] for o in await live_of(kube, desired)}
        assert remaining == {"keep", "no-prune", "no-delete"}

    with_client(kubeconfig, body)


def test_resume_after_crash_runs_hooks_once(
    kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    async def body(kube: KubeClient) -> None:
        desired = load("waves", namespace)[2:] + load("hooks", namespace)[:2]
        for hook in desired[-2:]:
            hook["metadata"]["annotations"].pop("argocd.argoproj.io/hook-delete-policy")
        plan = await plan_for(kube, desired)
        store = JsonFileStore(tmp_path / "s.json")
        first = SyncRunner(kube, plan, store, poll=0.2)
        task = asyncio.create_task(first.run())
        while not any(e.verb == "apply" and e.wave == 2 for e in first.events):
            await asyncio.sleep(0.05)
            assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        saved = store.load()
        assert saved is not None
        assert saved.phase is OperationPhase.RUNNING
        second = SyncRunner(kube, plan, store, poll=0.2)
        state = await asyncio.wait_for(second.run(), 120)
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        creations: dict[str, list[str]] = {}
        for e in first.events + second.events:
            if e.verb == "create-hook":
                creations.setdefault(e.name, []).append(e.uid)
        assert {n: len(u) for n, u in creations.items()} == {"migrate": 1, "smoke": 1}
        for hook in desired[-2:]:
            live = await get(kube, hook)
            assert live is not None
            assert [live["metadata"]["uid"]] == creations[hook["metadata"]["name"]]
        assert not any(e.wave == 1 and e.verb == "apply" for e in second.events)

    with_client(kubeconfig, body)


def _cm(namespace: str, name: str, data: dict[str, str], opts: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if opts:
        meta["annotations"] = {"argocd.argoproj.io/sync-options": opts}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def test_replace_puts_the_whole_object(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    async def body(kube: KubeClient) -> None:
        cm = _cm(namespace, "r", {"a": "1", "b": "2"}, "Replace=true")
        state, _ = await sync(kube, await plan_for(kube, [cm]), tmp_path / "a.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        live = await get(kube, cm)
        assert live is not None
        assert all(m["operation"] == "Update" for m in live["metadata"]["managedFields"])
        cm2 = _cm(namespace, "r", {"a": "1"}, "Replace=true")
        state, _ = await sync(kube, await plan_for(kube, [cm2]), tmp_path / "b.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        live = await get(kube, cm)
        assert live is not None
        assert live["data"] == {"a": "1"}

    with_client(kubeconfig, body)


def test_ssa_takes_over_fields_of_other_managers(
    kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    async def body(kube: KubeClient) -> None:
        path = f"/api/v1/namespaces/{namespace}/configmaps/f"
        other = _cm(namespace, "f", {"a": "other"})
        await kube.request(
            "PATCH",
            path,
            {"fieldManager": "someone-else"},
            other,
            "application/apply-patch+yaml",
        )
        mine = _cm(namespace, "f", {"a": "mine"})
        state, _ = await sync(kube, await plan_for(kube, [mine]), tmp_path / "a.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        live = await kube.get(path)
        assert live["data"] == {"a": "mine"}
        owners = {
            m["manager"] for m in live["metadata"]["managedFields"] if "f:data" in m["fieldsV1"]
        }
        assert owners == {"kapstan-controller"}

    with_client(kubeconfig, body)


def test_create_namespace(kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    target = f"{namespace}-new"

    async def body(kube: KubeClient) -> None:
        cm = _cm(target, "c", {"a": "1"})
        plan = await plan_for(
            kube, [cm], app_options=["CreateNamespace=true"], destination_namespace=target
        )
        state, _ = await sync(kube, plan, tmp_path / "a.json")
        assert state.phase is OperationPhase.SUCCEEDED, state.message
        assert await get(kube, cm) is not None
        await kube.request("DELETE", f"/api/v1/namespaces/{target}")

    with_client(kubeconfig, body)
