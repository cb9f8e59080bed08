"""The scenarios bench/peers.py runs after a tool's cold deploy, on the same cluster, with the
tool's processes still running (the floor only deploys), in this order:

- ``idle``: nothing changes for ``--idle-seconds``: CPU seconds of the counted processes,
  apiserver requests per minute (every client), peak summed RSS. First, right after the cold
  deploy: the window then holds the tool's periodic polls of unchanged apps, its steady idle
  work, and not the wave of comparisons a commit before it would start in every app;
- ``webhook``: one commit changing the Deployment of app-000…app-009 (an annotation's value),
  pushed to the bare repository the HTTP server serves, then the tool told as a Git host tells
  it (``Deployed.notify``); the clock runs from the end of the push until all 10 Deployments
  are seen live with the new value (one list + watch of the namespace's Deployments);
- ``polling``: a second such commit and nobody told: the tool's own Git polling;
- ``drift``: a merge patch, as another field manager, of a label the tool manages on the
  Service app-000; the clock runs until the label is seen back at its value in Git.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from controller_bench import machine, secs
from peers_common import (
    BENCH_NS,
    Context,
    Deployed,
    Push,
    RequestKey,
    Usage,
    apiserver_breakdown,
    breakdown_lines,
    follow,
)
from rich.console import Console

from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.localcluster.process import capture
from kapstan.testing.gitservers import commit_all

SCENARIOS = ("idle", "webhook", "polling", "drift")
CHANGED = 10  # apps changed by one commit
CHANGE_KEY = "bench.kapstan.dev/change"
DRIFT_LABEL = "app.kubernetes.io/name"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{BENCH_NS}/deployments"
SERVICES = f"/api/v1/namespaces/{BENCH_NS}/services"
console = Console(stderr=True)


class Repo:
    """A working clone of the tool's bare repository; :meth:`change` commits and pushes."""

    def __init__(self, bare: Path, work: Path) -> None:
        self.bare, self.work = bare, work
        capture(["git", "clone", "--quiet", str(bare), str(work)])

    def change(self, n: int, value: str) -> Push:
        """Set the annotation ``CHANGE_KEY: value`` on the Deployment of the first ``n`` apps
        (fewer when N is smaller), commit, push; return what was pushed."""
        before = capture(["git", "-C", str(self.work), "rev-parse", "HEAD"]).strip()
        files = []
        for i in range(n):
            rel = f"app-{i:03d}/deployment.yaml"
            path = self.work / rel
            obj = yaml.safe_load(path.read_text())
            obj["metadata"].setdefault("annotations", {})[CHANGE_KEY] = value
            path.write_text(yaml.safe_dump(obj, sort_keys=False))
            files.append(rel)
        after = commit_all(self.work, f"{value}: {n} apps")
        capture(["git", "-C", str(self.work), "push", "--quiet", "origin", "HEAD:main"])
        return Push(before, after, files)


@dataclass
class Timed:
    """One timed reaction: seconds (None: not within the timeout), the apiserver's requests
    and the counted processes' CPU over the window."""

    seconds: float | None = None
    error: str = ""
    requests: int = 0
    cpu: float = 0.0


@dataclass
class Idle:
    seconds: float = 0.0
    cpu: float = 0.0
    requests: int = 0
    peak_rss_kib: int = 0

    @property
    def per_minute(self) -> float:
        return self.requests / (self.seconds / 60) if self.seconds else 0.0


@dataclass
class Outcome:
    webhook: Timed | None = None
    polling: Timed | None = None
    drift: Timed | None = None
    idle: Idle | None = None
    notes: dict[str, str] = field(default_factory=dict)  # scenario -> why it failed
    notify_note: str = ""
    poll_note: str = ""
    load: float = 0.0  # 1-minute load average as the scenarios started (the machine is shared)


@dataclass
class Options:
    scenarios: tuple[str, ...]
    change_timeout: float
    poll_timeout: float
    drift_timeout: float
    idle_seconds: float


class Window:
    """Requests and CPU of the counted processes between construction and :meth:`close`."""

    def __init__(self, ctx: Context, d: Deployed) -> None:
        self.ctx, self.d = ctx, d
        self.usage = Usage()
        self.usage.take(d.counted)
        self.cpu0 = self.usage.cpu_total()
        self.req0 = apiserver_breakdown(ctx.cluster)
        self.t0 = time.monotonic()

    def sample(self) -> None:
        self.usage.take(self.d.counted)

    def close(self, label: str, what: str) -> tuple[float, int, float]:
        """(seconds, requests, CPU) since construction; prints the requests' breakdown."""
        elapsed = time.monotonic() - self.t0
        self.usage.take(self.d.counted)
        delta: Counter[RequestKey] = apiserver_breakdown(self.ctx.cluster) - self.req0
        requests = sum(delta.values())
        console.print(f"  {label}: {what}: {requests:,} apiserver requests, top:")
        for line in breakdown_lines(delta, self.ctx.n, most=12):
            console.print(f"    {line}", markup=False)
        return elapsed, requests, self.usage.cpu_total() - self.cpu0


