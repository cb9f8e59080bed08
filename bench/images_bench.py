"""Image automation: registry push → the new image running, and registry requests per check.

    .venv/bin/python bench/images_bench.py [--pushes 10] [--interval 5] [--repos 100] [--no-record]

A throwaway local cluster (1 kwok node, kube-controller-manager making the pods),
``kapstan install``, Debian's ``docker-registry`` on 127.0.0.1 (images pushed over its API by
``kapstan.testing.registries.Pusher``), a Git repository of Kustomize apps (``file://``), the
apps annotated as argocd-image-updater users annotate them
(``image-list: app=<registry>/bench/...:1.2.x``, write-back ``argocd``). Measured:

- **push → running**: ``--pushes`` times a new patch ``1.2.N`` is pushed; the clock runs from
  the end of the push until a Running pod of the app's Deployment runs ``1.2.N`` (polled every
  50 ms). *webhook*: ``kapstan server`` receives Kapstan's generic signed registry webhook
  (``X-Kapstan-Signature``), sent right after the push, and ``kapstan controller
  --image-interval 3600`` checks at once; *polling*: ``kapstan controller --image-interval
  <--interval>`` alone, each push at a random moment of the interval. Includes the Application
  patch, the render, the sync and the rollout;
- **requests per check**: ``--repos`` apps (one per service, as argocd-image-updater users
  have them), each running its own repository's ``1.2.3``; one check pass of the image loop
  (:meth:`kapstan.controller.images.ImageLoop.check_all`, what every interval runs) with a cold
  client, then one with nothing changed. The registry is reached through a counting HTTP proxy
  on 127.0.0.1 (``registries.conf`` ``api_url``), so what is counted is what the registry
  received.

Rows are printed and appended to bench/README.md (``--no-record`` skips that).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import hashlib
import hmac
import http.server
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx2
import readme

from kapstan.controller.images import ImageLoop
from kapstan.demo.children import install
from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.localcluster.cluster import LocalCluster
from kapstan.testing import gitservers
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.controllers import ControllerProcess
from kapstan.testing.registries import Pusher, Registry, image_registry

NS, DEST = "argocd", "bench"
P = "argocd-image-updater.argoproj.io/"
SECRET = "bench-registry-hook"  # throwaway, for this cluster only
SECTION_RUN = "## Image automation: push to running (`bench/images_bench.py`)"
HEADER_RUN = "| machine | case | samples | p50 | p95 | max |\n|---|---|---|---|---|---|"
SECTION_REQ = "## Image automation: registry requests per check (`bench/images_bench.py`)"
HEADER_REQ = (
    "| machine | case | repositories | requests | per repository | requests by kind | pass |\n"
    "|---|---|---|---|---|---|---|"
)
REQ_INTRO = (
    "See the section above. A pass's time is set by the registry's rate limit (registries.conf "
    "`limit`, default 20 requests/s): 100 requests take 5 s. Debian's docker-registry sends no "
    "`ETag`, so the tag list cannot be asked for conditionally (`If-None-Match`, which the "
    "client sends when a registry gives one)."
)
IN_CLUSTER = "https://kubernetes.default.svc"
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: main, image: "{image}"}}]
"""


def machine() -> str:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} vCPU, {ram:.0f} GiB, Python {platform.python_version()}, "
        f"{datetime.date.today().isoformat()}"
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timing_row(case: str, samples: list[float]) -> str:
    p50, p95, top = (f"{v:.2f} s" for v in (statistics.median(samples),
                                            pct(samples, 0.95), max(samples)))  # fmt: skip
    return f"| {machine()} | {case} | {len(samples)} | {p50} | {p95} | {top} |"


class CountingProxy:
    """A plain-HTTP forwarder on 127.0.0.1 to ``upstream``, counting every request by kind."""

    def __init__(self, upstream: str) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        proxy = self
        client = httpx2.Client(base_url=upstream, timeout=30)

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                with proxy.lock:
                    proxy.counts[f"{self.command} {_kind(self.path)}"] += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                skip = {"host", "content-length", "connection"}
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                got = client.request(self.command, self.path, headers=headers, content=body)
                self.send_response(got.status_code)
                for key, value in got.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                data = b"" if self.command == "HEAD" else got.content
                self.send_header(
                    "Content-Length", got.headers.get("content-length", str(len(data)))
                )
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_HEAD = _forward  # the http.server protocol

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.client = client
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self) -> Counter[str]:
        with self.lock:
            out, self.counts = self.counts, Counter()
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()


