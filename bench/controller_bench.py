"""Controller cold deploy: N Applications applied at once, time until all are Synced+Healthy.

    .venv/bin/python bench/controller_bench.py [N ...]   # default: 100 500

The scenario of Flux's published scale figures (fluxcd/flux-benchmark, "MTTP"): one git
repository (``file://``) with N directories ``app-000/...``, each holding a Deployment with 0
replicas, a ServiceAccount, a Service and an Ingress (``networking.k8s.io/v1``). For each N a
fresh local cluster (1 kwok node) is started, namespace ``argocd`` and an ``argocd-cm`` are
created (``kapstan install``, then ``argocd-cm``), and ``kapstan controller`` runs as a separate
process. Once it is up, N automated Applications (one per directory,
all into one pre-created namespace ``bench``; with ``--namespace-per-app`` each into its own
namespace ``bench-<i>`` created by ``CreateNamespace=true``) are created concurrently through
the API, and the clock runs from the first create until every Application reports
``sync.status: Synced`` and ``health.status: Healthy``. The bench follows the Applications with
one list + watch (not a repeated list, which would load the API server it measures) and samples
``/proc`` every 0.5 s.

Ingress health: there is no ingress controller, so ``status.loadBalancer`` stays empty, which
Argo CD (and Kapstan) report as Progressing forever. ``argocd-cm`` therefore carries the usual
health override ``resource.customizations.health.networking.k8s.io_Ingress`` (a Lua script that
answers Healthy), much as Flux's kstatus treats an Ingress without conditions as ready.

Reported per N: apply time, time to half and to all Synced+Healthy, controller peak RSS
(``VmHWM`` of the controller process; the git processes it runs are not in it, their summed
RSS is sampled every 0.5 s and shown separately), controller CPU seconds (utime+stime of the
controller plus cutime+cstime of its reaped children, i.e. git), and kube-apiserver CPU
seconds over the same window, for context. A run past ``--timeout`` is reported as a timeout
row. The row is printed and appended to the results table in bench/README.md
(``--no-record`` skips that). The controller's log is kept in the temp dir's parent when
``--keep-logs`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from kapstan.demo.children import controller_argv, install
from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.kube.errors import KubeError, NotFound
from kapstan.localcluster import LocalCluster
from kapstan.localcluster.process import ProcessHandle, spawn, stop
from kapstan.testing.gitservers import commit_all, init_worktree

ARGOCD = "argocd"
APPS = f"/apis/argoproj.io/v1alpha1/namespaces/{ARGOCD}/applications"
CRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/applications.argoproj.io"
PROJECT = f"/apis/argoproj.io/v1alpha1/namespaces/{ARGOCD}/appprojects/default"
README = Path(__file__).with_name("README.md")
SECTION = "## Controller cold deploy (`bench/controller_bench.py`)"
HEADER = (
    "| machine | controller | N | namespaces | app-resync | apply | half Synced+Healthy "
    "| all Synced+Healthy | controller peak RSS (git children) | controller CPU (self + git) "
    "| kube-apiserver CPU |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)
INGRESS_HEALTH = """hs = {}
hs.status = "Healthy"
hs.message = "no ingress controller in the benchmark cluster"
return hs
"""
CLK_TCK = os.sysconf("SC_CLK_TCK")
console = Console(stderr=True)


# -- the git repository ---------------------------------------------------------------------------
def app_manifests(i: int) -> list[dict[str, Any]]:
    name = f"app-{i:03d}"
    labels = {"app.kubernetes.io/name": name}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": name,
                        "containers": [
                            {
                                "name": "app",
                                "image": "ghcr.io/stefanprodan/podinfo:6.7.0",
                                "ports": [{"name": "http", "containerPort": 9898}],
                                "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
                            }
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "selector": labels,
                "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": name},
            "spec": {
                "ingressClassName": "nginx",
                "rules": [
                    {
                        "host": f"{name}.bench.example",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {
                                        "service": {"name": name, "port": {"name": "http"}}
                                    },
                                }
                            ]
                        },
                    }
                ],
            },
        },
    ]


def make_repo(root: Path, n: int) -> Path:
    work = init_worktree(root / "apps")
    for i in range(n):
        d = work / f"app-{i:03d}"
        d.mkdir()
        for obj in app_manifests(i):
            (d / f"{obj['kind'].lower()}.yaml").write_text(yaml.safe_dump(obj, sort_keys=False))
    commit_all(work, f"{n} apps")
    return work


def application(i: int, repo_url: str, shared: bool) -> dict[str, Any]:
    policy: dict[str, Any] = {"automated": {"prune": True, "selfHeal": True}}
    if not shared:
        policy["syncOptions"] = ["CreateNamespace=true"]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"app-{i:03d}", "namespace": ARGOCD},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo_url, "targetRevision": "main", "path": f"app-{i:03d}"},
            "destination": {
                "server": "https://kubernetes.default.svc",
                "namespace": "bench" if shared else f"bench-{i}",
            },
            "syncPolicy": policy,
        },
    }


# -- /proc sampling -------------------------------------------------------------------------------
def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, children: bool = False) -> float:
    """utime+stime of ``pid`` (plus cutime+cstime of its reaped children with ``children``)."""
    f = _stat(pid)
    if f is None:
        return 0.0
    ticks = int(f[11]) + int(f[12]) + (int(f[13]) + int(f[14]) if children else 0)
    return ticks / CLK_TCK


def status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (f := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = int(f[1])
    found: list[int] = []
    frontier = {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier}
        found.extend(frontier)
    return found


@dataclass
class Sample:
    hwm_kib: int = 0
    children_peak_kib: int = 0
    ctl_cpu: float = 0.0
    api_cpu: float = 0.0

    def take(self, ctl: int, api: int) -> None:
        if (hwm := status_kib(ctl, "VmHWM")) > 0:  # 0 once the process has exited
            self.hwm_kib = hwm
            self.ctl_cpu = cpu_seconds(ctl, children=True)
        kids = sum(status_kib(p, "VmRSS") for p in descendants(ctl))
        self.children_peak_kib = max(self.children_peak_kib, kids)
        if (api_cpu := cpu_seconds(api)) > 0:
            self.api_cpu = api_cpu


# -- one run --------------------------------------------------------------------------------------
@dataclass
class Result:
    n: int
    shared: bool
    resync: float
    applied_s: float = 0.0
    half_s: float | None = None
    all_s: float | None = None
    done: int = 0
    sample: Sample = field(default_factory=Sample)
    ctl_cpu: float = 0.0
    api_cpu: float = 0.0
    error: str = ""


def ok(obj: dict[str, Any]) -> bool:
    status = obj.get("status") or {}
    return (status.get("sync") or {}).get("status") == "Synced" and (
        status.get("health") or {}
    ).get("status") == "Healthy"


async def follow(kube: KubeClient, state: dict[str, tuple[str, str]]) -> None:
    """Keep ``state`` (name -> (sync, health)) current with one list + watch, re-listing on
    any watch end or error."""

    def put(obj: dict[str, Any]) -> None:
        status = obj.get("status") or {}
        state[obj["metadata"]["name"]] = (
            str((status.get("sync") or {}).get("status") or ""),
            str((status.get("health") or {}).get("status") or ""),
        )

    while True:
        try:
            listed = await kube.list(APPS)
            state.clear()
            for obj in listed.items:
                put(obj)
            async for ev in kube.watch(APPS, resource_version=listed.resource_version):
                if ev.type in ("ADDED", "MODIFIED"):
                    put(ev.object)
                elif ev.type == "DELETED":
                    state.pop(ev.object["metadata"]["name"], None)
        except KubeError:
            await asyncio.sleep(0.5)


async def pool(jobs: list[Callable[[], Awaitable[None]]], concurrency: int) -> None:
    queue = list(reversed(jobs))

    async def worker() -> None:
        while queue:
            await queue.pop()()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def wait_installed(kube: KubeClient, ctl: ProcessHandle, log: Path, timeout: float) -> None:
    """Until the Application CRD (Established) and the default AppProject are there and the
    controller runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not ctl.alive():
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"controller exited during start-up:\n{tail}")
        with contextlib.suppress(NotFound):
            crd = await kube.get(CRD)
            conds = (crd.get("status") or {}).get("conditions") or []
            if any(c.get("type") == "Established" and c.get("status") == "True" for c in conds):
                await kube.get(PROJECT)
                return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"no Application CRD and default AppProject after {timeout:.0f} s")


