"""Issue 6: a sync process SIGKILLed during wave 2 is resumed from its saved state by a new
process, which finishes the sync without re-running hooks or re-applying finished waves."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from kapstan.kube.client import KubeClient
from kapstan.localcluster.process import ProcessHandle, spawn, stop
from kapstan.model.sync import OperationPhase
from kapstan.testing.stores import JsonFileStore

from .helpers import TESTDATA, get, load, with_client

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 120.0


def _events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_bytes().splitlines()
    return [orjson.loads(line) for line in lines if line.strip()]


def _start(name: str, argv: list[str], log: Path) -> ProcessHandle:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return spawn(name, argv, log=log, env=env, cwd=ROOT, die_with_parent=True)


def _exit_code(handle: ProcessHandle, timeout: float, log: Path) -> int:
    """Wait for our child ``handle`` to end and return its exit code (-N for signal N)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status = os.waitpid(handle.pid, os.WNOHANG)
        if pid:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    pytest.fail(f"{handle.name} still running after {timeout:.0f}s:\n{log.read_text()}")


def test_sigkill_during_wave_2_then_resume_runs_each_hook_once(
    kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    event_log = tmp_path / "events.jsonl"
    log = tmp_path / "run_sync.log"
    argv = [
        sys.executable,
        "-m",
        "tests.integration.sync.run_sync",
        str(kubeconfig),
        str(TESTDATA / "killresume"),
        namespace,
        str(state_file),
        str(event_log),
    ]
    handles: list[ProcessHandle] = []
    try:
        first = _start("sync-1", argv, log)
        handles.append(first)
        deadline = time.monotonic() + TIMEOUT
        while not any(e["verb"] == "apply" and e["wave"] == 2 for e in _events(event_log)):
            assert first.alive(), f"first run ended before wave 2:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"no wave-2 apply:\n{log.read_text()}"
            time.sleep(0.02)
        os.killpg(first.pid, signal.SIGKILL)
        assert _exit_code(first, 10, log) == -signal.SIGKILL
        first_events = _events(event_log)
        # the kill landed during wave 2: wave 3 and the PostSync hook never started
        assert not any(e["wave"] == 3 or e["name"] == "smoke" for e in first_events)
        saved = JsonFileStore(state_file).load()
        assert saved is not None
        assert saved.phase is OperationPhase.RUNNING

        second = _start("sync-2", argv, log)
        handles.append(second)
        assert _exit_code(second, TIMEOUT, log) == 0, log.read_text()
    finally:
        for handle in handles:
            if handle.alive():
                os.killpg(handle.pid, signal.SIGKILL)
            stop(handle, grace=1)

    final = JsonFileStore(state_file).load()
    assert final is not None
    assert final.phase is OperationPhase.SUCCEEDED, final.message
    events = _events(event_log)
    assert all(e["ok"] for e in events), events
    assert {e["pid"] for e in first_events} == {first.pid}
    later = events[len(first_events) :]
    assert {e["pid"] for e in later} == {second.pid}

    creations: dict[str, list[tuple[int, str]]] = {}
    for e in events:
        if e["verb"] == "create-hook":
            creations.setdefault(e["name"], []).append((e["pid"], e["uid"]))
    # each hook Job created exactly once across both processes, by the expected one
    assert {n: [p for p, _ in c] for n, c in creations.items()} == {
        "migrate": [first.pid],
        "smoke": [second.pid],
    }
    first_applies = {e["name"] for e in first_events if e["verb"] == "apply"}
    second_applies = {e["name"] for e in later if e["verb"] == "apply"}
    assert first_applies == {"db", "cache", "api"}
    assert not second_applies & {"db", "cache"}  # wave 1 not re-applied after the resume
    assert "web" in second_applies
    assert second_applies <= {"api", "web"}

    desired = {o["metadata"]["name"]: o for o in load("killresume", namespace)}

    async def body(kube: KubeClient) -> None:
        for name, made in creations.items():
            live = await get(kube, desired[name])
            assert live is not None, name
            assert [live["metadata"]["uid"]] == [uid for _, uid in made]
            assert live["status"].get("succeeded") == 1, live["status"]
        for name in ("db", "cache", "api", "web"):
            live = await get(kube, desired[name])
            assert live is not None, name
            assert live["status"].get("availableReplicas") == 1, (name, live["status"])

    with_client(kubeconfig, body)
