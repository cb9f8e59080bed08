"""Credentials at request time: exec plugins, rotating token files, and the TLS context.

Contract of :class:`Credentials`:

- :meth:`Credentials.current` returns the bearer token / client certificate to use now. Exec
  plugins run through :func:`kapstan.proc.run` (argv, no shell) with ``KUBERNETES_EXEC_INFO``
  set; the result is cached until ``status.expirationTimestamp`` (minus a small margin), or
  until :meth:`Credentials.invalidate` is called after a 401. A token file is re-read at most
  once a minute.
- :func:`ssl_context` builds the TLS context; inline key material is written to a private
  temporary directory only for the duration of ``load_cert_chain`` (the ssl module cannot load
  keys from memory).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson

from kapstan import proc
from kapstan.kube.config import ClusterConfig, ConfigError, ExecConfig

_EXPIRY_MARGIN = 10.0
_TOKEN_FILE_TTL = 60.0


@dataclass(frozen=True)
class Credential:
    """What to present on a request. ``expires`` is a ``time.time()`` value (``None``: never)."""

    token: str = field(default="", repr=False)
    client_cert_data: bytes | None = field(default=None, repr=False)
    client_key_data: bytes | None = field(default=None, repr=False)
    expires: float | None = None


class ExecPluginError(ConfigError):
    """The exec credential plugin failed or printed something that is not an ExecCredential."""


def parse_exec_credential(output: bytes, api_version: str) -> Credential:
    """Parse a plugin's standard output (an ``ExecCredential`` JSON object)."""
    try:
        doc = orjson.loads(output)
    except orjson.JSONDecodeError:
        raise ExecPluginError("exec plugin output is not JSON") from None
    if not isinstance(doc, dict) or doc.get("kind") != "ExecCredential":
        raise ExecPluginError("exec plugin output is not an ExecCredential")
    if doc.get("apiVersion") != api_version:
        raise ExecPluginError(
            f"exec plugin returned apiVersion {doc.get('apiVersion')!r}, want {api_version!r}"
        )
    status = doc.get("status") or {}
    token = str(status.get("token") or "")
    cert = status.get("clientCertificateData")
    key = status.get("clientKeyData")
    if not token and not (cert and key):
        raise ExecPluginError("exec plugin returned neither a token nor a client certificate")
    expires = None
    if status.get("expirationTimestamp"):
        stamp = str(status["expirationTimestamp"]).replace("Z", "+00:00")
        try:
            expires = datetime.fromisoformat(stamp).timestamp()
        except ValueError:
            raise ExecPluginError(f"bad expirationTimestamp {stamp!r}") from None
    return Credential(
        token=token,
        client_cert_data=str(cert).encode() if cert else None,
        client_key_data=str(key).encode() if key else None,
        expires=expires,
    )


async def run_exec_plugin(spec: ExecConfig, timeout: float = 60.0) -> Credential:
    """Run the plugin once and parse its ExecCredential."""
    info = {
        "apiVersion": spec.api_version,
        "kind": "ExecCredential",
        "spec": {"interactive": False},
    }
    env = dict(spec.env)
    env["KUBERNETES_EXEC_INFO"] = orjson.dumps(info).decode()
    try:
        done = await proc.run([spec.command, *spec.args], env=env, timeout=timeout)
    except proc.ProcessError as e:
        hint = f" ({spec.install_hint})" if spec.install_hint else ""
        raise ExecPluginError(f"exec credential plugin failed: {e}{hint}") from None
    return parse_exec_credential(done.stdout, spec.api_version)


class Credentials:
    """The credential source of one :class:`ClusterConfig` (safe for concurrent use)."""

    def __init__(self, config: ClusterConfig, now: Callable[[], float] = time.time) -> None:
        self._config = config
        self._cached: Credential | None = None
        self._lock = asyncio.Lock()
        self._now = now

    def _fresh(self, cred: Credential | None) -> bool:
        if cred is None:
            return False
        return cred.expires is None or cred.expires - _EXPIRY_MARGIN > self._now()

    async def current(self) -> Credential:
        """The credential to use now (runs the plugin / reads the token file when stale)."""
        cfg = self._config
        if cfg.exec is None and cfg.token_file is None:
            return Credential(
                token=cfg.token,
                client_cert_data=cfg.client_cert_data,
                client_key_data=cfg.client_key_data,
            )
        if self._fresh(self._cached):
            assert self._cached is not None
            return self._cached
        async with self._lock:
            if not self._fresh(self._cached):
                self._cached = await self._load()
            assert self._cached is not None
            return self._cached

    async def _load(self) -> Credential:
        cfg = self._config
        if cfg.exec is not None:
            return await run_exec_plugin(cfg.exec)
        assert cfg.token_file is not None
        try:
            token = cfg.token_file.read_text().strip()
        except OSError as e:
            raise ConfigError(f"cannot read token file {cfg.token_file}: {e.strerror}") from None
        return Credential(
            token=token,
            client_cert_data=cfg.client_cert_data,
            client_key_data=cfg.client_key_data,
            expires=self._now() + _TOKEN_FILE_TTL + _EXPIRY_MARGIN,
        )

    def invalidate(self) -> None:
        """Forget the cached credential (after a 401) so the next call fetches a new one."""
        self._cached = None


def ssl_context(config: ClusterConfig, cred: Credential | None = None) -> ssl.SSLContext:
    """TLS context: the cluster CA (or system roots), optional client cert, optional no-verify."""
    ctx = ssl.create_default_context()
    if config.ca_data:
        ctx = ssl.create_default_context(cadata=config.ca_data.decode(errors="replace"))
    if config.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    cert = (cred.client_cert_data if cred else None) or config.client_cert_data
    key = (cred.client_key_data if cred else None) or config.client_key_data
    if cert and key:
        with tempfile.TemporaryDirectory(prefix="kapstan-tls-") as tmp:
            cert_path, key_path = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
            for path, data in ((cert_path, cert), (key_path, key)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            try:
                ctx.load_cert_chain(cert_path, key_path)
            except ssl.SSLError as e:
                raise ConfigError(f"client certificate/key cannot be loaded: {e.reason}") from None
    return ctx
