"""``kapstan local-cluster``: developer tooling to run a real local control plane.

Lives with the tooling (not with the product's commands); ``kapstan.cli.main`` mounts it.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from kapstan.localcluster import ClusterError, LocalCluster, ToolchainError
from kapstan.localcluster.paths import clusters_root

local = typer.Typer(no_args_is_help=True, help="Run a real local Kubernetes control plane.")
err = Console(stderr=True, soft_wrap=True)  # never wrap paths and messages

NameOpt = Annotated[str, typer.Option("--name", "-n", help="Cluster name.")]
OutputOpt = Annotated[str, typer.Option("--output", "-o", help="Output format: wide|json|yaml.")]


def workdir_of(name: str) -> Path:
    """The work directory of local cluster ``name`` (a plain name, no path)."""
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


@local.command("up")
def local_up(
    name: NameOpt = "kapstan",
    nodes: Annotated[int, typer.Option(help="Number of fake (kwok) nodes.")] = 2,
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Stay attached; Ctrl-C stops the cluster.")
    ] = False,
) -> None:
    """Start a local cluster in the background (or the foreground) and wait until it is ready."""
    workdir = workdir_of(name)
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
    workdir = workdir_of(name)
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
        info: dict[str, Any] = LocalCluster.attach(workdir_of(name)).status()
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
        cluster = LocalCluster.attach(workdir_of(name))
    except ClusterError:
        _fail(f"cluster {name!r} is not running; start it with `kapstan local-cluster up`")
        return
    print(cluster.kubeconfig)


__all__ = ["local", "workdir_of"]
