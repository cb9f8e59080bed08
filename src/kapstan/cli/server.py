"""``kapstan server``: Argo CD's API on one port (see :mod:`kapstan.runtime.server`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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


def serve_api(
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = "argocd",
    address: Annotated[
        str,
        typer.Option("--address", help="Address to listen on (0.0.0.0 for every interface)."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8080,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Serve plain HTTP (TLS terminated elsewhere). Without it the server uses "
            "the argocd-server-tls Secret, else tls.crt/tls.key of argocd-secret, else a "
            "self-signed certificate it generates there.",
        ),
    ] = False,
    redis: RedisOpt = None,
    with_controller: Annotated[
        bool,
        typer.Option(
            "--with-controller",
            help="Also run the controller in this process (one-process mode: small installs "
            "and the demo); no Redis needed. The controller flags below apply to it.",
        ),
    ] = False,
    resync: AppResyncOpt = None,
    jitter: AppResyncJitterOpt = None,
    image_interval: ImageIntervalOpt = None,
    status_processors: StatusProcessorsOpt = 4,
    operation_processors: OperationProcessorsOpt = 8,
    cache_dir: CacheDirOpt = None,
    helm_path: HelmPathOpt = None,
    kustomize_path: KustomizePathOpt = None,
    server_side_diff: ServerSideDiffOpt = None,
    metrics_port: MetricsPortOpt = None,
    metrics_address: MetricsAddressOpt = "0.0.0.0",  # noqa: S104  # scraped from outside the pod
    static_assets: Annotated[
        Path | None,
        typer.Option(
            "--staticassets",
            envvar="ARGOCD_SERVER_STATIC_ASSETS",
            help="Directory of a web UI build (Argo CD's ui/dist/app) to serve on the paths "
            "that are not the API's; client-side routes get its index.html.",
        ),
    ] = None,
    base_href: Annotated[
        str,
        typer.Option(
            "--basehref",
            envvar="ARGOCD_SERVER_BASEHREF",
            help="Base href written into the UI's index.html, when a proxy serves it under a "
            "path prefix that it strips (default /).",
        ),
    ] = "/",
    dex_server: Annotated[
        str,
        typer.Option(
            "--dex-server",
            envvar="ARGOCD_SERVER_DEX_SERVER",
            help="Dex server address (`kapstan dex`): /api/dex/* is proxied there and the "
            "SSO login of argocd-cm dex.config reaches Dex there. Empty turns Dex off.",
        ),
    ] = "http://127.0.0.1:5556",
    with_dex: Annotated[
        bool,
        typer.Option(
            "--with-dex",
            help="Also run Dex in this process (what `kapstan dex` does), listening at "
            "--dex-server (one-process mode).",
        ),
    ] = False,
    application_namespaces: Annotated[
        str | None,
        typer.Option(
            "--application-namespaces",
            envvar="ARGOCD_APPLICATION_NAMESPACES",
            help="Other namespaces whose Applications Git and registry webhooks refresh, "
            "comma-separated globs or /regular expressions/ (overrides argocd-cmd-params-cm "
            "application.namespaces). The API and the controller still serve the "
            "control-plane namespace's Applications only.",
        ),
    ] = None,
) -> None:
    """Serve Argo CD's REST API (/api/v1, streams, sessions, RBAC) until Ctrl-C (or SIGTERM)."""
    from kapstan.api.static import UiAssetsError
    from kapstan.cli.dex import dex_binary
    from kapstan.controller.appcontroller import ControllerError
    from kapstan.kube.config import ConfigError, load_kubeconfig
    from kapstan.kube.errors import KubeError
    from kapstan.runtime.controller import ControllerOptions
    from kapstan.runtime.server import ServerOptions, run_server
    from kapstan.services.snapshots import SnapshotStoreError

    quiet_logs()
    if metrics_port is not None and not with_controller:
        fail("--metrics-port serves the image loop's metrics: it needs --with-controller")
    if dex_server and "://" not in dex_server:  # Argo CD's form: host:port, plain HTTP
        dex_server = "http://" + dex_server
    options = ServerOptions(
        kubeconfig=kubeconfig,
        namespace=namespace,
        address=address,
        port=port,
        insecure=insecure,
        redis=redis,
        with_controller=with_controller,
        controller=ControllerOptions(
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
            metrics_port=metrics_port,
            metrics_address=metrics_address,
        ),
        static_assets=static_assets,
        base_href=base_href,
        dex_server=dex_server,
        dex_binary=dex_binary(None) if with_dex else None,
        application_namespaces=application_namespaces,
    )
    try:
        config = load_kubeconfig(kubeconfig)
    except (ConfigError, OSError) as e:
        fail(f"kubeconfig: {e}")
    try:
        run_until_signal(lambda stop: run_server(options, stop, config=config))
    except UiAssetsError as e:
        fail(f"--staticassets: {e}")
    except (KubeError, ControllerError, SnapshotStoreError, OSError, TimeoutError) as e:
        fail(str(e))
    err.print("server stopped")


__all__ = ["serve_api"]
