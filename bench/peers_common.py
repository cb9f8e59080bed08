"""What the three tools of bench/peers.py share: the run context each one's setup gets, what
a setup hands back to the timed part, and helpers to start, probe and sample processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from controller_bench import application, cpu_seconds, descendants, status_kib

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError
from kapstan.localcluster import LocalCluster
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.ports import free_port
from kapstan.localcluster.process import ProcessHandle, spawn, stop
from kapstan.testing.githubpush import github_push_event

BENCH_NS = "bench"
GIT_USER = "bench"
MANIFEST_GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"
GIT_PASSWORD = "bench-password"  # a throwaway lighttpd user on loopback, not a secret


@dataclass
class Context:
    """One tool's run: its fresh cluster, a scratch directory, the repository's URL (HTTP,
    basic auth with GIT_USER/GIT_PASSWORD) and N."""

    cluster: LocalCluster
    root: Path
    repo_url: str
    n: int
    started: list[ProcessHandle] = field(default_factory=list)
    # ``--generate-paths``: the Applications carry ``manifest-generate-paths: .``
    generate_paths: bool = False
    # ``--kapstan-param``: the argocd-cmd-params-cm of Kapstan's tuned row instead of its
    # default tuning (e.g. ``controller.sync.server.side.dry.run=true``)
    kapstan_params: dict[str, str] = field(default_factory=dict)

    def applications(self) -> list[dict[str, Any]]:
        """The N Applications of Argo CD's and Kapstan's runs (automated, prune, self-heal)."""
        apps = [application(i, self.repo_url, shared=True) for i in range(self.n)]
        if self.generate_paths:
            for app in apps:
                app["metadata"]["annotations"] = {MANIFEST_GENERATE_PATHS: "."}
        return apps

    @property
    def kubectl(self) -> Kubectl:
        return Kubectl(self.cluster.kubeconfig)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> ProcessHandle:
        """Start a long-running process of the tool; it is stopped by :meth:`stop_all`."""
        handle = spawn(name, argv, log=self.log(name), env=env, cwd=self.root, die_with_parent=True)
        self.started.append(handle)
        return handle

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def stop_all(self) -> None:
        for handle in reversed(self.started):
            stop(handle)
        self.started.clear()

    def post(self, path: str, body: dict[str, Any]) -> None:
        self.cluster.request("POST", path, body)

    def namespace(self, name: str) -> None:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        with contextlib.suppress(Exception):  # already there (kapstan install made it)
            self.post("/api/v1/namespaces", body)

    def apply_files(self, *files: Path) -> None:
        """``kubectl apply --server-side`` (large CRDs exceed the client-side annotation)."""
        args = [a for f in files for a in ("-f", str(f))]
        self.kubectl("apply", "--server-side", "--force-conflicts", *args, timeout=300)


@dataclass(frozen=True)
class Call:
    """One timed API call that makes part of an app (a POST unless told otherwise)."""

    path: str
    body: dict[str, Any]
    method: str = "POST"
    content_type: str = "application/json"
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Deployed:
    """What a tool's setup hands to the timed part.

    ``counted``: the processes whose memory and CPU are the tool's (with their children);
    ``creates``: the POSTs that make the N apps, timed from the first; ``watch``: the list path
    whose objects become ready; ``ready``: when one of them is; ``label``: the row's tool cell.
    """

    label: str
    counted: list[ProcessHandle]
    creates: list[Call]
    watch: str
    ready: Callable[[dict[str, Any]], bool]
    expected: int
    note: str = ""
    # The floor: done when the last call returns (nothing reconciles after it).
    done_when_applied: bool = False
    # The scenarios after the cold deploy (bench/peers_scenarios.py); None: cold deploy only.
    # ``notify``: what a Git host's push webhook makes the tool do; ``notify_note`` says how,
    # ``poll_note`` how often the tool polls Git unprompted, ``drift_note`` when it corrects
    # drift without a watch on the live objects (empty: it watches them).
    notify: Callable[[Push], None] | None = None
    notify_note: str = ""
    poll_note: str = ""
    drift_note: str = ""


@dataclass(frozen=True)
class Push:
    """A commit pushed to the bare repository: its parent, itself and the files it changed."""

    before: str
    after: str
    files: list[str]


def github_push(repo_url: str, push: Push) -> bytes:
    """GitHub's push event for ``push`` to ``repo_url`` (``.../apps.git``), as
    tests/integration/api/test_webhook_live.py sends it."""
    return github_push_event(repo_url, push.before, push.after, push.files, owner="bench")


def deliver_github(url: str, body: bytes) -> None:
    """POST a GitHub push delivery (unsigned: no ``webhook.github.secret`` is set, which both
    Argo CD and Kapstan then accept) to ``url``; raises unless it is answered 200."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": f"bench-{time.time_ns()}",
            "User-Agent": "GitHub-Hookshot/bench",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        if answer.status != 200:
            raise RuntimeError(f"{url}: {answer.status} {answer.read()[:200]!r}")


