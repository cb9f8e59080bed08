"""The Kapstan child process of the demo: ``kapstan server --with-controller``.

Contract: :meth:`Server.start` spawns ``kapstan server --with-controller --insecure`` (the API
and the controller in one process; the console script next to the running interpreter, else
``python -c``) on ``127.0.0.1:<port>``, in its own process group, dying with the demo's main
thread (``PR_SET_PDEATHSIG``), its output appended to ``workdir/logs/server.log``.
:meth:`Server.wait_ready` waits for ``/healthz``. :meth:`Server.stop` sends SIGTERM to the
group, SIGKILL after a grace period, and is safe to call more than once.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from kapstan.localcluster import process

_MAIN = "from kapstan.cli.main import main; main()"


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why (with a log excerpt where one helps)."""


def kapstan_argv(*args: str) -> list[str]:
    """``kapstan ARGS`` (the console script next to the running interpreter, else ``python -c``)."""
    script = Path(sys.executable).parent / "kapstan"
    base = [str(script)] if script.is_file() else [sys.executable, "-c", _MAIN]
    return [*base, *args]


def install(kubeconfig: Path, namespace: str) -> str:
    """Run ``kapstan install`` (CRDs, namespace, default project) as a user would; returns
    what it printed. Raises ``CommandError`` when it fails."""
    argv = kapstan_argv("install", "--kubeconfig", str(kubeconfig), "--namespace", namespace)
    return process.capture(argv, timeout=120.0)


def controller_argv(
    kubeconfig: Path, namespace: str, cache_dir: Path, app_resync: float | None
) -> list[str]:
    """The command line of ``kapstan controller`` (``app_resync`` ``None``: argocd-cm's)."""
    argv = kapstan_argv(
        "controller",
        "--kubeconfig",
        str(kubeconfig),
        "--namespace",
        namespace,
        "--cache-dir",
        str(cache_dir),
    )
    return argv if app_resync is None else [*argv, "--app-resync", f"{app_resync:g}"]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def server_argv(
    kubeconfig: Path, namespace: str, cache_dir: Path, app_resync: float, port: int
) -> list[str]:
    """The command line of the demo's ``kapstan server --with-controller``."""
    return kapstan_argv(
        "server",
        "--with-controller",
        "--insecure",
        "--address", "127.0.0.1",
        "--port", str(port),
        "--kubeconfig", str(kubeconfig),
        "--namespace", namespace,
        "--cache-dir", str(cache_dir),
        "--app-resync", f"{app_resync:g}",
    )  # fmt: skip


@dataclass
class Server:
    """A running ``kapstan server --with-controller`` started by the demo."""

    handle: process.ProcessHandle
    log: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls,
        kubeconfig: Path,
        workdir: Path,
        namespace: str,
        app_resync: float,
        port: int,
    ) -> Server:
        log = workdir / "logs" / "server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)  # the controller finds helm and kustomize itself
        env["KUBECONFIG"] = str(kubeconfig)
        env["PYTHONUNBUFFERED"] = "1"
        argv = server_argv(kubeconfig, namespace, workdir / "controller-cache", app_resync, port)
        handle = process.spawn(
            "kapstan-server", argv, log=log, env=env, cwd=workdir, die_with_parent=True
        )
        return cls(handle=handle, log=log, port=port)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until ``/healthz`` answers; raises DemoError (with the log tail) otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if _healthy(f"{self.url}/healthz"):
                return
            time.sleep(0.2)
        raise DemoError(f"kapstan server did not answer in {timeout:g}s\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of the server's log, headed by its path."""
        try:
            text = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            text = []
        return "\n".join([f"--- {self.log} (last {lines} lines)", *text])

    def check_alive(self) -> None:
        """Raise DemoError (with the log tail) if the server exited."""
        if not self.handle.alive():
            raise DemoError(f"kapstan server exited\n{self.tail()}")

    def stop(self) -> None:
        process.stop(self.handle)