async def measure(
    cluster: LocalCluster, ctl: ProcessHandle, log: Path, repo_url: str, res: Result, timeout: float
) -> None:
    api = next(
        h.pid
        for h in (cluster.state.processes if cluster.state else ())
        if h.name == "kube-apiserver"
    )
    async with KubeClient(load_kubeconfig(cluster.kubeconfig), qps=10000, burst=10000) as kube:
        await wait_installed(kube, ctl, log, 120)
        state: dict[str, tuple[str, str]] = {}
        watcher = asyncio.create_task(follow(kube, state))
        apps = [application(i, repo_url, res.shared) for i in range(res.n)]

        def create(app: dict[str, Any]) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                await kube.request("POST", APPS, None, app, "application/json")

            return run

        ctl0, api0 = cpu_seconds(ctl.pid, children=True), cpu_seconds(api)
        s = res.sample
        progress = Progress(
            TextColumn("N={task.fields[n]}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} Synced+Healthy"),
            TextColumn("[dim]{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
        )
        try:
            with progress:
                task = progress.add_task("", total=res.n, n=res.n, detail="applying")
                t0 = time.monotonic()
                await pool([create(a) for a in apps], 32)
                res.applied_s = time.monotonic() - t0
                while True:
                    now = time.monotonic() - t0
                    s.take(ctl.pid, api)
                    values = list(state.values())
                    res.done = sum(1 for v in values if v == ("Synced", "Healthy"))
                    synced = sum(1 for v in values if v[0] == "Synced")
                    healthy = sum(1 for v in values if v[1] == "Healthy")
                    if res.half_s is None and res.done * 2 >= res.n:
                        res.half_s = now
                    progress.update(
                        task,
                        completed=res.done,
                        detail=f"Synced {synced}, Healthy {healthy}, "
                        f"RSS {s.hwm_kib / 1024:.0f} MiB, CPU {s.ctl_cpu - ctl0:.0f} s",
                    )
                    if res.done >= res.n:
                        res.all_s = now
                        break
                    if now > timeout:
                        res.error = f"timeout after {timeout:.0f} s"
                        break
                    if not ctl.alive():
                        res.error = "controller exited"
                        break
                    await asyncio.sleep(0.5)
            if res.error:
                await explain(kube)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        res.ctl_cpu = s.ctl_cpu - ctl0
        res.api_cpu = s.api_cpu - api0


async def explain(kube: KubeClient, most: int = 5) -> None:
    """Print why a few Applications are not Synced+Healthy yet (for a timeout row)."""
    pending = [a for a in (await kube.list(APPS)).items if not ok(a)]
    for app in pending[:most]:
        status = app.get("status") or {}
        op = status.get("operationState") or {}
        bad = [
            f"{r.get('kind')}/{r.get('name')}: {r.get('status')} "
            f"{(r.get('health') or {}).get('status', '')}"
            for r in status.get("resources") or []
            if r.get("status") != "Synced"
            or (r.get("health") or {}).get("status", "Healthy") != "Healthy"
        ]
        console.print(
            f"{app['metadata']['name']}: sync {(status.get('sync') or {}).get('status')}, "
            f"health {(status.get('health') or {}).get('status')}, "
            f"operation {op.get('phase')} {op.get('message', '')!r}, "
            f"conditions {[c.get('message') for c in status.get('conditions') or []]}, "
            f"resources not Synced+Healthy {bad}",
            markup=False,
        )
    if len(pending) > most:
        console.print(f"... and {len(pending) - most} more")


def run_one(n: int, args: argparse.Namespace) -> Result:
    res = Result(n=n, shared=not args.namespace_per_app, resync=args.app_resync)
    with tempfile.TemporaryDirectory(prefix="kapstan-controller-bench-") as tmp:
        root = Path(tmp)
        cluster = LocalCluster(root / "cluster", nodes=1)
        ctl: ProcessHandle | None = None
        log = root / "controller.log"
        try:
            with console.status(f"N={n}: git repository, local cluster"):
                repo = make_repo(root, n)
                cluster.start()
                install(cluster.kubeconfig, ARGOCD)  # `kapstan install`: CRDs, namespace, project
                if not args.namespace_per_app:
                    cluster.request(
                        "POST",
                        "/api/v1/namespaces",
                        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}},
                    )
                cluster.request(
                    "POST",
                    f"/api/v1/namespaces/{ARGOCD}/configmaps",
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": "argocd-cm", "namespace": ARGOCD},
                        "data": {
                            "resource.customizations.health.networking.k8s.io_Ingress": (
                                INGRESS_HEALTH
                            )
                        },
                    },
                )
            home = root / "home"
            home.mkdir()
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(home),
                "LANG": os.environ.get("LANG", "C.UTF-8"),
            }
            argv = controller_argv(cluster.kubeconfig, ARGOCD, root / "cache", args.app_resync)
            ctl = spawn("controller", argv, log=log, env=env, cwd=root, die_with_parent=True)
            asyncio.run(measure(cluster, ctl, log, repo.as_uri(), res, args.timeout))
        except Exception as err:  # reported as a row, not a crash
            res.error = f"{type(err).__name__}: {err}".splitlines()[0][:200]
        finally:
            if ctl is not None:
                stop(ctl)
            if args.keep_logs and log.exists():
                kept = Path(tempfile.gettempdir()) / f"kapstan-controller-bench-{n}.log"
                shutil.copyfile(log, kept)
                console.print(f"controller log: {kept}")
            with console.status("stopping the cluster"):
                cluster.destroy()
    return res


