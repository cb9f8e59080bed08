"""Live-state cache: warm-up time, memory per cached object, events/s it keeps up with.

    .venv/bin/python bench/cache_bench.py [--count 10000] [--concurrency 64]
    .venv/bin/python bench/cache_bench.py --pods 10000 [--nodes 45]

Starts a throwaway local cluster (1 node), creates ``--count`` ConfigMaps (~1 KiB of data
each) with concurrent server-side apply calls, half of them tracked by an app (tracking-id
annotation, so the cache keeps them in full) and half untracked (kept compact), then:

* warm-up: ``ClusterCache.start()`` to ``wait_synced()`` for every kind (no tracemalloc);
* memory: tracemalloc of the whole cache after warm-up, once with annotation tracking (half
  managed) and once with tracking that matches nothing (all compact); the difference gives
  the extra cost of a managed object;
* events/s: the in-process index apply rate, and a live run that modifies ``--count / 5``
  ConfigMaps as fast as the API server takes them and waits until the cache has seen all.

``--pods N`` measures Pods on kwok nodes instead (warm-up and memory only): ``--nodes`` fake
nodes (250 pods each), in each of two namespaces 10 Deployments (replicas 0, so the
controller-manager's 20 QPS client does not pace the run) whose ReplicaSets own N/2 bare Pods
created concurrently with ``spec.nodeName`` set (no scheduler) and labels outside the
ReplicaSet's selector (no adoption or deletion); kwok marks them Running. The Deployments of
``bench-managed`` carry a tracking-id annotation, so their ReplicaSets and Pods are kept in
full as owned children; ``bench-plain`` is untracked (compact entries).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import platform
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from kapstan.cache.cluster import ClusterCache
from kapstan.cache.entry import strip
from kapstan.cache.index import Index
from kapstan.engine.tracking import Tracking
from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.kube.discovery import Discovery
from kapstan.localcluster import LocalCluster

APPLY = "application/apply-patch+yaml"
DATA = {f"key{i}": "x" * 96 for i in range(10)}  # ~1 KiB per object


def configmap(ns: str, name: str, managed: bool, value: str = "0") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if managed:
        meta["annotations"] = {"argocd.argoproj.io/tracking-id": f"bench:/ConfigMap:{ns}/{name}"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {**DATA, "v": value}}


async def pool(jobs: list[Callable[[], Awaitable[None]]], concurrency: int) -> None:
    queue = list(reversed(jobs))

    async def worker() -> None:
        while queue:
            await queue.pop()()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def apply_all(kube: KubeClient, objs: list[dict[str, Any]], concurrency: int) -> float:
    def job(o: dict[str, Any]) -> Callable[[], Awaitable[None]]:
        meta = o["metadata"]
        path = f"/api/v1/namespaces/{meta['namespace']}/configmaps/{meta['name']}"

        async def run() -> None:
            await kube.request(
                "PATCH", path, {"fieldManager": "bench", "force": "true"}, orjson.dumps(o), APPLY
            )

        return run

    t0 = time.perf_counter()
    await pool([job(o) for o in objs], concurrency)
    return time.perf_counter() - t0


async def warm(
    kube: KubeClient,
    tracking: Tracking,
    trace: bool,
    settled: Callable[[ClusterCache], bool] | None = None,
) -> tuple[float, int, int]:
    """(seconds to sync, bytes held by the cache, objects cached).

    With ``settled``, the time runs until it holds as well (e.g. promoted children fetched)."""
    gc.collect()
    if trace:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0] if trace else 0
    cache = ClusterCache(kube, Discovery(kube), tracking=tracking)
    t0 = time.perf_counter()
    await cache.start()
    await cache.wait_synced(600)
    while settled is not None and not settled(cache):
        await asyncio.sleep(0.05)
    took = time.perf_counter() - t0
    await cache.stop()  # watches stopped; the index stays referenced by `cache`
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before if trace else 0
    if trace:
        tracemalloc.stop()
    return took, held, len(cache.index)


def index_rate(count: int) -> float:
    objs = [configmap("ns", f"cm-{i}", i % 2 == 0) for i in range(count)]
    for i, o in enumerate(objs):
        o["metadata"].update(uid=f"u{i}", resourceVersion="1")
    index = Index()
    for o in objs:
        index.upsert(o)
    for o in objs:
        o["metadata"]["resourceVersion"] = "2"
    t0 = time.perf_counter()
    for o in objs:
        index.upsert(o)
    return count / (time.perf_counter() - t0)


async def live_rate(kube: KubeClient, count: int, concurrency: int) -> tuple[float, float, float]:
    """(API writes/s, events/s seen by the cache, lag after the last write in seconds)."""
    cache = ClusterCache(kube, Discovery(kube))
    await cache.start()
    await cache.wait_synced(600)
    seen: set[str] = set()
    done = asyncio.Event()

    def on_change(_apps: frozenset[str], change: Any) -> None:
        if change.key[2] in ("bench-managed", "bench-plain") and change.type == "MODIFIED":
            seen.add(change.key[2] + change.key[3])
            if len(seen) >= count:
                done.set()

    cache.subscribe(on_change)
    half = count // 2
    objs = [configmap("bench-managed", f"cm-{i}", True, "1") for i in range(half)]
    objs += [configmap("bench-plain", f"cm-{i}", False, "1") for i in range(count - half)]
    t0 = time.perf_counter()
    writes = await apply_all(kube, objs, concurrency)
    t1 = time.perf_counter()
    await asyncio.wait_for(done.wait(), 300)
    t2 = time.perf_counter()
    await cache.stop()
    return count / writes, count / (t2 - t0), t2 - t1


POD_NAMESPACES = ("bench-managed", "bench-plain")
DEPLOYMENTS = 10  # per namespace


def deployment(ns: str, name: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if ns == "bench-managed":
        meta["annotations"] = {
            "argocd.argoproj.io/tracking-id": f"bench:apps/Deployment:{ns}/{name}"
        }
    labels = {"app": name}
    container = {"name": "app", "image": "registry.example/bench/app:1.0"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def pod(ns: str, name: str, node: str, owner: dict[str, Any]) -> dict[str, Any]:
    """A typical small web Pod owned by ReplicaSet ``owner`` (labels outside its selector)."""
    rs = owner["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {
                "bench/app": rs["name"],
                "app.kubernetes.io/part-of": "bench",
                "pod-template-hash": rs["name"].rsplit("-", 1)[-1],
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs["name"],
                    "uid": rs["uid"],
                    "controller": False,
                }
            ],
        },
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": "app",
                    "image": "registry.example/bench/app:1.0",
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "env": [
                        {"name": "LOG_LEVEL", "value": "info"},
                        {"name": "PORT", "value": "8080"},
                        {
                            "name": "POD_IP",
                            "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
                        },
                    ],
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "32Mi"},
                        "limits": {"memory": "64Mi"},
                    },
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                }
            ],
        },
    }


async def create_all(kube: KubeClient, objs: list[dict[str, Any]], concurrency: int) -> float:
    def job(o: dict[str, Any]) -> Callable[[], Awaitable[None]]:
        path = f"/api/v1/namespaces/{o['metadata']['namespace']}/pods"

        async def run() -> None:
            await kube.request("POST", path, None, orjson.dumps(o), "application/json")

        return run

    t0 = time.perf_counter()
    await pool([job(o) for o in objs], concurrency)
    return time.perf_counter() - t0


async def running_pods(kube: KubeClient) -> int:
    page = await kube.list("/api/v1/pods", {"fieldSelector": "status.phase=Running"}, limit=5000)
    return len(page.items)


async def make_owners(cluster: LocalCluster, kube: KubeClient) -> dict[str, list[dict[str, Any]]]:
    """Namespaces and their Deployments; the ReplicaSets (by namespace) that will own Pods."""
    owners: dict[str, list[dict[str, Any]]] = {}
    for ns in POD_NAMESPACES:
        cluster.request(
            "POST",
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        )
        for i in range(DEPLOYMENTS):
            await kube.request(
                "POST",
                f"/apis/apps/v1/namespaces/{ns}/deployments",
                None,
                orjson.dumps(deployment(ns, f"web-{i}")),
                "application/json",
            )
    for ns in POD_NAMESPACES:  # ReplicaSets (by the controller) and default SA
        while True:
            rs = (await kube.list(f"/apis/apps/v1/namespaces/{ns}/replicasets")).items
            sas = (await kube.list(f"/api/v1/namespaces/{ns}/serviceaccounts")).items
            if len(rs) >= DEPLOYMENTS and sas:
                owners[ns] = rs
                break
            await asyncio.sleep(0.2)
    return owners


async def pods_main(args: argparse.Namespace) -> None:
    count, nodes = args.pods, args.nodes
    if count > nodes * 250:
        raise SystemExit(f"{count} pods do not fit on {nodes} nodes of 250 pods")
    with tempfile.TemporaryDirectory(prefix="kapstan-cache-bench-") as tmp:
        cluster = LocalCluster(Path(tmp) / "c", nodes=nodes)
        t0 = time.perf_counter()
        try:
            cluster.start(timeout=300)
            print(f"cluster with {nodes} kwok nodes up in {time.perf_counter() - t0:.1f} s")
            async with KubeClient(
                load_kubeconfig(cluster.kubeconfig), qps=100000, burst=100000
            ) as kube:
                owners = await make_owners(cluster, kube)
                half = count // 2
                objs = []
                for ns, n in (("bench-managed", half), ("bench-plain", count - half)):
                    for i in range(n):
                        owner = owners[ns][i % DEPLOYMENTS]
                        name = f"{owner['metadata']['name']}-{i:05d}"
                        objs.append(pod(ns, name, f"kwok-node-{len(objs) % nodes}", owner))
                created = await create_all(kube, objs, args.concurrency)
                print(
                    f"created {count} Pods in {created:.1f} s "
                    f"({count / created:.0f}/s, concurrency {args.concurrency})"
                )
                t1 = time.perf_counter()
                while (running := await running_pods(kube)) < count:
                    if time.perf_counter() - t1 > 300:
                        raise SystemExit(f"only {running}/{count} Pods Running after 300 s")
                    await asyncio.sleep(2)
                print(f"all {count} Running {time.perf_counter() - t1:.1f} s after the last create")
                sample = await kube.get(
                    f"/api/v1/namespaces/bench-plain/pods/{objs[-1]['metadata']['name']}"
                )
                size = len(orjson.dumps(strip(sample)))
                print(f"Pod JSON without managedFields: {size} B")

                def filled(cache: ClusterCache) -> bool:
                    keys = cache.index.of_kind("", "Pod") & cache.index.in_namespace(
                        "bench-managed"
                    )
                    return len(keys) >= half and all(
                        (e := cache.index.get(k)) is not None and e.obj is not None for k in keys
                    )

                took, _, total = await warm(kube, Tracking("label", "no-such/label"), False)
                print(f"warm-up, all compact: {took:.2f} s for {total} objects")
                took, _, total = await warm(kube, Tracking(), False, filled)
                print(f"warm-up, {half} Pods managed (incl. promotions): {took:.2f} s")
                _, mem_mixed, _ = await warm(kube, Tracking(), True, filled)
                _, mem_compact, n = await warm(kube, Tracking("label", "no-such/label"), True)
                compact = mem_compact / n
                managed = (mem_mixed - mem_compact) / half + compact
                print(
                    f"memory: {mem_compact / 2**20:.1f} MiB all compact, "
                    f"{mem_mixed / 2**20:.1f} MiB with {half} Pods managed ({n} objects)"
                )
                print(f"per Pod: compact {compact:.0f} B, managed {managed:.0f} B")
        finally:
            cluster.destroy()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")


async def main(args: argparse.Namespace) -> None:
    if args.pods:
        await pods_main(args)
        return
    with tempfile.TemporaryDirectory(prefix="kapstan-cache-bench-") as tmp:
        cluster = LocalCluster(Path(tmp) / "c", nodes=1)
        cluster.start()
        try:
            for ns in ("bench-managed", "bench-plain"):
                cluster.request(
                    "POST",
                    "/api/v1/namespaces",
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                )
            async with KubeClient(
                load_kubeconfig(cluster.kubeconfig), qps=100000, burst=100000
            ) as kube:
                half = args.count // 2
                objs = [configmap("bench-managed", f"cm-{i}", True) for i in range(half)]
                objs += [
                    configmap("bench-plain", f"cm-{i}", False) for i in range(args.count - half)
                ]
                created = await apply_all(kube, objs, args.concurrency)
                print(
                    f"created {args.count} ConfigMaps in {created:.1f} s "
                    f"({args.count / created:.0f}/s, concurrency {args.concurrency})"
                )
                took, _, total = await warm(kube, Tracking(), trace=False)
                print(f"warm-up: {took:.2f} s for {total} objects ({total / took:.0f} objects/s)")
                _, mem_mixed, _ = await warm(kube, Tracking(), trace=True)
                _, mem_compact, n = await warm(kube, Tracking("label", "no-such/label"), True)
                compact = mem_compact / n
                managed = (mem_mixed - mem_compact) / half + compact
                print(
                    f"memory: {mem_compact / 2**20:.1f} MiB all compact, "
                    f"{mem_mixed / 2**20:.1f} MiB with {half} managed"
                )
                print(f"per object: compact {compact:.0f} B, managed {managed:.0f} B")
                print(f"index apply rate: {index_rate(args.count):.0f} events/s")
                writes, events, lag = await live_rate(kube, args.count // 5, args.concurrency)
                print(
                    f"live: API writes {writes:.0f}/s, cache saw {events:.0f} events/s, "
                    f"lag after last write {lag * 1000:.0f} ms"
                )
        finally:
            cluster.destroy()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--pods", type=int, default=0, help="measure N Pods on kwok nodes")
    parser.add_argument("--nodes", type=int, default=45, help="kwok nodes for --pods")
    asyncio.run(main(parser.parse_args()))
