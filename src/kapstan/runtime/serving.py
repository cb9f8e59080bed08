"""Serving an ASGI app with uvicorn inside a process that owns its signals and sockets."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import uvicorn


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the CLI owns SIGINT/SIGTERM (``stop``)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listen(address: str, port: int) -> socket.socket:
    """The listening socket (bound here so that a taken port is a clear ``OSError``)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as err:
        sock.close()
        raise OSError(f"cannot listen on {address}:{port}: {err.strerror}") from None
    sock.listen(2048)
    return sock


__all__ = ["QuietServer", "listen"]
