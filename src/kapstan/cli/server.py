"""``kapstan server``: Argo CD's API on one port (see :mod:`kapstan.runtime.server`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kapstan.cli.common import KubeconfigOpt, NamespaceOpt, RedisOpt, err, fail, quiet_logs


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
            "and the demo); no Redis needed.",
        ),
    ] = False,
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
) -> None:
    """Serve Argo CD's REST API (/api/v1, streams, sessions, RBAC) until Ctrl-C (or SIGTERM)."""
    import asyncio
    import signal

    from kapstan.api.static import UiAssetsError
    from kapstan.controller.appcontroller import ControllerError
    from kapstan.kube.config import ConfigError, load_kubeconfig
    from kapstan.kube.errors import KubeError
    from kapstan.runtime.controller import ControllerOptions
    from kapstan.runtime.server import ServerOptions, run_server
    from kapstan.services.snapshots import SnapshotStoreError

    quiet_logs()
    options = ServerOptions(
        kubeconfig=kubeconfig,
        namespace=namespace,
        address=address,
        port=port,
        insecure=insecure,
        redis=redis,
        with_controller=with_controller,
        controller=ControllerOptions(kubeconfig=kubeconfig, namespace=namespace),
        static_assets=static_assets,
        base_href=base_href,
    )
    try:
        config = load_kubeconfig(kubeconfig)
    except (ConfigError, OSError) as e:
        fail(f"kubeconfig: {e}")

    async def body() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_server(options, stop, config=config)

    try:
        asyncio.run(body())
    except UiAssetsError as e:
        fail(f"--staticassets: {e}")
    except (KubeError, ControllerError, SnapshotStoreError, OSError, TimeoutError) as e:
        fail(str(e))
    err.print("server stopped")


__all__ = ["serve_api"]
