"""Side by side: Kapstan, Argo CD and Flux deploying the same N apps on the same machine.

    make bench-peers                 # once: builds Argo CD and Flux (toolchain/peers.toml)
    .venv/bin/python bench/peers.py [--n 100] [--tools kapstan,argocd,flux,floor] [--tuned]
        [--scenarios cold,change,drift,idle] [--idle-seconds 300] [--drift-timeout 60]

Workload (Flux's scale benchmark, fluxcd/flux-benchmark): one git repository with N
directories ``app-<i>``, each a Deployment with 0 replicas, a ServiceAccount, a Service and an
Ingress (bench/controller_bench.py makes it), served over HTTP with basic auth by lighttpd +
``git http-backend`` (as the webhook tests serve theirs; Flux does not take ``file://``).
Each tool in turn gets a fresh local cluster (1 kwok node, the project's control plane) and
the same health rule: no ingress controller runs, so Argo CD and Kapstan get argocd-cm's usual
Ingress health override (Healthy); Flux's kstatus does not wait for a load-balancer address.
Setups: bench/peers_kapstan.py, bench/peers_argocd.py, bench/peers_flux.py.

Once the tool runs, the N apps are created at once (32 concurrent POSTs; for Flux the
GitRepository first, then one Kustomization per app) and the clock runs from the first create
until every app is Synced+Healthy (Flux: Ready with an applied revision), followed with one
list + watch. Reported per tool: the machine with its 1-minute load average as the clock
started (other work shares it); that wall time; the peak of the summed RSS of the tool's
reconciling processes and their children (sampled every 0.5 s); their CPU seconds over the
window; the kube-apiserver's ``apiserver_request_total`` over the window (every client, the
bench's own N creates and its watch included) and its CPU; then Kapstan / tool for time, memory,
CPU and requests. With ``--tuned`` each tool gets a second row with the scale tuning its docs
recommend (bench/peers_argocd.py, bench/peers_flux.py, bench/peers_kapstan.py), for the cold
deploy (and the other scenarios too when its defaults did not finish the cold deploy; always
for Kapstan, whose tuning is about its idle cost). The breakdown
of those requests by verb, resource and subresource goes to stderr.

After the cold deploy, on the same cluster with the tool still running (not for the floor),
the scenarios of bench/peers_scenarios.py: a commit changing 10 apps told by a webhook, another
found by polling, drift on one object, and an idle window (``--scenarios`` picks them). Rows
of every table are printed and appended to bench/README.md (``--no-record`` skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import peers_argocd
import peers_floor
import peers_flux
import peers_kapstan
import peers_scenarios as scen
import readme
from controller_bench import cpu_seconds, machine, make_repo, pool, secs
from peers_common import (
    GIT_PASSWORD,
    GIT_USER,
    Call,
    Context,
    Deployed,
    Usage,
    apiserver_breakdown,
    breakdown_lines,
    follow,
)
from rich.console import Console

from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.localcluster import LocalCluster
from kapstan.localcluster.process import capture
from kapstan.testing.gitservers import http_server

SETUPS: dict[str, Callable[[Context, bool], Deployed]] = {
    "kapstan": peers_kapstan.setup,
    "argocd": peers_argocd.setup,
    "flux": peers_flux.setup,
    "floor": peers_floor.setup,
}
# With the scale tuning their docs recommend (see their setups).
TUNABLE = ("kapstan", "argocd", "flux")
# Kapstan's tuning is about its idle cost: its tuned row runs the scenarios too.
TUNED_WITH_SCENARIOS = ("kapstan",)
SECTION = "## Side by side with Argo CD and Flux (`bench/peers.py`)"
HEADER = (
    "| machine | tool | counted processes | N | all Synced+Healthy (Flux: Ready) | peak RSS "
    "| CPU | API requests | requests per app | kube-apiserver CPU "
    "| Kapstan / tool: time, RSS, CPU, requests |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)
INTRO = """\
Kapstan, Argo CD v3.6.1 and Flux v1.9.6 (built by `make bench-peers`) and a floor (the bench's
own concurrent server-side apply of the same objects) deploy the same N apps, one after the
other, each on a fresh local cluster (1 kwok node) on the same machine: one git repository over
HTTP, N directories of a Deployment (0 replicas), a ServiceAccount, a Service and an Ingress
(Flux's benchmark workload); Argo CD and Kapstan get the same Ingress health override. Time from
the first create until every app is Synced+Healthy (Flux: Kustomization Ready); peak summed RSS
and CPU seconds of the tool's reconciling processes (Argo CD: controller + repo-server + redis;
Flux: both controllers; Kapstan: the controller with its git children); all requests the
kube-apiserver served meanwhile (every client), and that / N. The last column is Kapstan / that
row. The machine is shared with other work: its load average as the clock started is in the
first column. How to rerun, versions and build times: docs/benchmarks.md."""
console = Console(stderr=True)


@dataclass
class Result:
    label: str
    note: str
    n: int
    seconds: float | None = None
    done: int = 0
    usage: Usage = field(default_factory=Usage)
    cpu: float = 0.0
    requests: int = 0
    api_cpu: float = 0.0
    error: str = ""
    counted: bool = True  # False for the floor: no process of its own to measure
    load: float = 0.0  # 1-minute load average as the clock started (the machine is shared)
    after: scen.Outcome | None = None  # the scenarios after the cold deploy (not the floor's)


async def measure(ctx: Context, d: Deployed, res: Result, timeout: float) -> None:
    procs = ctx.cluster.state.processes if ctx.cluster.state else ()
    api = next(h.pid for h in procs if h.name == "kube-apiserver")
    async with KubeClient(load_kubeconfig(ctx.cluster.kubeconfig), qps=10000, burst=10000) as kube:
        state: dict[str, bool] = {}
        watcher = asyncio.create_task(follow(kube, d.watch, d.ready, state))

        def create(c: Call) -> Callable[[], Any]:
            async def run() -> None:
                await kube.request(c.method, c.path, c.params, c.body, c.content_type)

            return run

        u = res.usage
        u.take(d.counted)
        cpu0, api0 = u.cpu_total(), cpu_seconds(api)
        req0 = apiserver_breakdown(ctx.cluster)
        res.load = os.getloadavg()[0]
        t0 = time.monotonic()
        try:
            await pool([create(c) for c in d.creates], 32)
            if d.done_when_applied:
                res.seconds, res.done = time.monotonic() - t0, d.expected
            last = -1
            while True:
                now = time.monotonic() - t0
                u.take(d.counted)
                res.done = sum(state.values())
                if res.done != last:
                    console.print(f"  {res.label}: {res.done}/{d.expected} at {now:.1f} s")
                    last = res.done
                if res.done >= d.expected or res.seconds is not None:
                    res.seconds = res.seconds or now
                    res.done = max(res.done, d.expected) if d.done_when_applied else res.done
                    break
                if now > timeout:
                    res.error = f"timeout after {timeout:.0f} s"
                    break
                if dead := [h.name for h in d.counted if not h.alive()]:
                    res.error = f"{', '.join(dead)} exited"
                    break
                await asyncio.sleep(0.5)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        res.cpu = u.cpu_total() - cpu0
        res.api_cpu = cpu_seconds(api) - api0
        delta = apiserver_breakdown(ctx.cluster) - req0
        res.requests = sum(delta.values())
        console.print(
            f"  {res.label}: cold deploy, {res.requests:,} apiserver requests "
            f"({res.requests / ctx.n:.1f} per app; every client, the bench's creates and watch "
            "included), by verb and resource:"
        )
        for line in breakdown_lines(delta, ctx.n, most=30):
            console.print(f"    {line}", markup=False)


def run_tool(
    tool: str, work: Path, args: argparse.Namespace, tuned: bool, scenarios: bool = True
) -> Result:
    """Cold deploy, then (``scenarios``) the selected scenarios, of one tool on its own cluster
    and its own copy of the repository (``work``, the pristine N apps, is cloned bare for each
    tool)."""
    res = Result(label=tool, note="", n=args.n)
    with tempfile.TemporaryDirectory(prefix=f"kapstan-peers-{tool}-") as tmp:
        root = Path(tmp)
        projects = root / "projects"
        projects.mkdir()
        capture(["git", "clone", "--quiet", "--bare", str(work), str(projects / "apps.git")])
        cluster = LocalCluster(root / "cluster", nodes=1)
        ctx: Context | None = None
        try:
            with console.status(f"{tool}: local cluster, git server, {tool} start-up"):
                cluster.start()
                users = {GIT_USER: GIT_PASSWORD}
                with http_server(root / "http", projects, users) as git:
                    url = f"{git.base_url}/apps.git"
                    ctx = Context(
                        cluster,
                        root,
                        url,
                        args.n,
                        generate_paths=args.generate_paths,
                        kapstan_params=args.kapstan_params,
                    )
                    d = SETUPS[tool](ctx, tuned)
                    if args.generate_paths and tool in ("kapstan", "argocd"):
                        d.note += "; apps with manifest-generate-paths: ."
                        d.notify_note += " (apps with manifest-generate-paths: .)"
                    res.label, res.note, res.counted = d.label, d.note, bool(d.counted)
                    console.print(f"{tool}: measuring N={args.n}")
                    asyncio.run(measure(ctx, d, res, args.timeout))
                    if not res.error and d.notify is not None and args.after and scenarios:
                        repo = scen.Repo(projects / "apps.git", root / "work")
                        opts = scen.Options(
                            args.after, args.change_timeout, args.poll_timeout,
                            args.drift_timeout, args.idle_seconds,
                        )  # fmt: skip
                        res.after = asyncio.run(scen.run(ctx, d, repo, opts))
        except Exception as err:  # reported as a row, not a crash
            res.error = f"{type(err).__name__}: {err}".splitlines()[0][:200]
        finally:
            if ctx is not None:
                if args.keep_logs:
                    keep = Path(tempfile.gettempdir()) / f"kapstan-peers-logs-{tool}"
                    keep.mkdir(exist_ok=True)
                    for log in root.glob("*.log"):
                        (keep / log.name).write_bytes(log.read_bytes())
                    console.print(f"{tool}: logs in {keep}")
                ctx.stop_all()
            with console.status(f"{tool}: stopping the cluster"):
                cluster.destroy()
    return res


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs > 0 else "-"


def row(res: Result, kapstan: Result | None) -> str:
    mib = res.usage.peak_rss_kib / 1024
    total = secs(res.seconds) if not res.error else f"**{res.error}** ({res.done}/{res.n})"
    ratios = "-"
    if kapstan is not None and kapstan is not res and kapstan.seconds and res.seconds:
        ratios = ", ".join(
            (
                ratio(kapstan.seconds, res.seconds),
                ratio(kapstan.usage.peak_rss_kib, res.usage.peak_rss_kib),
                ratio(kapstan.cpu, res.cpu),
                ratio(kapstan.requests, res.requests),
            )
        )
    cells = [
        f"{machine()}, load {res.load:.1f}",
        res.label,
        res.note,
        str(res.n),
        total,
        f"{mib:.0f} MiB" if res.counted else "-",
        f"{res.cpu:.1f} s" if res.counted else "-",
        f"{res.requests:,}",
        f"{res.requests / res.n:.1f}" if res.n else "-",
        f"{res.api_cpu:.1f} s",
        ratios,
    ]
    return "| " + " | ".join(cells) + " |"


def _params(parser: argparse.ArgumentParser, pairs: list[str]) -> dict[str, str]:
    if bad := [p for p in pairs if "=" not in p]:
        parser.error(f"--kapstan-param wants KEY=VALUE, got {', '.join(bad)}")
    return dict(p.split("=", 1) for p in pairs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100, help="apps (default 100)")
    parser.add_argument(
        "--tools", default="kapstan,argocd,flux,floor", help="comma-separated, in order"
    )
    parser.add_argument(
        "--tuned",
        action="store_true",
        help="after each peer's defaults row, a tuned row (cold deploy only: the other "
        "scenarios compare the defaults, unless the defaults did not finish the cold deploy)",
    )
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per tool")
    parser.add_argument("--no-record", action="store_true", help="do not append to README.md")
    parser.add_argument("--keep-logs", action="store_true", help="copy the tools' logs to /tmp")
    parser.add_argument(
        "--scenarios",
        default="cold,change,drift,idle",
        help="comma-separated of cold,change (= webhook,polling),webhook,polling,drift,idle; "
        "cold always runs first (the others need its apps); the floor only does cold",
    )
    parser.add_argument(
        "--change-timeout", type=float, default=300, help="seconds for the webhook change"
    )
    parser.add_argument(
        "--poll-timeout",
        type=float,
        default=600,
        help="seconds for the polled change (Argo CD: up to 180 s between polls, plus its "
        "repo-server's 3-minute cache of the branch's commit)",
    )
    parser.add_argument(
        "--drift-timeout", type=float, default=60, help="seconds for the drift to be reverted"
    )
    parser.add_argument(
        "--generate-paths",
        action="store_true",
        help="Argo CD's and Kapstan's Applications carry manifest-generate-paths: . (a webhook "
        "then refreshes only the apps whose directory the push changed)",
    )
    parser.add_argument("--idle-seconds", type=float, default=300, help="idle window (seconds)")
    parser.add_argument(
        "--kapstan-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --tuned: Kapstan's tuned row sets this argocd-cmd-params-cm key instead of "
        "its default tuning (repeatable), e.g. controller.sync.server.side.dry.run=true",
    )
    args = parser.parse_args()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if unknown := [t for t in tools if t not in SETUPS]:
        parser.error(f"unknown tool(s) {', '.join(unknown)}; known: {', '.join(SETUPS)}")
    args.kapstan_params = _params(parser, args.kapstan_param)
    wanted = {t.strip() for t in args.scenarios.split(",") if t.strip()}
    if "change" in wanted:
        wanted |= {"webhook", "polling"}
    if odd := wanted - {"cold", "change", *scen.SCENARIOS}:
        parser.error(f"unknown scenario(s) {', '.join(sorted(odd))}")
    args.after = tuple(s for s in scen.SCENARIOS if s in wanted)

    def interrupt(_sig: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # clean up on SIGTERM as on Ctrl-C
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kapstan-peers-repo-") as tmp:
        work = make_repo(Path(tmp), args.n)  # never changed: each tool gets a bare clone
        for tool in tools:
            for tuned in (False, True) if args.tuned and tool in TUNABLE else (False,):
                scenarios = not tuned or tool in TUNED_WITH_SCENARIOS or bool(results[-1].error)
                results.append(run_tool(tool, work, args, tuned, scenarios))
                console.print(row(results[-1], None), markup=False, soft_wrap=True)
    kapstan = next((r for r in results if r.label == "Kapstan" and not r.error), None)
    tables = [(SECTION, HEADER, INTRO, [row(r, kapstan) for r in results])]
    after = [r for r in results if r.after is not None]
    ours = kapstan.after if kapstan is not None else None
    if any(s in args.after for s in ("webhook", "polling", "drift")) and after:
        react = [scen.react_row(r.label, r.n, r.after, ours) for r in after if r.after]
        tables.append((scen.REACT_SECTION, scen.REACT_HEADER, scen.REACT_INTRO, react))
    if "idle" in args.after and after:
        idle = [scen.idle_row(r.label, r.n, r.after, ours) for r in after if r.after]
        tables.append((scen.IDLE_SECTION, scen.IDLE_HEADER, scen.IDLE_INTRO, idle))
    for section, header, _intro, rows in tables:
        print(f"\n{section}\n\n{header}", flush=True)
        for line in rows:
            print(line, flush=True)
    if not args.no_record:
        for section, header, intro, rows in tables:
            readme.record(section, header, rows, intro=intro)
        console.print(f"appended {sum(len(t[3]) for t in tables)} row(s) to {readme.README}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        console.print("interrupted: tools and clusters stopped")
        sys.exit(130)
