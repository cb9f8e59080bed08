"""``kapstan dex``: run Dex configured from argocd-cm ``dex.config`` (Argo CD's ``argocd-dex
rundex``; see :mod:`kapstan.services.auth.dex.runner`)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Annotated

import typer

from kapstan.cli.common import KubeconfigOpt, NamespaceOpt, err, fail, quiet_logs, run_until_signal


def dex_binary(given: Path | None) -> Path:  # noqa: RET503 - fail() raises
    """``--dex-path``, else the Dex ``make dex`` built, else ``dex`` on PATH."""
    if given is not None:
        if not given.is_file():
            fail(f"--dex-path: {given} does not exist")
        return given
    from kapstan.localcluster.dex import DexBuild

    build = DexBuild()
    if build.binary.is_file():
        return build.binary
    found = shutil.which("dex")
    if found:
        return Path(found)
    fail(f"no Dex binary: run `make dex` (builds {build.binary}) or pass --dex-path")


def run_dex(
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = "argocd",
    address: Annotated[
        str, typer.Option("--address", help="Address Dex listens on (kapstan server reaches it).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port Dex listens on.")] = 5556,
    dex_path: Annotated[
        Path | None, typer.Option("--dex-path", help="The Dex binary (default: `make dex`'s).")
    ] = None,
    poll: Annotated[
        float, typer.Option("--poll", help="Seconds between reads of argocd-cm and the Secrets.")
    ] = 3.0,
) -> None:
    """Run Dex from argocd-cm dex.config until Ctrl-C (or SIGTERM), restarting it when the
    configuration changes. `kapstan server --dex-server http://ADDRESS:PORT` proxies
    /api/dex/* to it."""
    from kapstan.kube.client import KubeClient
    from kapstan.kube.config import ConfigError, load_kubeconfig
    from kapstan.services.auth.dex.runner import DexOptions, DexRunner
    from kapstan.services.auth.dex.sources import read_rendered
    from kapstan.services.auth.store import AuthStore

    quiet_logs()
    if poll <= 0:
        fail("--poll must be positive")
    options = DexOptions(binary=dex_binary(dex_path), address=address, port=port, poll=poll)
    try:
        config = load_kubeconfig(kubeconfig)
    except (ConfigError, OSError) as e:
        fail(f"kubeconfig: {e}")

    async def main(stop: asyncio.Event) -> None:
        async with KubeClient(config) as kube:
            store = AuthStore(kube, namespace)
            runner = DexRunner(options, lambda http: read_rendered(store, http=http))
            await runner.run(stop)

    run_until_signal(main)
    err.print("dex stopped")


__all__ = ["run_dex"]
