"""What the ``kapstan`` commands share: the error console, common flags, logging set-up."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

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


def fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/] {message}")
    raise typer.Exit(1)


def quiet_logs() -> None:
    """INFO lines with timestamps; the HTTP libraries' per-request lines are dropped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("httpx", "httpx2", "httpcore", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


__all__ = ["KubeconfigOpt", "NamespaceOpt", "RedisOpt", "err", "fail", "quiet_logs"]
