"""A real Gitea for tests (built by ``make gitea``, :mod:`kapstan.localcluster.gitea`): git
over HTTP, its REST API and real webhook deliveries.

Contracts of :func:`gitea_server`: Gitea listens on 127.0.0.1 on a free port with SQLite, SSH
off, offline mode and webhooks allowed to loopback addresses only; everything lives under the
caller's directory; an admin user (:data:`ADMIN`) exists once it yields; the process runs in
its own session (dying with the test process) and is stopped when the block exits.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from kapstan.localcluster.gitea import GiteaBuild
from kapstan.localcluster.ports import free_port
from kapstan.localcluster.process import ProcessHandle, capture, spawn, stop

ADMIN = ("kapstan", "Gitea-adm1n-Pa55")

_APP_INI = """\
APP_NAME = kapstan-tests
RUN_USER = {user}
RUN_MODE = prod
WORK_PATH = {work}

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = {port}
ROOT_URL = http://127.0.0.1:{port}/
STATIC_ROOT_PATH = {static}
APP_DATA_PATH = {work}/data
DISABLE_SSH = true
OFFLINE_MODE = true
LFS_START_SERVER = false

[database]
DB_TYPE = sqlite3
PATH = {work}/gitea.db

[security]
INSTALL_LOCK = true
SECRET_KEY = {secret}

[repository]
ROOT = {work}/repos
DEFAULT_BRANCH = main

[log]
MODE = console
LEVEL = warn

[service]
DISABLE_REGISTRATION = true

[webhook]
ALLOWED_HOST_LIST = loopback
DELIVER_TIMEOUT = 10

[indexer]
ISSUE_INDEXER_TYPE = db
"""


@dataclass
class Gitea:
    """A running Gitea: its base URL (``http://127.0.0.1:P``) and admin API access."""

    base_url: str
    handle: ProcessHandle

    def api(self) -> httpx2.Client:
        return httpx2.Client(base_url=f"{self.base_url}/api/v1", auth=ADMIN, timeout=30)

    def push_url(self, repo: str) -> str:
        """The clone URL of ``<admin>/<repo>`` with the admin's credentials, for ``git push``."""
        user, password = ADMIN
        return f"{self.base_url.replace('http://', f'http://{user}:{password}@')}/{user}/{repo}.git"

    def create_repo(self, name: str) -> str:
        """An empty public repository of the admin; its clone URL (no credentials)."""
        with self.api() as http:
            answer = http.post("/user/repos", json={"name": name, "private": False})
            answer.raise_for_status()
            url: str = answer.json()["clone_url"]
            return url

    def add_hook(
        self, repo: str, url: str, secret: str, kind: str = "gitea",
        events: Sequence[str] = ("push",),
    ) -> dict[str, Any]:  # fmt: skip
        """A webhook of ``kind`` (``gitea``, ``gogs``) on ``<admin>/<repo>`` to ``url``."""
        body = {
            "type": kind,
            "active": True,
            "events": list(events),
            "branch_filter": "*",
            "config": {"url": url, "content_type": "json", "secret": secret},
        }
        with self.api() as http:
            answer = http.post(f"/repos/{ADMIN[0]}/{repo}/hooks", json=body)
            answer.raise_for_status()
            hook: dict[str, Any] = answer.json()
            return hook


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "TMPDIR")}
    env.update(
        HOME=str(work), GITEA_WORK_DIR=str(work),
        # the test machines run as root, which Gitea refuses unless told
        GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT="true",
    )  # fmt: skip
    return env


@contextlib.contextmanager
def gitea_server(root: Path, build: GiteaBuild | None = None) -> Iterator[Gitea]:
    """Gitea under ``root`` (see the module contract)."""
    build = build or GiteaBuild()
    if not build.is_built():
        raise RuntimeError(f"Gitea is not built ({build.binary}): run `make gitea`")
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = root / "app.ini"
    conf.write_text(
        _APP_INI.format(
            user=os.environ.get("USER") or "root",
            work=root,
            port=port,
            static=build.static_root,
            secret=secrets.token_hex(16),
        )
    )
    env = _env(root)
    log = root / "gitea.log"
    handle = spawn(
        "gitea", [str(build.binary), "web", "--config", str(conf)], log=log, env=env,
        cwd=root, die_with_parent=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if not handle.alive():
                raise RuntimeError(f"gitea exited: {log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(f"{base}/api/v1/version", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gitea did not answer on {port}")
            time.sleep(0.2)
        user, password = ADMIN
        capture(
            [
                str(build.binary), "admin", "user", "create", "--config", str(conf),
                "--admin", "--username", user, "--password", password,
                "--email", f"{user}@example.com", "--must-change-password=false",
            ],
            env=env, cwd=root,
        )  # fmt: skip
        yield Gitea(base_url=base, handle=handle)
    finally:
        stop(handle)


__all__ = ["ADMIN", "Gitea", "gitea_server"]
