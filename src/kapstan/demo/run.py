"""What ``kapstan demo`` does, from start to stop.

Contract of :func:`run_demo`:

1. checks the Go-built toolchain (building what is missing, with progress);
2. starts a :class:`~kapstan.localcluster.LocalCluster` in ``workdir`` (wiping a previous demo
   there; a non-empty directory that is not a demo's is refused) and runs ``kapstan install``
   (CRDs, the ``argocd`` namespace, the default project), as a user would;
3. creates the sample-app git repository in ``workdir/repo``;
4. spawns ``kapstan server --with-controller --insecure`` (Argo CD's API and the controller in
   one process) on ``127.0.0.1:port`` (8080, else a free port) as a child process (log:
   ``workdir/logs/server.log``; it finds the toolchain's ``helm`` and ``kustomize`` by itself)
   and prints the API's address and admin's initial password;
5. applies one Application per sample app with the toolchain's kubectl;
6. shows a status table refreshed every second. Once every app is Synced and Healthy it prints
   how to try auto-sync, self-heal and prune, and keeps refreshing until Ctrl-C or SIGTERM; with
   ``exit_when_ready`` it returns 0 then instead (1 after ``timeout`` seconds).

Whatever happens (an error, Ctrl-C, SIGTERM), the server and the cluster are stopped before
it returns: no process is left. The work directory (repo, logs) is kept for inspection and wiped
by the next demo. Returns the process exit status.
"""

from __future__ import annotations

import base64
import json
import shlex
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from kapstan.demo import status
from kapstan.demo.children import DemoError, Server, install
from kapstan.demo.repo import APPS, applications, create_repo
from kapstan.localcluster import ClusterError, LocalCluster, Toolchain, ToolchainError
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.ports import free_port
from kapstan.localcluster.process import CommandError
from kapstan.localcluster.toolchain import build_all

ARGOCD = "argocd"
MARKER = ".kapstan-demo"
_APPS_PATH = f"/apis/argoproj.io/v1alpha1/namespaces/{ARGOCD}/applications"


@dataclass(frozen=True)
class DemoOptions:
    """How to run the demo. ``timeout`` only applies with ``exit_when_ready``."""

    workdir: Path
    name: str = "kapstan-demo"
    exit_when_ready: bool = False
    timeout: float = 300.0
    app_resync: float = 5.0
    port: int = 8080  # the API's; a free one when taken


_Handlers = dict[signal.Signals, Any]


@contextmanager
def _signals_stop(saved: _Handlers) -> Iterator[None]:
    """Inside, SIGTERM behaves like Ctrl-C (KeyboardInterrupt); on leaving, both are ignored so
    that clean-up cannot be interrupted. The previous handlers go into ``saved``."""

    def interrupt(_sig: int, _frame: object) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        saved[sig] = signal.getsignal(sig)
        signal.signal(sig, interrupt)
    try:
        yield
    finally:
        for sig in saved:
            signal.signal(sig, signal.SIG_IGN)


def run_demo(opts: DemoOptions, console: Console | None = None) -> int:
    """Run the demo as the module docstring says; return the exit status."""
    out = console or Console()
    err = Console(stderr=True, soft_wrap=True)  # never wrap a URL or a password
    workdir = opts.workdir.expanduser().resolve()
    toolchain = Toolchain()
    cluster: LocalCluster | None = None
    server: Server | None = None
    code = 1
    saved: _Handlers = {}
    try:
        with _signals_stop(saved):
            if toolchain.missing():
                build_all(toolchain)
            _prepare_workdir(workdir, opts.name)
            cluster = LocalCluster(workdir, name=opts.name, owned=True, toolchain=toolchain)
            with err.status("starting a local Kubernetes control plane (etcd, apiserver, kwok)"):
                cluster.start()
            err.print(f"Kubernetes is running at {cluster.server}")
            err.print(f"kubeconfig: {cluster.kubeconfig}")
            with err.status("kapstan install: CRDs, namespace and default project"):
                install(cluster.kubeconfig, ARGOCD)
            repo = create_repo(workdir / "repo")
            err.print(f"git repository with {len(APPS)} sample apps: {repo}")
            kubectl = Kubectl(cluster.kubeconfig, toolchain)
            server = Server.start(
                cluster.kubeconfig, workdir, ARGOCD, opts.app_resync, _port(opts.port)
            )
            password = _server_ready(server, kubectl, err)
            _apply_applications(kubectl, repo.as_uri())
            err.print(f"applied {len(APPS)} Applications in namespace {ARGOCD}")
            hints = _hints(repo, cluster.kubeconfig, toolchain, server, password)
            code = _watch(cluster, server, opts, out, hints)
    except KeyboardInterrupt:
        err.print("interrupted: stopping")
        code = 0
    except (ClusterError, ToolchainError, CommandError, DemoError, OSError) as e:
        err.print(f"[red]error:[/] {e}")
        detail = getattr(e, "output", "")
        if detail:
            err.print(detail[-2000:], markup=False, highlight=False)
        code = 1
    finally:
        with err.status("stopping the server and the cluster"):
            if server is not None:
                server.stop()
            if cluster is not None:
                cluster.stop()
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    err.print(f"stopped; the repository and logs stay in {workdir} until the next demo")
    return code


