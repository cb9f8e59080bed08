"""Shared helpers: load a fixture app, plan it against the cluster, run a SyncRunner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from kapstan.controller.sync import SyncRunner
from kapstan.engine.diff import diff_resource
from kapstan.engine.sync.plan import SyncPlan, build_plan
from kapstan.engine.sync.state import OperationState
from kapstan.engine.tracking import Tracking
from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.kube.discovery import Discovery
from kapstan.kube.errors import NotFound
from kapstan.model.keys import ResourceKey
from kapstan.model.status import SyncStatusCode
from kapstan.testing.stores import JsonFileStore

TESTDATA = Path(__file__).parent / "testdata"
CLUSTER_SCOPED = {"CustomResourceDefinition", "Namespace"}
T = TypeVar("T")


def load(app: str, namespace: str) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    for path in sorted((TESTDATA / app).glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                if doc["kind"] not in CLUSTER_SCOPED:
                    doc["metadata"]["namespace"] = namespace
                objs.append(doc)
    return objs


def with_client(kubeconfig: Path, body: Callable[[KubeClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with KubeClient(load_kubeconfig(kubeconfig)) as kube:
            return await body(kube)

    return asyncio.run(main())


async def get(kube: KubeClient, obj: dict[str, Any]) -> dict[str, Any] | None:
    meta = obj["metadata"]
    try:
        info = await Discovery(kube).for_object(obj)
        ns = meta.get("namespace", "") if info.namespaced else ""
        return await kube.get(info.path(ns, meta["name"]))
    except NotFound:
        return None


async def live_of(kube: KubeClient, objs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [await get(kube, o) for o in objs]
    return [o for o in found if o is not None]


async def plan_for(
    kube: KubeClient,
    desired: Sequence[dict[str, Any]],
    tracked: Sequence[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> SyncPlan:
    live = await live_of(kube, tracked if tracked is not None else desired)
    return build_plan(desired, live, **kwargs)


async def sync(
    kube: KubeClient, plan: SyncPlan, store_path: Path, *, server_dry_run: bool = False
) -> tuple[OperationState, SyncRunner]:
    runner = SyncRunner(
        kube, plan, JsonFileStore(store_path), poll=0.2, server_dry_run=server_dry_run
    )
    state = await asyncio.wait_for(runner.run(), 120)
    return state, runner


def sync_statuses(
    desired: Sequence[dict[str, Any]], live: Sequence[dict[str, Any]], *, app: str
) -> dict[ResourceKey, SyncStatusCode]:
    """Per-resource sync status as a refresh computes it (what ApplyOutOfSyncOnly reads)."""
    live_by_key = {ResourceKey.from_obj(o): o for o in live}
    return {
        ResourceKey.from_obj(o): diff_resource(
            Tracking().stamp(app, o), live_by_key.get(ResourceKey.from_obj(o))
        ).sync_status
        for o in desired
    }


def shared_resources(app: str, live: Sequence[dict[str, Any]]) -> dict[ResourceKey, str]:
    """Live objects tracked by an app other than ``app`` -> that app's name."""
    found = {}
    for obj in live:
        owner = Tracking().app_of(obj)
        if owner and owner != app:
            found[ResourceKey.from_obj(obj)] = owner
    return found
