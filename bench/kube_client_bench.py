"""The Kubernetes client's own cost: CPU of this process per API request.

    .venv/bin/python bench/kube_client_bench.py [--requests 3000] [--concurrency 1]

Starts a throwaway local cluster (1 node), creates a ConfigMap of about 8 KiB (an
Application with its status is that size), then PATCHes one annotation of it ``--requests``
times through :class:`~kapstan.kube.client.KubeClient`, ``--concurrency`` at once, and reports
this process's CPU (user + system) and wall time per request. An idle controller's cost is
mostly such writes (the ``reconciledAt`` of every poll), so this is the figure a leaner
transport moves; kube-apiserver's own CPU is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import resource
import tempfile
import time
from pathlib import Path

from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.localcluster import LocalCluster

PATH = "/api/v1/namespaces/default/configmaps/bench"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(kube: KubeClient, requests: int, concurrency: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per PATCH."""
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bench"}}
    body["data"] = {f"k{i}": "x" * 500 for i in range(16)}
    await kube.request("POST", "/api/v1/namespaces/default/configmaps", body=body)
    slots = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with slots:
            patch = {"metadata": {"annotations": {"bench/at": str(i)}}}
            await kube.request("PATCH", PATH, body=patch, content_type=MERGE)

    for i in range(50):  # connections made, code paths warm
        await one(i)
    cpu0, t0 = _cpu(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(requests)))
    cpu, wall = _cpu() - cpu0, time.perf_counter() - t0
    return cpu / requests * 1e3, wall / requests * 1e3


MERGE = "application/merge-patch+json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kapstan-bench-") as tmp:
        cluster = LocalCluster(Path(tmp) / "c", nodes=1)
        cluster.start()
        try:

            async def run() -> tuple[float, float]:
                config = load_kubeconfig(cluster.kubeconfig)
                async with KubeClient(config, qps=100000, burst=100000) as kube:
                    return await measure(kube, args.requests, args.concurrency)

            cpu, wall = asyncio.run(run())
        finally:
            cluster.destroy()
    print(
        f"kube client, {platform.python_version()}: {args.requests} PATCHes of an 8 KiB "
        f"ConfigMap, {args.concurrency} at once: {cpu:.3f} ms CPU and {wall:.3f} ms wall "
        "per request (this process only)"
    )


if __name__ == "__main__":
    main()
