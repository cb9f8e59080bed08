"""What the ``kapstan`` commands share: the error console, common flags, logging set-up."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from kapstan.cli.intervals import image_interval

err = Console(stderr=True, soft_wrap=True)  # never wrap paths and messages

KubeconfigOpt = Annotated[
    Path | None, typer.Option("--kubeconfig", help="Kubeconfig (default: $KUBECONFIG).")
]
NamespaceOpt = Annotated[
    str, typer.Option("--namespace", help="Namespace of the Applications and settings.")
]
RedisOpt = Annotated[
    str | None,
    typer.Option(
        "--redis",
        help="Redis host:port for comparison snapshots (default: $REDIS_SERVER, else "
        "argocd-cmd-params-cm redis.server; password from $REDIS_PASSWORD).",
    ),
]

# The controller's flags, shared by `kapstan controller` and `kapstan server --with-controller`.
AppResyncOpt = Annotated[
    float | None,
    typer.Option(
        "--app-resync",
        "--interval",
        help="Seconds between Git polls of each app (default: argocd-cm "
        "timeout.reconciliation, 120 s plus up to 60 s jitter); 0 disables polling.",
    ),
]
AppResyncJitterOpt = Annotated[
    float | None,
    typer.Option(
        "--app-resync-jitter",
        help="Up to this many seconds added to each poll (default: argocd-cm "
        "timeout.reconciliation.jitter, 0 with --app-resync).",
    ),
]
ImageIntervalOpt = Annotated[
    float | None,
    typer.Option(
        "--image-interval",
        parser=image_interval,
        metavar="SECONDS|off",
        help="Seconds between image automation checks of apps with image settings "
        "(argocd-image-updater annotations or an ImageUpdater; default 120, plus up to a "
        "quarter of it as jitter); 0 checks only on request (registry webhooks); off runs no "
        "image automation here (when `kapstan image-updater` runs it).",
    ),
]
# Off unless given (unlike Argo CD's fixed 8082/8081): many of these processes run on one
# machine in tests and development, where a fixed default port would collide.
MetricsPortOpt = Annotated[
    int | None,
    typer.Option(
        "--metrics-port",
        min=1,
        max=65535,
        help="Serve the image automation metrics (Prometheus text format) on this port at "
        "/metrics (default: no metrics endpoint).",
    ),
]
MetricsAddressOpt = Annotated[
    str,
    typer.Option(
        "--metrics-address",
        help="Address the --metrics-port endpoint listens on (127.0.0.1 for this host only).",
    ),
]
StatusProcessorsOpt = Annotated[
    int, typer.Option("--status-processors", help="Apps refreshed at once.")
]
OperationProcessorsOpt = Annotated[
    int, typer.Option("--operation-processors", help="Sync operations run at once.")
]
CacheDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Git and render cache directory (default: ~/.cache/kapstan/controller).",
    ),
]
HelmPathOpt = Annotated[
    str | None,
    typer.Option("--helm-path", help="The helm binary (default: PATH, then `make toolchain`'s)."),
]
KustomizePathOpt = Annotated[
    str | None,
    typer.Option(
        "--kustomize-path", help="The kustomize binary (default: PATH, then `make toolchain`'s)."
    ),
]
ServerSideDiffOpt = Annotated[
    bool | None,
    typer.Option(
        "--server-side-diff-enabled/--server-side-diff-disabled",
        help="Compare with server-side diff (default: argocd-cmd-params-cm "
        "controller.diff.server.side, else off); apps override it with the "
        "compare-options annotation.",
    ),
]


def run_until_signal(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``main(stop)`` in a new event loop; SIGINT and SIGTERM set ``stop``."""

    async def body() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    asyncio.run(body())


def fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/] {message}")
    raise typer.Exit(1)


def quiet_logs() -> None:
    """INFO lines with timestamps; the HTTP libraries' per-request lines are dropped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("httpx", "httpx2", "httpcore", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


__all__ = [
    "AppResyncJitterOpt",
    "AppResyncOpt",
    "CacheDirOpt",
    "HelmPathOpt",
    "KubeconfigOpt",
    "KustomizePathOpt",
    "MetricsAddressOpt",
    "MetricsPortOpt",
    "NamespaceOpt",
    "OperationProcessorsOpt",
    "RedisOpt",
    "ServerSideDiffOpt",
    "StatusProcessorsOpt",
    "err",
    "fail",
    "quiet_logs",
    "run_until_signal",
]
