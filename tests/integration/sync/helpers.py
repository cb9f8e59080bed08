"""Shared helpers: load a fixture app, plan it against the cluster, run a SyncRunner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from kapstan.controller.sync import JsonFileStore, SyncRunner
from kapstan.engine.sync.plan import SyncPlan, build_plan
from kapstan.engine.sync.state import OperationState
from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.kube.discovery import Discovery
from kapstan.kube.errors import NotFound

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
    kube: KubeClient, plan: SyncPlan, store_path: Path
) -> tuple[OperationState, SyncRunner]:
    runner = SyncRunner(kube, plan, JsonFileStore(store_path), poll=0.2)
    state = await asyncio.wait_for(runner.run(), 120)
    return state, runner
