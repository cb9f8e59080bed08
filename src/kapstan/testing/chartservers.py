"""Real Helm chart servers for tests: an OCI registry (Debian ``docker-registry``) and a Helm
HTTP chart repository requiring basic auth (``http.server`` in a thread).

Contracts: servers bind 127.0.0.1 on a free port and are stopped when their context manager
exits; the registry runs in its own process group and dies with the test process. All files
live under the directory the caller passes (a pytest temp dir).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hmac
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kapstan.localcluster.ports import free_port
from kapstan.localcluster.process import spawn, stop
from kapstan.testing.gitservers import _wait_listening

DOCKER_REGISTRY = Path("/usr/bin/docker-registry")

_REGISTRY_CONF = """version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


def helm_home_env(home: Path, *, registry: bool = False) -> dict[str, str]:
    """Environment for running the real helm in tests with every helm directory under
    ``home`` (so nothing touches the user's ~/.config/helm); ``registry`` adds
    HELM_REGISTRY_CONFIG for OCI pushes."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    if registry:
        env["HELM_REGISTRY_CONFIG"] = str(home / "registry.json")
    return env


@contextlib.contextmanager
def oci_registry(root: Path) -> Iterator[str]:
    """A plain-HTTP OCI registry on 127.0.0.1; yields its ``host:port``."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = root / "registry.yml"
    conf.write_text(_REGISTRY_CONF.format(storage=root / "storage", port=port))
    log = root / "registry.log"
    handle = spawn(
        "docker-registry",
        [str(DOCKER_REGISTRY), "serve", str(conf)],
        log=log,
        env={},
        die_with_parent=True,
    )
    try:
        _wait_listening(port, handle, log)
        yield f"127.0.0.1:{port}"
    finally:
        stop(handle)


class _AuthHandler(http.server.SimpleHTTPRequestHandler):
    expected = ""  # "Basic <base64(user:password)>", set per server

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        self.expected = expected
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        got = self.headers.get("Authorization") or ""
        if not hmac.compare_digest(got.encode(), self.expected.encode()):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="charts"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def do_HEAD(self) -> None:
        self.do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        """No request log on stderr."""


@contextlib.contextmanager
def auth_chart_repo(served: Path, username: str, password: str) -> Iterator[str]:
    """Serve the files under ``served`` over HTTP on 127.0.0.1, requiring basic auth with
    ``username``/``password``; yields the base URL (without credentials)."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    handler = functools.partial(_AuthHandler, directory=str(served), expected=f"Basic {token}")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
