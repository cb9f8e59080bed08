"""The ``kapstan`` command."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from kapstan import __version__
from kapstan.localcluster import ClusterError, LocalCluster, ToolchainError
from kapstan.localcluster.paths import clusters_root

app = typer.Typer(no_args_is_help=True, add_completion=False, help="GitOps CD for Kubernetes.")
local = typer.Typer(no_args_is_help=True, help="Run a real local Kubernetes control plane.")
app.add_typer(local, name="local-cluster")
err = Console(stderr=True)

NameOpt = Annotated[str, typer.Option("--name", "-n", help="Cluster name.")]
OutputOpt = Annotated[str, typer.Option("--output", "-o", help="Output format: wide|json|yaml.")]


def _workdir(name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise typer.BadParameter(f"invalid cluster name {name!r}")
    return clusters_root() / name


def _fail(message: str) -> None:
    err.print(f"[red]error:[/] {message}")
    raise typer.Exit(1)


def _wait_for_signal() -> None:
    stop = False

    def handler(_sig: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stop:
        time.sleep(0.2)


@app.command()
def version() -> None:
    """Print the Kapstan version."""
    print(f"kapstan {__version__}")


@local.command("up")
def local_up(
    name: NameOpt = "kapstan",
    nodes: Annotated[int, typer.Option(help="Number of fake (kwok) nodes.")] = 2,
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Stay attached; Ctrl-C stops the cluster.")
    ] = False,
) -> None:
    """Start a local cluster in the background (or the foreground) and wait until it is ready."""
    workdir = _workdir(name)
    cluster = LocalCluster(workdir, name=name, nodes=nodes, owned=foreground)
    if cluster.state_file.exists():
        _fail(f"cluster {name!r} already exists; `kapstan local-cluster down --name {name}` first")
    try:
        with err.status(f"starting cluster {name} (etcd, apiserver, controllers, kwok)"):
            cluster.start()
    except (ClusterError, ToolchainError) as e:
        cluster.destroy()
        _fail(str(e))
    err.print(f"cluster [bold]{name}[/] is ready at {cluster.server}")
    err.print(f'kubectl --kubeconfig "$(kapstan local-cluster kubeconfig --name {name})" get nodes')
    if foreground:
        err.print("press Ctrl-C to stop it")
        try:
            _wait_for_signal()
        finally:
            cluster.destroy()
            err.print(f"cluster {name} stopped")


@local.command("down")
def local_down(name: NameOpt = "kapstan") -> None:
    """Stop every process of a local cluster and delete its state."""
    workdir = _workdir(name)
    if not workdir.exists():
        err.print(f"cluster {name!r} does not exist")
        return
    try:
        cluster = LocalCluster.attach(workdir)
    except ClusterError:
        cluster = LocalCluster(workdir, name=name, owned=False)
    cluster.destroy()
    err.print(f"cluster {name} stopped")


@local.command("status")
def local_status(name: NameOpt = "kapstan", output: OutputOpt = "wide") -> None:
    """Show whether each component of a local cluster runs."""
    try:
        info: dict[str, Any] = LocalCluster.attach(_workdir(name)).status()
    except ClusterError:
        info = {"name": name, "running": False}
    if output == "json":
        print(json.dumps(info, indent=2))
    elif output == "yaml":
        print(yaml.safe_dump(info, sort_keys=False), end="")
    else:
        table = Table("COMPONENT", "STATE")
        for comp, state in info.get("components", {}).items():
            table.add_row(comp, state)
        Console().print(table)
        print(f"api: {info.get('server', '-')} ready={info.get('apiReady', False)}")
    if not info.get("running"):
        raise typer.Exit(1)


@local.command("kubeconfig")
def local_kubeconfig(name: NameOpt = "kapstan") -> None:
    """Print the path of the admin kubeconfig of a running local cluster."""
    try:
        cluster = LocalCluster.attach(_workdir(name))
    except ClusterError:
        _fail(f"cluster {name!r} is not running; start it with `kapstan local-cluster up`")
        return
    print(cluster.kubeconfig)


@app.command()
def demo(
    name: NameOpt = "kapstan-demo",
    workdir: Annotated[
        Path | None,
        typer.Option(
            "--workdir",
            help="Work directory of the cluster, repo and logs (default: the kapstan cache's "
            "clusters/NAME); a previous demo there is wiped.",
        ),
    ] = None,
    exit_when_ready: Annotated[
        bool,
        typer.Option(
            "--exit-when-ready", help="Stop and exit 0 once every app is Synced and Healthy."
        ),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            help="With --exit-when-ready: seconds to wait for the apps once applied (then exit 1).",
        ),
    ] = 300.0,
) -> None:
    """GitOps demo: a local cluster, a git repo of sample apps, the controller syncing them.

    Shows the apps' status until Ctrl-C, which stops everything.
    """
    from kapstan.demo.run import DemoOptions, run_demo

    options = DemoOptions(
        workdir=workdir or _workdir(name),
        name=name,
        exit_when_ready=exit_when_ready,
        timeout=timeout,
    )
    raise typer.Exit(run_demo(options))


@app.command()
def controller(
    kubeconfig: Annotated[
        Path | None, typer.Option("--kubeconfig", help="Kubeconfig (default: $KUBECONFIG).")
    ] = None,
    namespace: Annotated[
        str, typer.Option("--namespace", help="Namespace of the Applications.")
    ] = "argocd",
    resync: Annotated[
        float | None,
        typer.Option(
            "--app-resync",
            "--interval",
            help="Seconds between Git polls of each app (default: argocd-cm "
            "timeout.reconciliation, 120 s plus up to 60 s jitter); 0 disables polling.",
        ),
    ] = None,
    jitter: Annotated[
        float | None,
        typer.Option(
            "--app-resync-jitter",
            help="Up to this many seconds added to each poll (default: argocd-cm "
            "timeout.reconciliation.jitter, 0 with --app-resync).",
        ),
    ] = None,
    status_processors: Annotated[
        int, typer.Option("--status-processors", help="Apps refreshed at once.")
    ] = 4,
    operation_processors: Annotated[
        int, typer.Option("--operation-processors", help="Sync operations run at once.")
    ] = 8,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Git and render cache directory.")
    ] = None,
) -> None:
    """Reconcile the Applications of NAMESPACE until Ctrl-C (or SIGTERM)."""
    import asyncio
    import logging

    from kapstan.controller.appcontroller import Controller
    from kapstan.controller.manifests import ManifestGenerator
    from kapstan.controller.settings import Settings, SettingsError
    from kapstan.kube.client import KubeClient
    from kapstan.kube.config import ConfigError, load_kubeconfig
    from kapstan.kube.errors import KubeError, NotFound

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("httpx", "httpx2", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        config = load_kubeconfig(kubeconfig)
    except (ConfigError, OSError) as e:
        _fail(f"kubeconfig: {e}")
        return
    cache = cache_dir or Path.home() / ".cache" / "kapstan" / "controller"

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with KubeClient(config) as kube:
            try:
                cm = await kube.get(f"/api/v1/namespaces/{namespace}/configmaps/argocd-cm")
                settings = Settings.from_configmap(cm.get("data"))
            except NotFound:
                settings = Settings()
            ctl = Controller(
                kube,
                ManifestGenerator(cache_root=cache),
                namespace,
                settings,
                resync=resync,
                jitter=jitter,
                status_processors=status_processors,
                operation_processors=operation_processors,
            )
            every = f"every {ctl.resync:g}s" if ctl.resync > 0 else "on changes only"
            err.print(f"reconciling Applications in {namespace} ({every}); Ctrl-C stops")
            await ctl.run(stop)

    try:
        asyncio.run(run())
    except (KubeError, SettingsError) as e:
        _fail(str(e))
    err.print("controller stopped")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
