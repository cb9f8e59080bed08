"""Run the application controller in tests: in a thread (fast, same process) or as the real
``kapstan controller`` process (for tests that kill and restart it).

Both stop cleanly: :meth:`ControllerThread.close` sets the stop event and joins the thread;
:meth:`ControllerProcess.stop` sends SIGTERM (:meth:`ControllerProcess.kill` SIGKILLs it, as a
crash would). Applications and AppProjects are read from the ``argocd`` namespace unless told
otherwise; the namespace must exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from pathlib import Path

from kapstan.controller.appcontroller import Controller
from kapstan.controller.manifests import ManifestGenerator
from kapstan.controller.settings import Settings
from kapstan.demo.children import controller_argv, controller_env
from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.localcluster import Toolchain, process
from kapstan.render.base import Tools


def toolchain_tools() -> Tools:
    """helm and kustomize from the project's toolchain (built by ``make toolchain``)."""
    tc = Toolchain()
    return Tools(helm=str(tc.path("helm")), kustomize=str(tc.path("kustomize")))


class ControllerThread:
    """The controller on its own event loop in a daemon thread."""

    def __init__(
        self,
        kubeconfig: Path,
        cache: Path,
        namespace: str = "argocd",
        *,
        resync: float = 0.5,
        settings: Settings | None = None,
        tools: Tools | None = None,
    ) -> None:
        self.tools = tools or toolchain_tools()
        self.kubeconfig = kubeconfig
        self.cache = cache
        self.namespace = namespace
        self.resync = resync
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.controller: Controller | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        async def body() -> None:
            self.stop_event = asyncio.Event()
            async with KubeClient(load_kubeconfig(self.kubeconfig)) as kube:
                gen = ManifestGenerator(cache_root=self.cache, tools=self.tools)
                self.controller = Controller(
                    kube, gen, self.namespace, self.settings, resync=self.resync
                )
                await self.controller.run(self.stop_event)

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
        resync: float = 1.0,
    ) -> None:
        self.argv = controller_argv(kubeconfig, namespace, cache, resync)
        self.log = log
        self.handle: process.ProcessHandle | None = None

    def start(self) -> ControllerProcess:
        env = controller_env(Toolchain())
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
