"""How ``kapstan admin`` commands reach Kubernetes directly (no API server).

Contract: :func:`run_kube` loads the kubeconfig (``--kubeconfig``, else ``$KUBECONFIG``, else
``~/.kube/config``), runs ``body(kube)`` in a fresh event loop and returns its result; a
kubeconfig problem or a failed API call becomes :class:`~kapstan.cli.argocd.errors.CommandExit`
with Argo CD's generic exit code (20) and one line naming the call. :data:`connect` builds the
client (tests replace it to reach an in-memory cluster).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from kapstan.cli.argocd.errors import GENERIC, CommandExit
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ConfigError, load_kubeconfig
from kapstan.kube.errors import KubeError

T = TypeVar("T")

DEFAULT_NAMESPACE = "argocd"

KubeconfigOpt = Annotated[
    Path | None, typer.Option("--kubeconfig", help="Kubeconfig (default: $KUBECONFIG).")
]
NamespaceOpt = Annotated[
    str,
    typer.Option("--namespace", "-n", help="Namespace of the Kapstan (Argo CD) installation."),
]


def _connect(kubeconfig: Path | None) -> KubeClient:
    return KubeClient(load_kubeconfig(kubeconfig))


connect: Callable[[Path | None], KubeClient] = _connect


def run_kube(kubeconfig: Path | None, body: Callable[[KubeClient], Awaitable[T]]) -> T:
    """Run ``body`` with a client of the kubeconfig's cluster (see the module contract)."""
    try:
        client = connect(kubeconfig)
    except (ConfigError, OSError) as e:
        raise CommandExit(GENERIC, f"kubeconfig: {e}") from None

    async def main() -> T:
        async with client as kube:
            return await body(kube)

    try:
        return asyncio.run(main())
    except (KubeError, TimeoutError) as e:
        raise CommandExit(GENERIC, str(e)) from None


__all__ = ["DEFAULT_NAMESPACE", "KubeconfigOpt", "NamespaceOpt", "connect", "run_kube"]
