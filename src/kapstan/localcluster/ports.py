"""Free loopback TCP ports for the servers the local cluster, the demo and the tests start.

A port handed out by ``bind(("127.0.0.1", 0))`` comes from the kernel's ephemeral range
(``net.ipv4.ip_local_port_range``, 32768-60999 by default), the same range every outbound
connection takes its source port from. Between choosing such a port and the server binding it,
any of the thousands of connections a test session opens may take it, and the server fails with
"address already in use" (a CI run lost a kube-apiserver that way). Ports are therefore chosen at
random *below* the ephemeral range, where no connection is given a source port, and checked free.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOOPBACK = "127.0.0.1"
# Below this, well-known and commonly configured service ports; above it, room to choose from.
_LOWEST = 20000
_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_TRIES = 64
# Ports this process handed out: a server may not have bound one yet, so it is not given twice.
_ISSUED: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1, free now, outside the ephemeral range, not handed out before.

    Falls back to a kernel-chosen port when the range leaves no room below it or nothing there is
    free after a few tries.
    """
    high = _ephemeral_low()
    if high - _LOWEST > _TRIES:
        for _ in range(_TRIES):
            port = random.randrange(_LOWEST, high)  # noqa: S311 - not a secret
            if port not in _ISSUED and _bindable(port):
                _ISSUED.add(port)
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])
