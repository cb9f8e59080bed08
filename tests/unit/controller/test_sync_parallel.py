"""The writes of one sync step run in parallel (as gitops-engine runs a wave's tasks), with
Namespaces applied before the objects that live in them; the server-side dry runs before
them are only sent when asked for."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kapstan.controller.sync import SyncRunner
from kapstan.engine.sync.plan import build_plan
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig
from kapstan.model.sync import OperationPhase
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.stores import JsonFileStore


class _Counting(httpx2.AsyncBaseTransport):
    """The fake's transport, noting the writes in flight at once and their order."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.in_flight = 0
        self.most = 0
        self.writes: list[tuple[str, bool]] = []  # (path, dry run)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        write = request.method == "PATCH"
        if write:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            if write:
                self.in_flight -= 1
                self.writes.append((request.url.path, "dryRun" in request.url.params))


def _objects() -> list[dict[str, Any]]:
    ns: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    maps = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"cm-{i}", "namespace": "team"},
            "data": {"i": str(i)},
        }
        for i in range(6)
    ]
    return [*maps, ns]


def _run(
    tmp_path: Path, parallelism: int, *, server_dry_run: bool = False
) -> tuple[OperationPhase, _Counting]:
    fake = FakeKube(latency=0.02)
    counting = _Counting(fake.transport())

    async def body() -> OperationPhase:
        config = ClusterConfig(server="https://fake.invalid", name="fake")
        async with KubeClient(config, qps=0.0, transport=counting) as kube:
            plan = build_plan(_objects(), [])
            store = JsonFileStore(tmp_path / f"state-{parallelism}.json")
            runner = SyncRunner(
                kube, plan, store, poll=0.05, parallelism=parallelism, server_dry_run=server_dry_run
            )
            state = await asyncio.wait_for(runner.run(), 30)
            return state.phase

    return asyncio.run(body()), counting


def test_a_steps_writes_overlap_and_the_namespace_goes_first(tmp_path: Path) -> None:
    phase, seen = _run(tmp_path, parallelism=8)
    assert phase is OperationPhase.SUCCEEDED
    assert seen.most >= 3  # the ConfigMaps' dry runs and applies were in flight together
    applies = [path for path, dry in seen.writes if not dry]
    assert applies[0].endswith("/namespaces/team")
    assert len(applies) == 7


def test_parallelism_one_writes_one_at_a_time(tmp_path: Path) -> None:
    phase, seen = _run(tmp_path, parallelism=1)
    assert phase is OperationPhase.SUCCEEDED
    assert seen.most == 1


@pytest.mark.parametrize(("server_dry_run", "dry_runs"), [(False, 0), (True, 7)])
def test_server_dry_runs_only_when_asked(
    tmp_path: Path, server_dry_run: bool, dry_runs: int
) -> None:
    phase, seen = _run(tmp_path, parallelism=8, server_dry_run=server_dry_run)
    assert phase is OperationPhase.SUCCEEDED
    assert sum(dry for _, dry in seen.writes) == dry_runs
    assert sum(not dry for _, dry in seen.writes) == 7