async def _until(
    check: Callable[[], bool], d: Deployed, window: Window, timeout: float
) -> float | None:
    """Seconds until ``check()`` holds (sampled every 0.1 s), None past ``timeout``."""
    t0 = time.monotonic()
    ticks = 0
    while time.monotonic() - t0 < timeout:
        if check():
            return time.monotonic() - t0
        if dead := [h.name for h in d.counted if not h.alive()]:
            raise RuntimeError(f"{', '.join(dead)} exited")
        ticks += 1
        if ticks % 10 == 0:
            window.sample()
        await asyncio.sleep(0.1)
    return None


async def _listed(state: dict[str, Any], names: list[str], timeout: float = 30) -> None:
    """Until the watch's first list has every one of ``names``."""
    deadline = time.monotonic() + timeout
    while not all(n in state for n in names):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{', '.join(n for n in names if n not in state)} not live")
        await asyncio.sleep(0.1)


async def _change(
    kube: KubeClient, ctx: Context, d: Deployed, repo: Repo, value: str, hook: bool, timeout: float
) -> Timed:
    names = [f"app-{i:03d}" for i in range(min(CHANGED, ctx.n))]
    state: dict[str, str] = {}

    def view(obj: dict[str, Any]) -> str:
        return str(((obj.get("metadata") or {}).get("annotations") or {}).get(CHANGE_KEY, ""))

    watcher = asyncio.create_task(follow(kube, DEPLOYMENTS, view, state))
    try:
        await _listed(state, names)  # the list is in before the push
        window = Window(ctx, d)
        push = repo.change(len(names), value)
        t0 = time.monotonic()
        if hook and d.notify is not None:
            d.notify(push)
        done = await _until(lambda: all(state.get(n) == value for n in names), d, window, timeout)
        seconds = None if done is None else time.monotonic() - t0
        _, requests, cpu = window.close(d.label, "webhook" if hook else "polling")
        seen = sum(state.get(n) == value for n in names)
        error = "" if seconds is not None else f"{seen}/{len(names)} within {timeout:.0f} s"
        return Timed(seconds, error, requests, cpu)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _drift(kube: KubeClient, ctx: Context, d: Deployed, timeout: float) -> Timed:
    name = "app-000"
    state: dict[str, tuple[str, int]] = {}

    def view(obj: dict[str, Any]) -> tuple[str, int]:
        meta = obj.get("metadata") or {}
        return str((meta.get("labels") or {}).get(DRIFT_LABEL, "")), int(meta["resourceVersion"])

    watcher = asyncio.create_task(follow(kube, SERVICES, view, state))
    try:
        await _listed(state, [name])
        window = Window(ctx, d)
        t0 = time.monotonic()
        patched = await kube.request(
            "PATCH",
            f"{SERVICES}/{name}",
            {"fieldManager": "bench-drift"},
            {"metadata": {"labels": {DRIFT_LABEL: "drifted"}}},
            "application/merge-patch+json",
        )
        after = int(patched["metadata"]["resourceVersion"])

        def reverted() -> bool:
            label, rv = state.get(name, ("", 0))
            return label == name and rv > after

        done = await _until(reverted, d, window, timeout)
        _, requests, cpu = window.close(d.label, "drift")
        seconds = None if done is None else time.monotonic() - t0
        error = "" if seconds is not None else f"not reverted within {timeout:.0f} s"
        if seconds is None and d.drift_note:
            error += f" ({d.drift_note})"
        return Timed(seconds, error, requests, cpu)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _idle(ctx: Context, d: Deployed, seconds: float) -> Idle:
    window = Window(ctx, d)
    window.usage.peak_rss_kib = 0
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if dead := [h.name for h in d.counted if not h.alive()]:
            raise RuntimeError(f"{', '.join(dead)} exited")
        window.sample()
        await asyncio.sleep(min(1.0, left))
    elapsed, requests, cpu = window.close(d.label, f"idle {seconds:.0f} s")
    return Idle(elapsed, cpu, requests, window.usage.peak_rss_kib)


async def run(ctx: Context, d: Deployed, repo: Repo, opts: Options) -> Outcome:
    """The selected scenarios in order; a failing one is recorded and the next one runs."""
    out = Outcome(notify_note=d.notify_note, poll_note=d.poll_note, load=os.getloadavg()[0])
    async with KubeClient(load_kubeconfig(ctx.cluster.kubeconfig), qps=10000, burst=10000) as kube:
        for name in (s for s in SCENARIOS if s in opts.scenarios):
            console.print(f"{d.label}: {name}")
            try:
                if name == "webhook":
                    out.webhook = await _change(
                        kube, ctx, d, repo, "webhook", True, opts.change_timeout
                    )
                elif name == "polling":
                    out.polling = await _change(
                        kube, ctx, d, repo, "polling", False, opts.poll_timeout
                    )
                elif name == "drift":
                    out.drift = await _drift(kube, ctx, d, opts.drift_timeout)
                else:
                    out.idle = await _idle(ctx, d, opts.idle_seconds)
            except Exception as err:  # recorded in the row
                out.notes[name] = f"{type(err).__name__}: {err}".splitlines()[0][:160]
                console.print(f"  {d.label}: {name} failed: {out.notes[name]}")
            else:
                console.print(f"  {d.label}: {name}: {_summary(out, name)}", markup=False)
    return out


