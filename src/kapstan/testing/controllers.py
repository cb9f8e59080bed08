"""Run the application controller in tests: in a thread (fast, same process) or as the real
``kapstan controller`` process (for tests that kill and restart it).

Both go through the composition root of ``kapstan controller`` (:mod:`kapstan.runtime.controller`):
settings come from the cluster's argocd-cm and Secrets, tools are found as a user's controller
finds them. Both stop cleanly: :meth:`ControllerThread.close` sets the stop event and joins the
thread; :meth:`ControllerProcess.stop` sends SIGTERM (:meth:`ControllerProcess.kill` SIGKILLs
it, as a crash would). Applications and AppProjects are read from the ``argocd`` namespace
unless told otherwise; the namespace and the CRDs must exist
(:func:`kapstan.runtime.install.install`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from kapstan.controller.appcontroller import Controller
from kapstan.demo.children import controller_argv
from kapstan.localcluster import process
from kapstan.render.base import Tools
from kapstan.runtime.controller import ControllerOptions, run_controller


def toolchain_tools() -> Tools:
    """helm and kustomize where ``kapstan controller`` finds them (for direct render tests)."""
    from kapstan.services.tools import find_tools

    return find_tools().apply()


class ControllerThread:
    """The controller on its own event loop in a daemon thread."""

    def __init__(
        self,
        kubeconfig: Path,
        cache: Path,
        namespace: str = "argocd",
        *,
        resync: float = 0.5,
        server_side_diff: bool | None = None,
    ) -> None:
        self.options = ControllerOptions(
            kubeconfig=kubeconfig,
            namespace=namespace,
            resync=resync,
            cache_dir=cache,
            server_side_diff=server_side_diff,
        )
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.controller: Controller | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        async def body() -> None:
            self.stop_event = asyncio.Event()

            def ready(controller: Controller) -> None:
                self.controller = controller

            await run_controller(self.options, self.stop_event, on_ready=ready)

        try:
            self.loop.run_until_complete(body())
        except BaseException as err:  # reported by the test through check()
            self.error = err
        finally:
            # Killed git/helm children report their exit and cancelled watch connections
            # finish closing on the next loop turns: let them, or closing the loop now
            # leaves unclosed transports behind (ResourceWarnings are errors in tests).
            with contextlib.suppress(BaseException):
                self.loop.run_until_complete(asyncio.sleep(0.3))
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def start(self) -> ControllerThread:
        self.thread.start()
        return self

    def check(self) -> None:
        """Raise if the controller died."""
        if self.error is not None:
            raise AssertionError(f"controller died: {self.error!r}") from self.error

    def close(self) -> None:
        deadline = time.monotonic() + 10
        while self.stop_event is None and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        stop = self.stop_event
        if stop is not None and self.thread.is_alive():
            with contextlib.suppress(RuntimeError):  # loop already closed
                self.loop.call_soon_threadsafe(stop.set)
        self.thread.join(60)


class ControllerProcess:
    """``kapstan controller`` as a child process, logging to ``log``."""

    def __init__(
        self,
        kubeconfig: Path,
        cache: Path,
        log: Path,
        namespace: str = "argocd",
        *,
        resync: float | None = 1.0,
        extra: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.argv = [*controller_argv(kubeconfig, namespace, cache, resync), *extra]
        self.log = log
        self.env = dict(os.environ if env is None else env)
        self.handle: process.ProcessHandle | None = None

    def start(self) -> ControllerProcess:
        env = {**self.env, "PYTHONUNBUFFERED": "1"}
        self.handle = process.spawn("kapstan-controller", self.argv, log=self.log, env=env)
        return self

    def alive(self) -> bool:
        return self.handle is not None and self.handle.alive()

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would."""
        if self.handle is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.handle.pid, signal.SIGKILL)
            process.stop(self.handle)  # reaps it
            self.handle = None

    def stop(self) -> None:
        if self.handle is not None:
            process.stop(self.handle)
            self.handle = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


__all__ = ["ControllerProcess", "ControllerThread"]
