"""A real ``redis-server`` (Debian package, installed by ``make deps``) for tests of the split
mode: bound to 127.0.0.1 on a free port, no persistence, a password, stopped on exit."""

from __future__ import annotations

import contextlib
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kapstan.localcluster.ports import free_port
from kapstan.localcluster.process import spawn, stop
from kapstan.testing.gitservers import _wait_listening


@dataclass(frozen=True)
class Redis:
    address: str  # host:port
    password: str = field(repr=False)


@contextlib.contextmanager
def redis_server(root: Path) -> Iterator[Redis]:
    """A running Redis; raises RuntimeError when the binary is missing or it does not start."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run `make deps` (apt package)")
    root.mkdir(parents=True, exist_ok=True)
    port, password = free_port(), secrets.token_hex(16)
    conf = root / "redis.conf"
    conf.write_text(
        f"bind 127.0.0.1\nport {port}\nsave ''\nappendonly no\ndir {root}\n"
        f"requirepass {password}\nprotected-mode yes\n"
    )
    conf.chmod(0o600)
    log = root / "redis.log"
    handle = spawn("redis-server", [binary, str(conf)], log=log, env={}, die_with_parent=True)
    try:
        _wait_listening(port, handle, log)
        yield Redis(f"127.0.0.1:{port}", password)
    finally:
        stop(handle)


__all__ = ["Redis", "redis_server"]
