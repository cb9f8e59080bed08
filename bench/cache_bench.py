"""Live-state cache: warm-up time, memory per cached object, events/s it keeps up with.

    .venv/bin/python bench/cache_bench.py [--count 10000] [--concurrency 64]

Starts a throwaway local cluster (1 node), creates ``--count`` ConfigMaps (~1 KiB of data
each) with concurrent server-side apply calls, half of them tracked by an app (tracking-id
annotation, so the cache keeps them in full) and half untracked (kept compact), then:

* warm-up: ``ClusterCache.start()`` to ``wait_synced()`` for every kind (no tracemalloc);
* memory: tracemalloc of the whole cache after warm-up, once with annotation tracking (half
  managed) and once with tracking that matches nothing (all compact); the difference gives
  the extra cost of a managed object;
* events/s: the in-process index apply rate, and a live run that modifies ``--count / 5``
  ConfigMaps as fast as the API server takes them and waits until the cache has seen all.
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
from kapstan.cache.index import Index
from kapstan.cache.tracking import Tracking
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


async def warm(kube: KubeClient, tracking: Tracking, trace: bool) -> tuple[float, int, int]:
    """(seconds to sync, bytes held by the cache, objects cached)."""
    gc.collect()
    if trace:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0] if trace else 0
    cache = ClusterCache(kube, Discovery(kube), tracking=tracking)
    t0 = time.perf_counter()
    await cache.start()
    await cache.wait_synced(600)
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


async def main(args: argparse.Namespace) -> None:
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
    asyncio.run(main(parser.parse_args()))
