"""``kapstan server`` as a child process, started as a user starts it, for integration tests.

Contract: :meth:`ApiServerProcess.start` spawns ``kapstan server --kubeconfig K --namespace NS
--address 127.0.0.1 --port <free>`` plus the flags given, and returns once ``/healthz``
answers (raising with the log tail if the process exits first); :meth:`client` is a plain
HTTP client on its base URL — with TLS, it trusts exactly the certificate the server serves
(read back from ``argocd-secret`` by the caller, or unverified when not given); :meth:`stop`
sends SIGTERM and reaps the process.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx2

from kapstan.demo.children import kapstan_argv
from kapstan.localcluster import process
from kapstan.localcluster.ports import free_port


class ApiServerProcess:
    """A running ``kapstan server`` (see the module contract)."""

    def __init__(
        self,
        kubeconfig: Path,
        namespace: str,
        log: Path,
        *,
        insecure: bool = True,
        extra: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.insecure = insecure
        self.argv = kapstan_argv(
            "server",
            "--kubeconfig", str(kubeconfig),
            "--namespace", namespace,
            "--address", "127.0.0.1",
            "--port", str(self.port),
            *(["--insecure"] if insecure else []),
            *extra,
        )  # fmt: skip
        self.log = log
        self.env = dict(os.environ if env is None else env)
        self.handle: process.ProcessHandle | None = None

    @property
    def base_url(self) -> str:
        return f"{'http' if self.insecure else 'https'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ApiServerProcess:
        env = {**self.env, "PYTHONUNBUFFERED": "1"}
        self.handle = process.spawn("kapstan-server", self.argv, log=self.log, env=env)
        deadline = time.monotonic() + timeout
        with httpx2.Client(verify=False, timeout=2.0) as http:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise RuntimeError(f"kapstan server exited:\n{self.output()[-3000:]}")
                with contextlib.suppress(httpx2.TransportError):
                    if http.get(f"{self.base_url}/healthz").status_code == 200:
                        return self
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"kapstan server did not answer in {timeout:g}s:\n{self.output()}")

    def client(self, *, ca_pem: bytes | None = None, **kwargs: object) -> httpx2.Client:
        """An HTTP client of this server; with TLS it trusts ``ca_pem`` only."""
        verify: ssl.SSLContext | bool = True
        if not self.insecure:
            verify = False if ca_pem is None else ssl.create_default_context(cadata=ca_pem.decode())
        options: dict[str, Any] = {"timeout": 30.0, **kwargs}
        return httpx2.Client(base_url=self.base_url, verify=verify, **options)

    def alive(self) -> bool:
        return self.handle is not None and self.handle.alive()

    def stop(self) -> None:
        if self.handle is not None:
            process.stop(self.handle)
            self.handle = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


__all__ = ["ApiServerProcess"]