def _timed(t: Timed | None, note: str = "") -> str:
    if t is None:
        return note or "-"
    if t.seconds is None:
        return t.error
    return f"{t.seconds:.2f} s" if t.seconds < 10 else secs(t.seconds)


def _summary(out: Outcome, name: str) -> str:
    if name == "idle" and out.idle is not None:
        i = out.idle
        return f"{i.cpu:.2f} s CPU, {i.per_minute:.0f} requests/min, {i.peak_rss_kib // 1024} MiB"
    timed: Timed | None = getattr(out, name)
    return _timed(timed)


# -- the tables ------------------------------------------------------------------------------
REACT_SECTION = "## Side by side: a commit, drift (`bench/peers.py`)"
REACT_INTRO = """\
Right after each tool's cold deploy above, on the same cluster with its processes running: one
commit changing the Deployment (an annotation) of 10 apps, pushed, then the tool told as a Git
host would (Argo CD, Kapstan: a GitHub push event to `/api/webhook` of argocd-server /
`kapstan server`; Flux, which has no notification-controller here: the GitRepository
annotated `reconcile.fluxcd.io/requestedAt`, what its Receiver does on a webhook); time from
the end of the push until all 10 Deployments are seen live with the new value. Then a second
such commit and nobody told: the tool's own Git polling (its period in the column). Drift: a
label the tool manages on one Service changed by another field manager (merge patch); time
until it is seen back. Ratios: Kapstan / that row. Details: docs/benchmarks.md."""
REACT_HEADER = (
    "| machine | tool | N | 10 changed, webhook | told by | 10 changed, polling | poll period "
    "| drift reverted | Kapstan / tool: webhook, polling, drift |\n"
    "|---|---|---|---|---|---|---|---|---|"
)
IDLE_SECTION = "## Side by side: idle (`bench/peers.py`)"
IDLE_INTRO = """\
Right after the cold deploy (rows before 2026-12-03: after the scenarios above, so their window
held the polled commit's comparisons in every app), nothing changes for the window: CPU seconds
of the tool's counted processes (those of the cold-deploy table) over it, as % of one core; the
kube-apiserver's requests per minute (every client: kube-controller-manager, kwok and the
bench's own `/metrics` reads included); the peak summed RSS of the counted processes in the
window."""
IDLE_HEADER = (
    "| machine | tool | N | window | CPU | of one core | API requests/min | peak RSS "
    "| Kapstan / tool: CPU, requests, RSS |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}" if ours is not None and theirs else "-"


def _secs(t: Timed | None) -> float | None:
    return t.seconds if t is not None else None


def react_row(label: str, n: int, out: Outcome, ours: Outcome | None) -> str:
    ratios = "-"
    if ours is not None and ours is not out:
        ratios = ", ".join(
            _ratio(_secs(getattr(ours, k)), _secs(getattr(out, k)))
            for k in ("webhook", "polling", "drift")
        )
    cells = [
        f"{machine()}, load {out.load:.1f}", label, str(n),
        _timed(out.webhook, out.notes.get("webhook", "")), out.notify_note,
        _timed(out.polling, out.notes.get("polling", "")), out.poll_note,
        _timed(out.drift, out.notes.get("drift", "")), ratios,
    ]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def idle_row(label: str, n: int, out: Outcome, ours: Outcome | None) -> str:
    i = out.idle
    if i is None:
        note = out.notes.get("idle", "-")
        return f"| {machine()}, load {out.load:.1f} | {label} | {n} | {note} | - | - | - | - | - |"
    ratios = "-"
    if ours is not None and ours is not out and ours.idle is not None:
        o = ours.idle
        ratios = ", ".join(
            (
                _ratio(o.cpu, i.cpu),
                _ratio(o.per_minute, i.per_minute),
                _ratio(o.peak_rss_kib, i.peak_rss_kib),
            )
        )
    cells = [
        f"{machine()}, load {out.load:.1f}", label, str(n), secs(i.seconds), f"{i.cpu:.2f} s",
        f"{100 * i.cpu / i.seconds:.1f} %" if i.seconds else "-",
        f"{i.per_minute:,.0f}", f"{i.peak_rss_kib / 1024:.0f} MiB", ratios,
    ]  # fmt: skip
    return "| " + " | ".join(cells) + " |"