def _prepare_workdir(workdir: Path, name: str) -> None:
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / MARKER).exists() and not (workdir / "state.json").exists():
            raise DemoError(f"{workdir} is not empty and holds no demo; pick another --workdir")
        LocalCluster(workdir, name=name, owned=False).destroy()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("work directory of `kapstan demo`; wiped by the next demo\n")


def _apply_applications(kubectl: Kubectl, repo_url: str, timeout: float = 30.0) -> None:
    manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": applications(repo_url)})
    deadline = time.monotonic() + timeout
    while True:
        try:
            kubectl("apply", "-f", "-", stdin=manifest)
            return
        except CommandError:  # discovery may lag a moment behind a new CRD
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def _server_ready(server: Server, kubectl: Kubectl, err: Console) -> str:
    """Wait for the server, say where it is; returns admin's initial password."""
    with err.status("kapstan server --with-controller: API and controller"):
        server.wait_ready()
    password = _initial_password(kubectl)
    err.print(f"web UI and API (Argo CD's /api/v1) on {server.url}: log in as admin / {password}")
    err.print(f"server and controller running (pid {server.handle.pid}); log: {server.log}")
    return password


def _port(wanted: int) -> int:
    """``wanted`` if nothing listens there on loopback, else a free port."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", wanted))
            return wanted
        except OSError:
            return free_port()


def _initial_password(kubectl: Kubectl, timeout: float = 30.0) -> str:
    """What the server wrote into ``argocd-initial-admin-secret`` on its first start."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            secret = json.loads(
                kubectl("get", "secret", "argocd-initial-admin-secret", "-n", ARGOCD, "-o", "json")
            )
            return base64.b64decode(secret["data"]["password"]).decode()
        except (CommandError, KeyError, ValueError):
            if time.monotonic() > deadline:
                raise DemoError("no argocd-initial-admin-secret: see the server log") from None
            time.sleep(0.5)


def _fetch(cluster: LocalCluster) -> list[dict[str, Any]] | None:
    try:
        items: list[dict[str, Any]] = cluster.request("GET", _APPS_PATH)["items"]
    except (ClusterError, OSError):
        return None
    return items


def _watch(
    cluster: LocalCluster, server: Server, opts: DemoOptions, out: Console, hints: str
) -> int:
    started = time.monotonic()
    rows = status.app_rows([], APPS)
    shown_hints = False
    try:
        with Live(status.status_table(rows), console=out, refresh_per_second=2) as live:
            while True:
                server.check_alive()
                items = _fetch(cluster)
                if items is not None:
                    rows = status.app_rows(items, APPS)
                elapsed = time.monotonic() - started
                ready = status.all_ready(rows)
                caption = f"{elapsed:.0f}s" + (" · all Synced and Healthy" if ready else "")
                live.update(status.status_table(rows, caption), refresh=True)
                if ready and opts.exit_when_ready:
                    break
                if ready and not shown_hints:
                    live.console.print(hints, markup=False, highlight=False, soft_wrap=True)
                    shown_hints = True
                if opts.exit_when_ready and elapsed > opts.timeout:
                    break
                time.sleep(1)
    finally:
        if not out.is_terminal:  # rich leaves the last line of a non-terminal Live open
            out.line()
    if ready:
        out.print(f"all {len(rows)} apps are Synced and Healthy after {elapsed:.0f}s")
        return 0
    out.print(f"[red]not every app is Synced and Healthy after {opts.timeout:.0f}s[/]")
    out.print(server.tail(), markup=False, highlight=False)
    return 1


def _hints(
    repo: Path, kubeconfig: Path, toolchain: Toolchain, server: Server, password: str
) -> str:
    r, q = shlex.quote(str(repo)), shlex.quote
    kubectl = f"{q(str(toolchain.path('kubectl')))} --kubeconfig {q(str(kubeconfig))}"
    login = json.dumps({"username": "admin", "password": password})
    return "\n".join(
        [
            "",
            "Every app is Synced and Healthy. Things to try in another terminal:",
            "",
            "Auto-sync: commit to the repository; the controller syncs the new commit in seconds",
            f"  sed -i 's/replicas: 1/replicas: 3/' {r}/guestbook/deployment.yaml",
            f"  git -C {r} commit -am 'guestbook: 3 replicas'",
            "",
            "Self-heal: change the cluster behind Git's back and watch it go back to Git's value",
            f"  {kubectl} -n demo-guestbook scale deployment guestbook-ui --replicas 5",
            f"  {kubectl} -n demo-guestbook get deployment guestbook-ui -w",
            "",
            "Prune: delete a file in Git; the object goes away from the cluster",
            f"  git -C {r} rm -q guestbook/service.yaml",
            f"  git -C {r} commit -m 'guestbook: no Service'",
            "",
            "The API, as Argo CD's UI and scripts use it: log in, list, follow the stream",
            f"  TOKEN=$(curl -s {server.url}/api/v1/session -d {q(login)} | "
            "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')",
            f'  curl -s -H "Authorization: Bearer $TOKEN" '
            f"'{server.url}/api/v1/applications?fields=items.metadata.name,items.status.sync.status'",
            f'  curl -sN -H "Authorization: Bearer $TOKEN" {server.url}/api/v1/stream/applications',
            "",
            f"Server log: {server.log}",
            "Press Ctrl-C to stop the server and the cluster.",
            "",
        ]
    )