def _kind(path: str) -> str:
    bare = path.split("?", 1)[0]
    for marker in ("/tags/list", "/manifests/", "/blobs/"):
        if marker in bare:
            return marker.strip("/")
    return bare


class Bench:
    """The cluster, registry and Git repository shared by the cases."""

    def __init__(self, root: Path, cluster: LocalCluster, registry: Registry) -> None:
        self.root = root
        self.cluster = cluster
        self.registry = registry
        self.pusher = Pusher(registry)
        self.tree = gitservers.init_worktree(root / "apps")

    def add_app(self, name: str, repository: str, tag: str) -> None:
        image = f"{self.registry.host}/{repository}"
        self.pusher.image(repository, tag)
        (self.tree / name).mkdir()
        (self.tree / name / "kustomization.yaml").write_text("resources:\n- deployment.yaml\n")
        text = DEPLOYMENT.format(name=name, image=f"{image}:{tag}")
        (self.tree / name / "deployment.yaml").write_text(text)

    def apply_app(self, name: str, repository: str) -> None:
        image = f"{self.registry.host}/{repository}"
        body = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "annotations": {P + "image-list": f"app={image}:1.2.x"}},
            "spec": {
                "project": "default",
                "source": {"repoURL": self.tree.as_uri(), "targetRevision": "main", "path": name},
                "destination": {"server": IN_CLUSTER, "namespace": DEST},
                "syncPolicy": {"automated": {}, "syncOptions": ["CreateNamespace=true"]},
            },
        }
        self.cluster.request(
            "POST", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications", body
        )

    def registries_conf(self, api_url: str) -> None:
        conf = {"registries": [{"name": "local", "prefix": self.registry.host, "api_url": api_url}]}
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-image-updater-config", "namespace": NS},
            "data": {"registries.conf": json.dumps(conf)},
        }
        path = f"/api/v1/namespaces/{NS}/configmaps"
        with contextlib.suppress(Exception):
            self.cluster.request("DELETE", f"{path}/argocd-image-updater-config")
        self.cluster.request("POST", path, body)

    def running(self, name: str, image: str) -> bool:
        pods = self.cluster.request(
            "GET", f"/api/v1/namespaces/{DEST}/pods?labelSelector=app%3D{name}"
        )
        return any(
            p["spec"]["containers"][0]["image"] == image
            and (p.get("status") or {}).get("phase") == "Running"
            and not (p["metadata"].get("deletionTimestamp"))
            for p in pods.get("items") or []
        )

    def controller(self, name: str, interval: str) -> ControllerProcess:
        ctl = ControllerProcess(
            self.cluster.kubeconfig,
            self.root / "cache",
            self.root / f"{name}.log",
            resync=300.0,
            extra=["--image-interval", interval],
        )
        return ctl.start()


def wait(what: str, done: Callable[[], bool], timeout: float, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        if not alive():
            raise RuntimeError(f"a kapstan process exited while waiting for {what}")
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")


def deliver(server: ApiServerProcess, host: str, repository: str, tag: str) -> None:
    body = json.dumps({"registry": host, "repository": repository, "tag": tag}).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Kapstan-Event": "registry.push",
               "X-Kapstan-Signature": f"sha256={signature}"}  # fmt: skip
    with server.client() as http_client:
        http_client.post("/api/webhook", content=body, headers=headers).raise_for_status()


def until_running(bench: Bench, name: str, ref: str, alive: Callable[[], bool]) -> None:
    wait(f"{ref} running", lambda: bench.running(name, ref), 120, alive)


