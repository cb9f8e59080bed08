"""A Kapstan installation driven over HTTP: ``kapstan controller`` and ``kapstan server`` as
processes in a namespace of their own, a git repository of apps, and a plain HTTP client."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.argo import ArgoNamespace
from kapstan.testing.redisserver import Redis, redis_server
from kapstan.testing.waiting import wait_for

TESTDATA = Path(__file__).parent / "testdata"
IN_CLUSTER = "https://kubernetes.default.svc"


class Install:
    """One namespace with a controller and an API server (see the module doc)."""

    def __init__(self, kubectl: Kubectl, kubeconfig: Path, work: Path) -> None:
        self.kubectl = kubectl
        self.kubeconfig = kubeconfig
        self.work = work
        self.argo = ArgoNamespace(kubectl, kubeconfig, work, prefix="api")
        self.ns = self.argo.name
        self.repo = gitservers.init_worktree(work / "apps")
        for name in ("web", "stuck"):
            shutil.copytree(TESTDATA / name, self.repo / name)
        gitservers.commit_all(self.repo, "version 1")
        self.servers: list[ApiServerProcess] = []

    # -- processes -----------------------------------------------------------------------------
    def start_controller(self, *extra: str, redis: Redis | None = None) -> None:
        flags, env = _redis_flags(redis)
        self.argo.start(process=True, resync=0, extra=(*flags, *extra), env=env)

    def start_server(
        self, *extra: str, insecure: bool = True, redis: Redis | None = None
    ) -> ApiServerProcess:
        log = self.work / f"server-{len(self.servers)}.log"
        flags, env = _redis_flags(redis)
        server = ApiServerProcess(
            self.kubeconfig, self.ns, log, insecure=insecure, extra=(*flags, *extra), env=env
        )
        self.servers.append(server.start())
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        self.argo.close()

    # -- users ---------------------------------------------------------------------------------
    def secret_value(self, name: str, key: str) -> str:
        secret = self.kubectl.get_json("secret", name, "-n", self.ns)
        return base64.b64decode(secret["data"][key]).decode()

    def admin_password(self) -> str:
        return self.secret_value("argocd-initial-admin-secret", "password")

    def login(self, server: ApiServerProcess, username: str, password: str) -> str:
        with server.client() as http:
            answer = http.post("/api/v1/session", json={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["token"]
        return token

    def client(self, server: ApiServerProcess, token: str) -> httpx2.Client:
        return server.client(headers={"Authorization": f"Bearer {token}"})

    # -- apps ----------------------------------------------------------------------------------
    def app_body(self, path: str, project: str = "default", **spec: Any) -> dict[str, Any]:
        name = f"{path}-{uuid.uuid4().hex[:6]}"
        return {
            "metadata": {"name": name},
            "spec": {
                "project": project,
                "source": {"repoURL": self.repo.as_uri(), "targetRevision": "main", "path": path},
                "destination": {"server": IN_CLUSTER, "namespace": name},
                "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
                **spec,
            },
        }

    def deploy_web(self, server: ApiServerProcess) -> tuple[str, str]:
        """An automated ``web`` app created through ``server`` as admin, waited for until it
        is Synced and Healthy with its pod in the tree; (admin's token, the app's name)."""
        token = self.login(server, "admin", self.admin_password())
        body = self.app_body(
            "web", syncPolicy={"automated": {}, "syncOptions": ["CreateNamespace=true"]}
        )
        name = str(body["metadata"]["name"])
        with contextlib.closing(self.client(server, token)) as http:
            assert http.post("/api/v1/applications", json=body).status_code == 200
            wait_for("the app Synced/Healthy with its pod", lambda: _ready(http, name), 120)
        return token, name

    def add_app(self, source: Path, prefix: str) -> str:
        """A copy of the app directory ``source`` at a new path of the repository, committed
        (for one test's own app or commits); that path."""
        path = f"{prefix}-{uuid.uuid4().hex[:6]}"
        shutil.copytree(source, self.repo / path)
        gitservers.commit_all(self.repo, f"add {path}")
        return path

    def commit(self, version: int) -> str:
        settings = self.repo / "web" / "settings.yaml"
        settings.write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
            f'data: {{version: "{version}"}}\n'
        )
        return gitservers.commit_all(self.repo, f"version {version}")


def _ready(http: httpx2.Client, name: str) -> bool:
    status = http.get(f"/api/v1/applications/{name}").json().get("status") or {}
    tree = http.get(f"/api/v1/applications/{name}/resource-tree")
    return (
        (status.get("health") or {}).get("status") == "Healthy"
        and (status.get("sync") or {}).get("status") == "Synced"
        and tree.status_code == 200
        and any(n["kind"] == "Pod" for n in tree.json()["nodes"])
    )


def _redis_flags(redis: Redis | None) -> tuple[tuple[str, ...], dict[str, str]]:
    """``--redis`` and the password in ``$REDIS_PASSWORD``, as a user passes them."""
    if redis is None:
        return (), dict(os.environ)
    return ("--redis", redis.address), {**os.environ, "REDIS_PASSWORD": redis.password}


class Stream:
    """A watch stream read in a thread: every ``result`` it sent, in order."""

    def __init__(self, http: httpx2.Client, path: str, *, sse: bool = False) -> None:
        self.results: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        self.content_type = ""
        self._http, self._path, self._sse = http, path, sse
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        headers = {"Accept": "text/event-stream"} if self._sse else {}
        try:
            with self._http.stream("GET", self._path, headers=headers, timeout=None) as answer:
                self.content_type = answer.headers.get("content-type", "")
                if answer.status_code != 200:
                    answer.read()
                    self.results.append({"status": answer.status_code, "body": answer.text})
                    return
                for raw in answer.iter_lines():
                    if self._stop.is_set():
                        return
                    if self._sse and not raw.startswith("data: "):
                        continue
                    line = raw.removeprefix("data: ") if self._sse else raw
                    if line.strip():
                        self.results.append(json.loads(line)["result"])
        except httpx2.TransportError as err:  # closed by close()
            if not self._stop.is_set():
                self.error = err

    def wait(self, what: str, check: Callable[[list[dict[str, Any]]], Any], timeout: float = 90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.error is not None:
                raise AssertionError(f"the stream failed: {self.error!r}")
            found = check(list(self.results))
            if found:
                return found
            time.sleep(0.1)
        tail = json.dumps(self.results[-3:])[:3000]
        raise AssertionError(f"timed out waiting for {what}; last frames: {tail}")

    def close(self) -> None:
        self._stop.set()
        self._http.close()


@pytest.fixture(scope="session")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    """One redis-server for the session (split-mode tests)."""
    with redis_server(tmp_path_factory.mktemp("redis")) as found:
        yield found


@pytest.fixture(scope="module")
def install(
    kubectl: Kubectl, kubeconfig: Path, argocd: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Install]:
    del argocd  # the CRDs are installed
    found = Install(kubectl, kubeconfig, tmp_path_factory.mktemp("api"))
    try:
        yield found
    finally:
        found.close()