# -- reporting ------------------------------------------------------------------------------------
def machine() -> str:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        rel = platform.freedesktop_os_release()
        distro = f"{rel.get('NAME', 'Linux').split()[0]} {rel.get('VERSION_ID', '')}".strip()
    except OSError:
        distro = platform.system()
    return (
        f"{os.cpu_count()} vCPU, {ram:.0f} GiB, {distro}, Python {platform.python_version()}, "
        f"{datetime.date.today().isoformat()}"
    )


def secs(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 60:
        return f"{int(value // 60)} m {value % 60:04.1f} s"
    return f"{value:.1f} s"


def row(res: Result, label: str) -> str:
    s = res.sample
    total = secs(res.all_s) if not res.error else f"**{res.error}** ({res.done}/{res.n})"
    cells = [
        machine(),
        label,
        str(res.n),
        "`bench` (shared)" if res.shared else "`bench-<i>` (CreateNamespace)",
        f"{res.resync:g} s",
        secs(res.applied_s),
        secs(res.half_s),
        total,
        f"{s.hwm_kib / 1024:.0f} MiB ({s.children_peak_kib / 1024:.0f} MiB)",
        f"{res.ctl_cpu:.1f} s",
        f"{res.api_cpu:.1f} s",
    ]
    return "| " + " | ".join(cells) + " |"


def record(line: str) -> None:
    """Append ``line`` to the results table of the section (created when missing)."""
    text = README.read_text()
    if SECTION not in text:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{HEADER}\n"
    head, _, rest = text.partition(SECTION)
    lines = rest.split("\n")
    # The results table is the first table of the section; insert after its last row.
    start = next(i for i, ln in enumerate(lines) if ln.startswith("|"))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    lines.insert(end, line)
    README.write_text(head + SECTION + "\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("counts", nargs="*", type=int, default=[100, 500], help="app counts")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per N (15 min)")
    parser.add_argument("--app-resync", type=float, default=180, help="controller --app-resync")
    parser.add_argument(
        "--namespace-per-app",
        action="store_true",
        help="app i into namespace bench-<i> (CreateNamespace=true), not the shared `bench`",
    )
    parser.add_argument("--label", default="kapstan", help="controller column of the row")
    parser.add_argument("--no-record", action="store_true", help="do not append to README.md")
    parser.add_argument("--keep-logs", action="store_true", help="keep the controller logs")
    args = parser.parse_args()

    def interrupt(_sig: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # clean up on SIGTERM as on Ctrl-C
    rows = []
    for n in args.counts:
        res = run_one(n, args)
        line = row(res, args.label)
        rows.append(line)
        print(line, flush=True)
        if not args.no_record:
            record(line)
    if not args.no_record:
        console.print(f"appended {len(rows)} row(s) to {README}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        console.print("interrupted: controller and cluster stopped")
        sys.exit(130)
