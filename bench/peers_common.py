"""What the three tools of bench/peers.py share: the run context each one's setup gets, what
a setup hands back to the timed part, and helpers to start, probe and sample processes."""

from __future__ import annotations

import contextlib
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controller_bench import cpu_seconds, descendants, status_kib

from kapstan.localcluster import LocalCluster
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import ProcessHandle, spawn, stop
from kapstan.testing.gitservers import free_port

BENCH_NS = "bench"
GIT_USER = "bench"
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
    text = cluster.request("GET", "/metrics", parse=False)
    total = 0.0
    for line in str(text).splitlines():
        if line.startswith("apiserver_request_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)