def push_to_running(bench: Bench, args: argparse.Namespace) -> list[str]:
    repository, name = "bench/web", "web"
    image = f"{bench.registry.host}/{repository}"
    bench.add_app(name, repository, "1.2.0")
    gitservers.commit_all(bench.tree, "web")
    bench.registries_conf(bench.registry.api_url)
    meta = {"name": "argocd-secret", "namespace": NS}
    secret = {"kind": "Secret", "stringData": {"webhook.registry.secret": SECRET}, "metadata": meta}
    bench.cluster.request(
        "POST", f"/api/v1/namespaces/{NS}/secrets", {"apiVersion": "v1", **secret}
    )
    rows: list[str] = []
    server = ApiServerProcess(bench.cluster.kubeconfig, NS, bench.root / "server.log").start()
    ctl = bench.controller("controller-webhook", "3600")
    tag = 0
    try:

        def alive() -> bool:
            return ctl.alive() and server.alive()

        bench.apply_app(name, repository)
        wait("web at 1.2.0", lambda: bench.running(name, f"{image}:1.2.0"), 180, alive)
        samples = []
        for _ in range(args.pushes):
            tag += 1
            bench.pusher.image(repository, f"1.2.{tag}")
            started = time.monotonic()
            deliver(server, bench.registry.host, repository, f"1.2.{tag}")
            until_running(bench, name, f"{image}:1.2.{tag}", alive)
            samples.append(time.monotonic() - started)
        case = "webhook (generic signed) to `kapstan server`, `--image-interval 3600`"
        rows.append(timing_row(case, samples))
        print(rows[-1], flush=True)
    finally:
        ctl.stop()
        server.stop()
    ctl = bench.controller("controller-polling", f"{args.interval:g}")
    try:
        samples = []
        for _ in range(args.pushes):
            time.sleep(random.uniform(0, args.interval))  # a random phase of the interval
            tag += 1
            bench.pusher.image(repository, f"1.2.{tag}")
            started = time.monotonic()
            until_running(bench, name, f"{image}:1.2.{tag}", ctl.alive)
            samples.append(time.monotonic() - started)
        jitter = args.interval / 4
        case = f"polling, `--image-interval {args.interval:g}` (+ up to {jitter:g} s jitter)"
        rows.append(timing_row(case, samples))
        print(rows[-1], flush=True)
    finally:
        ctl.stop()
    bench.cluster.request("DELETE", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications/web")
    return rows


def requests_per_check(bench: Bench, args: argparse.Namespace) -> list[str]:
    names = [f"svc-{i}" for i in range(args.repos)]
    for name in names:
        bench.add_app(name, f"bench/{name}", "1.2.3")
    gitservers.commit_all(bench.tree, "services")
    proxy = CountingProxy(bench.registry.api_url)
    bench.registries_conf(proxy.url)
    ctl = bench.controller("controller-requests", "off")  # the bench runs the passes itself
    rows: list[str] = []
    try:
        for name in names:
            bench.apply_app(name, f"bench/{name}")
        host = bench.registry.host
        wait(
            f"{len(names)} apps running 1.2.3",
            lambda: all(bench.running(n, f"{host}/bench/{n}:1.2.3") for n in names),
            900,
            ctl.alive,
        )
        wait("the apps' status.summary.images", lambda: _summaries(bench, names), 300, ctl.alive)
        proxy.take()
        for case, took, counts in asyncio.run(_passes(bench, proxy)):
            total = sum(counts.values())
            kinds = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
            rows.append(
                f"| {machine()} | {case} | {len(names)} | {total} | "
                f"{total / len(names):.2f} | {kinds} | {took:.2f} s |"
            )
            print(rows[-1], flush=True)
        return rows
    finally:
        ctl.stop()
        proxy.close()


def _summaries(bench: Bench, names: list[str]) -> bool:
    listed = bench.cluster.request(
        "GET", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications"
    )
    seen = {
        a["metadata"]["name"]
        for a in listed.get("items") or []
        if ((a.get("status") or {}).get("summary") or {}).get("images")
    }
    return set(names) <= seen


async def _passes(bench: Bench, proxy: CountingProxy) -> list[tuple[str, float, Counter[str]]]:
    """Two check passes of the image loop, as each interval runs them; what each cost."""
    found: list[tuple[str, float, Counter[str]]] = []
    async with KubeClient(load_kubeconfig(bench.cluster.kubeconfig)) as kube:
        loop = ImageLoop(kube, NS, interval=0)
        try:
            for case in ("first pass (new client: empty caches)", "next pass, tags unchanged"):
                started = time.monotonic()
                await loop.check_all()
                took = time.monotonic() - started
                found.append((case, took, proxy.take()))
        finally:
            await loop.updater.aclose()
    return found


def run(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    with tempfile.TemporaryDirectory(prefix="kapstan-images-bench-") as tmp:
        root = Path(tmp)
        cluster = LocalCluster(root / "cluster", nodes=1)
        try:
            cluster.start()
            install(cluster.kubeconfig, NS)
            with image_registry(root / "registry") as registry:
                bench = Bench(root, cluster, registry)
                try:
                    timing = push_to_running(bench, args) if args.pushes else []
                    counting = requests_per_check(bench, args) if args.repos else []
                finally:
                    bench.pusher.close()
        finally:
            cluster.destroy()
    return timing, counting


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pushes", type=int, default=10)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    timing, counting = run(args)
    if not args.no_record:
        intro = __doc__.split(chr(10), 3)[3].strip()
        if timing:
            readme.record(SECTION_RUN, HEADER_RUN, timing, intro=intro)
        if counting:
            readme.record(SECTION_REQ, HEADER_REQ, counting, intro=REQ_INTRO)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