T = TypeVar("T")


async def follow(
    kube: KubeClient, path: str, view: Callable[[dict[str, Any]], T], state: dict[str, T]
) -> None:
    """Keep ``state`` (name -> view(object)) current with one list + watch, re-listing on
    errors."""
    while True:
        try:
            listed = await kube.list(path)
            state.clear()
            for obj in listed.items:
                state[obj["metadata"]["name"]] = view(obj)
            async for ev in kube.watch(path, resource_version=listed.resource_version):
                if ev.type in ("ADDED", "MODIFIED"):
                    state[ev.object["metadata"]["name"]] = view(ev.object)
                elif ev.type == "DELETED":
                    state.pop(ev.object["metadata"]["name"], None)
        except KubeError:
            await asyncio.sleep(0.5)


def wait_http(url: str, handle: ProcessHandle, log: Path, timeout: float = 60) -> float:
    """Until ``url`` answers 200 (the process must stay up); return the seconds it took."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if not handle.alive():
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{handle.name} exited during start-up:\n{tail}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(url, timeout=2) as answer,
        ):
            if answer.status == 200:
                return time.monotonic() - t0
        time.sleep(0.2)
    raise RuntimeError(f"{handle.name}: {url} did not answer 200 within {timeout:.0f} s")


def base_env(root: Path, **extra: str) -> dict[str, str]:
    home = root / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }
    env.update(extra)
    return env


def port() -> int:
    return free_port()


@dataclass
class Usage:
    """Peak summed RSS and CPU seconds of a set of processes and all their descendants."""

    peak_rss_kib: int = 0
    cpu: dict[int, float] = field(default_factory=dict)

    def take(self, handles: list[ProcessHandle]) -> None:
        rss = 0
        for h in handles:
            if not h.alive():
                continue  # its last CPU figure stays
            kids = descendants(h.pid)
            rss += status_kib(h.pid, "VmRSS") + sum(status_kib(p, "VmRSS") for p in kids)
            # Reaped children are in the parent's cutime/cstime; live ones are added apart
            # (once reaped, they move into cutime, and out of this sum).
            own = cpu_seconds(h.pid, children=True)
            self.cpu[h.pid] = own + sum(cpu_seconds(p) for p in kids)
        self.peak_rss_kib = max(self.peak_rss_kib, rss)

    def cpu_total(self) -> float:
        return sum(self.cpu.values())


def apiserver_requests(cluster: LocalCluster) -> int:
    """The kube-apiserver's ``apiserver_request_total`` summed over every label (all clients,
    the bench's own creates and watches included)."""
    return sum(apiserver_breakdown(cluster).values())


RequestKey = tuple[str, str, str]  # (verb, resource, subresource); a dry run's verb says so
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def apiserver_breakdown(cluster: LocalCluster) -> Counter[RequestKey]:
    """``apiserver_request_total`` summed per (verb, resource, subresource), over every other
    label (code, scope, version, ...; all clients) but ``dry_run``, which marks the verb. A
    watch is counted when it ends; a request for no resource (discovery, ``/metrics``) has its
    path as the subresource."""
    text = cluster.request("GET", "/metrics", parse=False)
    counts: Counter[RequestKey] = Counter()
    for line in str(text).splitlines():
        if not line.startswith("apiserver_request_total{"):
            continue
        labels_part, _, value = line.rpartition(" ")
        labels = dict(_LABEL.findall(labels_part))
        verb = labels.get("verb", "")
        if labels.get("dry_run"):
            verb += " (dry run)"
        key = (verb, labels.get("resource", ""), labels.get("subresource", ""))
        counts[key] += int(float(value))
    return counts


def breakdown_lines(delta: Counter[RequestKey], n: int, most: int = 15) -> list[str]:
    """The ``most`` largest entries of a breakdown delta: count, per app, verb resource/sub."""
    lines = []
    for (verb, resource, sub), count in delta.most_common(most):
        if count <= 0:
            break
        if resource:
            what = f"{resource}/{sub}" if sub else resource
        else:  # discovery and the like: the path
            what = sub if sub.startswith("/") else f"/{sub}" if sub else "(no resource)"
        lines.append(f"{count:>8,} {count / max(n, 1):>7.2f}/app  {verb} {what}")
    return lines
