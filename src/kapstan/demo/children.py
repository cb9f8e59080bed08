"""The ``kapstan controller`` child process of the demo.

Contract: :meth:`Controller.start` spawns ``kapstan controller`` (the console script next to
the running interpreter, else ``python -c``) in its own process group, dying with the demo's
main thread (``PR_SET_PDEATHSIG``), its output appended to ``workdir/logs/controller.log``.
:meth:`Controller.stop` sends SIGTERM to the group, SIGKILL after a grace period, and is safe to
call more than once.
"""

from __future__ import annotations

import os
import sys
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


@dataclass
class Controller:
    """A running ``kapstan controller`` started by the demo."""

    handle: process.ProcessHandle
    log: Path

    @classmethod
    def start(
        cls,
        kubeconfig: Path,
        workdir: Path,
        namespace: str,
        app_resync: float,
    ) -> Controller:
        log = workdir / "logs" / "controller.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)  # the controller finds helm and kustomize itself
        env["KUBECONFIG"] = str(kubeconfig)
        env["PYTHONUNBUFFERED"] = "1"
        argv = controller_argv(kubeconfig, namespace, workdir / "controller-cache", app_resync)
        handle = process.spawn(
            "kapstan-controller", argv, log=log, env=env, cwd=workdir, die_with_parent=True
        )
        return cls(handle=handle, log=log)

    def tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of the controller's log, headed by its path."""
        try:
            text = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            text = []
        return "\n".join([f"--- {self.log} (last {lines} lines)", *text])

    def check_alive(self) -> None:
        """Raise DemoError (with the log tail) if the controller exited."""
        if not self.handle.alive():
            raise DemoError(f"the controller exited\n{self.tail()}")

    def stop(self) -> None:
        process.stop(self.handle)
