"""``kapstan dex``: Dex as a child process, configured from argocd-cm ``dex.config``
(Argo CD's ``argocd-dex rundex``).

Contract of :class:`DexRunner`:

- :meth:`run` reads the configuration (:func:`.sources.read_rendered`) every ``poll``
  seconds until ``stop`` is set; when the rendered configuration differs from the running
  one, Dex is (re)started with it: the file is written into a private temporary directory
  (0700, the file 0600: it holds the client secret and resolved connector secrets) and Dex is
  run as ``<binary> serve <file>`` serving ``<url>/api/dex`` on ``address``:``port``; when
  Dex is not in use, none runs;
- a bad ``dex.config`` (invalid YAML, malformed connectors) or a cluster read that fails is
  logged with what is wrong and the running Dex is kept; a configuration Dex itself refuses
  (it exits within :data:`START_GRACE` seconds) is logged with Dex's own last lines and the
  previous configuration is started again;
- Dex's output goes to this process's log, one line per line, prefixed ``dex:``; references
  that could not be resolved and referenced Secrets without the ``part-of`` label are logged
  once by name; values never are; a Dex binary that cannot be started is logged and tried
  again at the next poll;
- on the way out Dex is stopped (SIGTERM, then SIGKILL) and the directory removed; the child
  also gets SIGKILL should this process die first (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import tempfile
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import yaml

from kapstan import proc
from kapstan.services.auth.dex.config import ISSUER_PATH
from kapstan.services.auth.dex.sources import Rendered
from kapstan.services.auth.errors import AuthConfigError, AuthStoreError

log = logging.getLogger(__name__)
START_GRACE = 3.0  # seconds Dex must stay up (and answer discovery) for a config to be good
STOP_GRACE = 5.0
READY_TIMEOUT = 30.0
ReadConfig = Callable[[str], Awaitable[Rendered]]  # (host:port) -> rendered configuration


@dataclass(frozen=True)
class DexOptions:
    binary: Path
    address: str = "127.0.0.1"
    port: int = 5556
    poll: float = 3.0

    @property
    def http(self) -> str:
        return f"{self.address}:{self.port}"


class DexRunner:
    """Dex as a child process of the configuration (see the module contract)."""

    def __init__(self, options: DexOptions, read: ReadConfig) -> None:
        self.options = options
        self._read = read
        self._dir = Path(tempfile.mkdtemp(prefix="kapstan-dex-"))
        os.chmod(self._dir, 0o700)
        self._proc: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None
        self._tail: deque[str] = deque(maxlen=20)
        self._running: dict[str, Any] | None = None
        self._good: dict[str, Any] | None = None
        self._reported: set[str] = set()

    # -- the loop ------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, on_ready: Callable[[], None] | None = None) -> None:
        try:
            while not stop.is_set():
                await self._step()
                if on_ready is not None and self._proc is not None:
                    on_ready()
                    on_ready = None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.options.poll)
        finally:
            await self._stop_dex()
            shutil.rmtree(self._dir, ignore_errors=True)

    async def _step(self) -> None:
        try:
            rendered = await self._read(self.options.http)
        except (AuthConfigError, AuthStoreError) as err:
            self._report(f"dex.config not applied, the running Dex is kept: {err}")
            return
        for ref in rendered.unresolved:
            self._report(f"dex.config refers to {ref}, which no Secret holds: kept as written")
        for name in rendered.ignored_secrets:
            self._report(f"dex.config: Secret {name} lacks the label app.kubernetes.io/part-of")
        if self._running is not None and (self._proc is None or self._proc.returncode is not None):
            status = self._proc.returncode if self._proc is not None else "none"
            log.warning("Dex is not running (exit status %s); starting it again", status)
            self._running = None
        if rendered.config is None:
            if self._running is not None or self._proc is not None:
                log.info("dex.config has no connectors (or argocd-cm has no url): Dex stopped")
                await self._stop_dex()
                self._running = None
            self._report("waiting for argocd-cm url and a dex.config with connectors")
            return
        if rendered.config == self._running:
            return
        self._reported.discard("waiting for argocd-cm url and a dex.config with connectors")
        await self._start(rendered.config)

    def _report(self, message: str) -> None:
        if message not in self._reported:
            self._reported.add(message)
            log.warning("%s", message)

    # -- the child -----------------------------------------------------------------------------
    async def _start(self, config: dict[str, Any]) -> None:
        await self._stop_dex()
        if await self._launch(config):
            self._running = self._good = config
            log.info("Dex serves %s on http://%s", config["issuer"], self.options.http)
            return
        lines = " | ".join(self._tail) or "no output"
        log.error("Dex refused the new configuration (%s)", lines)
        self._running = config  # not retried until dex.config changes again
        if self._good is not None and self._good is not config:
            await self._stop_dex()
            if await self._launch(self._good):
                log.warning("the previous Dex configuration is running again")

    async def _launch(self, config: dict[str, Any]) -> bool:
        path = self._dir / "config.yaml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            yaml.safe_dump(config, out, sort_keys=False)
        self._tail.clear()
        try:
            self._proc = await proc.start_service([str(self.options.binary), "serve", str(path)])
        except proc.ProgramNotFound as err:
            log.error("Dex cannot start: %s", err)
            return False
        self._pump = asyncio.create_task(self._forward(self._proc))
        return await self._ready(config["issuer"])

    async def _ready(self, issuer: str) -> bool:
        """Whether Dex answers its discovery within :data:`READY_TIMEOUT` and is still up
        :data:`START_GRACE` seconds after starting."""
        url = f"http://{self.options.http}{ISSUER_PATH}/.well-known/openid-configuration"
        loop = asyncio.get_running_loop()
        started, deadline = loop.time(), loop.time() + READY_TIMEOUT
        answered = False
        async with httpx2.AsyncClient(timeout=2.0) as client:
            while loop.time() < deadline:
                if self._proc is None or self._proc.returncode is not None:
                    return False
                if not answered:
                    with contextlib.suppress(httpx2.HTTPError):
                        doc = (await client.get(url)).json()
                        answered = isinstance(doc, dict) and doc.get("issuer") == issuer
                if answered and loop.time() - started >= START_GRACE:
                    return True
                await asyncio.sleep(0.2)
        return False

    async def _forward(self, child: asyncio.subprocess.Process) -> None:
        assert child.stdout is not None
        async for raw in child.stdout:
            line = raw.decode(errors="replace").rstrip()
            self._tail.append(line)
            log.info("dex: %s", line)

    async def _stop_dex(self) -> None:
        child, self._proc = self._proc, None
        if child is not None and child.returncode is None:
            child.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(child.wait(), STOP_GRACE)
            except TimeoutError:
                child.kill()
                await child.wait()
        if self._pump is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._pump, 2.0)
            self._pump = None


__all__ = ["DexOptions", "DexRunner", "ReadConfig"]
