"""`kapstan demo` end to end: a real local cluster, the sample-app repository and a
`kapstan server --with-controller` child process; every app becomes Synced and Healthy, the
API it prints answers with the password it prints, and the demo leaves no process behind,
whether it exits by itself (--exit-when-ready) or is sent SIGTERM.

The demo runs as the real console script with the environment of the test run, so it uses the
toolchain the session fixture checked (KAPSTAN_CACHE, if set, is inherited): it never builds.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

import httpx2
import pytest

from kapstan.demo.repo import APPS
from kapstan.localcluster import Toolchain
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import CommandError, processes_mentioning, run, spawn, stop

pytestmark = pytest.mark.cluster

KAPSTAN = str(Path(sys.executable).parent / "kapstan")


def _controller_log(workdir: Path) -> str:
    log = workdir / "logs" / "server.log"
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return "\n".join(["--- controller log (tail)", *lines[-40:]])


def _wait_gone(fragment: str, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := processes_mentioning(fragment)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_demo_exit_when_ready(tmp_path: Path, toolchain: Toolchain) -> None:
    workdir = tmp_path / "demo"
    log = tmp_path / "demo.log"
    argv = [KAPSTAN, "demo", "--workdir", str(workdir), "--exit-when-ready", "--timeout", "150"]
    started = time.monotonic()
    try:
        output = run(argv, log=log, env=dict(os.environ), timeout=200)
    except CommandError as e:
        pytest.fail(f"{e}\n{e.output}\n{_controller_log(workdir)}")
    assert time.monotonic() - started < 180
    assert f"all {len(APPS)} apps are Synced and Healthy" in output
    for name in APPS:
        assert name in output
    assert "server stopped" in (workdir / "logs" / "server.log").read_text()
    assert "web UI and API (Argo CD's /api/v1) on http://127.0.0.1:" in output + log.read_text()
    assert (workdir / "repo" / ".git").is_dir()  # kept for inspection
    assert _wait_gone(str(tmp_path)) == []


def test_demo_stops_everything_on_sigterm(tmp_path: Path, toolchain: Toolchain) -> None:
    workdir = tmp_path / "demo"
    log = tmp_path / "demo.log"
    handle = spawn(
        "kapstan-demo",
        [KAPSTAN, "demo", "--workdir", str(workdir)],
        log=log,
        env=dict(os.environ),
        die_with_parent=True,
    )
    try:
        deadline = time.monotonic() + 180
        while "Press Ctrl-C" not in log.read_text(errors="replace"):
            assert handle.alive(), f"demo exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"{log.read_text()}\n{_controller_log(workdir)}"
            time.sleep(0.5)
        text = log.read_text()
        assert f"git -C {workdir / 'repo'} commit" in text
        assert "-n demo-guestbook scale deployment guestbook-ui --replicas 5" in text
        # The apps are really there while the demo runs.
        kubectl = Kubectl(workdir / "kubeconfig", toolchain)
        deployment = kubectl.get_json("deployment", "guestbook-ui", "-n", "demo-guestbook")
        assert deployment["status"].get("readyReplicas") == 1
        # ...and the API the demo printed answers with the password it printed.
        printed = r"web UI and API \(Argo CD's /api/v1\) on (\S+): log in as admin / (\S+)"
        found = re.search(printed, text)
        assert found, text
        url, password = found.groups()
        with httpx2.Client(base_url=url, timeout=10) as http:
            # ...and the UI it names is served there (the built bundle, not the API's 404).
            ui = http.get("/applications", headers={"accept": "text/html"})
            assert ui.status_code == 200, ui.text
            assert "text/html" in ui.headers["content-type"]
            login = http.post("/api/v1/session", json={"username": "admin", "password": password})
            assert login.status_code == 200, login.text
            token = login.json()["token"]
            listed = http.get(
                "/api/v1/applications", headers={"Authorization": f"Bearer {token}"}
            ).json()["items"]
        assert {a["metadata"]["name"] for a in listed} >= set(APPS)
        os.kill(handle.pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while handle.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not handle.alive(), "the demo did not exit on SIGTERM"
    finally:
        stop(handle)  # reaps it (and kills it if the test failed before SIGTERM)
    assert "stopped; the repository and logs stay in" in log.read_text()
    assert _wait_gone(str(tmp_path)) == []
