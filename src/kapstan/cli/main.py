"""The ``kapstan`` command: the controller, ``install``, the demo and the local-cluster tooling.

Commands only parse flags and hand over to a composition root (:mod:`kapstan.runtime`); they
do not wire clients or services themselves.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kapstan.cli import boolflags
from kapstan.cli.admin import register_admin_commands
from kapstan.cli.argocd import globalflags, session
from kapstan.cli.argocd.commands import register_client_commands
from kapstan.cli.argocd.errors import fail_line
from kapstan.cli.common import (
    AppResyncJitterOpt,
    AppResyncOpt,
    CacheDirOpt,
    HelmPathOpt,
    ImageIntervalOpt,
    KubeconfigOpt,
    KustomizePathOpt,
    MetricsAddressOpt,
    MetricsPortOpt,
    NamespaceOpt,
    OperationProcessorsOpt,
    RedisOpt,
    ServerSideDiffOpt,
    StatusProcessorsOpt,
    err,
    fail,
    quiet_logs,
    run_until_signal,
)
from kapstan.cli.completion import register as register_completion
from kapstan.cli.dex import run_dex
from kapstan.cli.imageupdater import image_updater
from kapstan.cli.server import serve_api
from kapstan.localcluster.cli import local, workdir_of

app = typer.Typer(no_args_is_help=True, add_completion=False, help="GitOps CD for Kubernetes.")
app.add_typer(local, name="local-cluster")
app.command("server")(serve_api)
app.command("dex")(run_dex)
app.command("image-updater")(image_updater)
register_client_commands(app)
register_admin_commands(app)
register_completion(app)


@app.command()
def install(kubeconfig: KubeconfigOpt = None, namespace: NamespaceOpt = "argocd") -> None:
    """Install the CRDs (Application, AppProject, ApplicationSet), NAMESPACE and the default
    AppProject; safe to run again."""
    import asyncio

    from kapstan.kube.client import KubeClient
    from kapstan.kube.config import ConfigError, load_kubeconfig
    from kapstan.kube.errors import KubeError
    from kapstan.runtime.install import install as run_install

    try:
        config = load_kubeconfig(kubeconfig)
    except (ConfigError, OSError) as e:
        fail(f"kubeconfig: {e}")

    async def body() -> list[str]:
        async with KubeClient(config) as kube:
            return await run_install(kube, namespace)

    try:
        for line in asyncio.run(body()):
            print(line)
    except (KubeError, TimeoutError) as e:
        fail(str(e))


@app.command()
def demo(
    name: Annotated[str, typer.Option("--name", "-n", help="Cluster name.")] = "kapstan-demo",
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
    port: Annotated[
        int,
        typer.Option("--port", help="Port of the API on 127.0.0.1 (a free one when taken)."),
    ] = 8080,
) -> None:
    """GitOps demo: a local cluster, a git repo of sample apps, `kapstan server
    --with-controller` syncing them and serving the API on 127.0.0.1.

    Shows the apps' status until Ctrl-C, which stops everything.
    """
    from kapstan.demo.run import DemoOptions, run_demo

    options = DemoOptions(
        workdir=workdir or workdir_of(name),
        name=name,
        exit_when_ready=exit_when_ready,
        timeout=timeout,
        port=port,
    )
    raise typer.Exit(run_demo(options))


@app.command()
def controller(
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = "argocd",
    resync: AppResyncOpt = None,
    jitter: AppResyncJitterOpt = None,
    image_interval: ImageIntervalOpt = None,
    status_processors: StatusProcessorsOpt = 4,
    operation_processors: OperationProcessorsOpt = 8,
    cache_dir: CacheDirOpt = None,
    helm_path: HelmPathOpt = None,
    kustomize_path: KustomizePathOpt = None,
    server_side_diff: ServerSideDiffOpt = None,
    redis: RedisOpt = None,
    metrics_port: MetricsPortOpt = None,
    metrics_address: MetricsAddressOpt = "0.0.0.0",  # noqa: S104  # scraped from outside the pod
) -> None:
    """Reconcile the Applications of NAMESPACE until Ctrl-C (or SIGTERM). With --redis,
    comparison snapshots (resource trees, diffs) are published there for `kapstan server`."""
    from kapstan.controller.appcontroller import ControllerError
    from kapstan.kube.config import ConfigError
    from kapstan.kube.errors import KubeError
    from kapstan.runtime.controller import ControllerOptions, connect, run_controller
    from kapstan.services.tools import ToolError

    quiet_logs()
    options = ControllerOptions(
        kubeconfig=kubeconfig,
        namespace=namespace,
        resync=resync,
        jitter=jitter,
        image_interval=image_interval,
        status_processors=status_processors,
        operation_processors=operation_processors,
        cache_dir=cache_dir,
        helm_path=helm_path,
        kustomize_path=kustomize_path,
        server_side_diff=server_side_diff,
        redis=redis,
        metrics_port=metrics_port,
        metrics_address=metrics_address,
    )
    try:
        config = connect(options)
    except (ConfigError, OSError) as e:
        fail(f"kubeconfig: {e}")
    try:
        run_until_signal(lambda stop: run_controller(options, stop, config=config))
    except (KubeError, ControllerError, ToolError, OSError, TimeoutError) as e:
        fail(str(e))  # OSError: the metrics port is taken
    err.print("controller stopped")


def main() -> None:
    """Console-script entry point: Argo CD's persistent flags of the client commands are taken
    from anywhere on the line first (:mod:`kapstan.cli.argocd.globalflags`)."""
    try:
        argv, flags = globalflags.extract(sys.argv[1:])
    except globalflags.FlagError as e:
        fail_line(str(e))
        sys.exit(2)
    session.start(flags)
    argv = boolflags.normalize(typer.main.get_command(app), argv)
    try:
        app(args=argv, prog_name="kapstan")
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        session.current().close()
