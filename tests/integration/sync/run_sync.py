"""Run one sync of a fixture app in a process of its own, so that a test can SIGKILL it.

Usage: ``python -m tests.integration.sync.run_sync KUBECONFIG APP_DIR NAMESPACE STATE EVENTS``

The plan is built from the ``*.yaml`` files of ``APP_DIR`` (namespaced into ``NAMESPACE``)
against the live cluster; the operation state is kept in ``STATE`` (a :class:`JsonFileStore`,
so a second run resumes it) and every runner event is appended to ``EVENTS`` as one JSON
line, flushed as it happens. Exits 0 when the operation ends Succeeded, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

from kapstan.controller.sync import Event, SyncRunner
from kapstan.engine.sync.plan import build_plan
from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.model.sync import OperationPhase
from kapstan.testing.stores import JsonFileStore

from .helpers import CLUSTER_SCOPED, live_of


class EventLog(list[Event]):
    """The runner's event list, also writing each event to a file the moment it is added."""

    def __init__(self, out: IO[bytes]) -> None:
        super().__init__()
        self.out = out

    def append(self, event: Event) -> None:
        super().append(event)
        record = {**dataclasses.asdict(event), "pid": os.getpid()}
        self.out.write(orjson.dumps(record) + b"\n")
        self.out.flush()
        os.fsync(self.out.fileno())


def load_app(app_dir: Path, namespace: str) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    for path in sorted(app_dir.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                if doc["kind"] not in CLUSTER_SCOPED:
                    doc["metadata"]["namespace"] = namespace
                objs.append(doc)
    return objs


async def main(kubeconfig: Path, app_dir: Path, namespace: str, state: Path, events: Path) -> int:
    desired = load_app(app_dir, namespace)
    async with KubeClient(load_kubeconfig(kubeconfig)) as kube:
        plan = build_plan(desired, await live_of(kube, desired))
        with events.open("ab") as out:
            runner = SyncRunner(kube, plan, JsonFileStore(state), poll=0.5)
            runner.events = EventLog(out)
            final = await asyncio.wait_for(runner.run(), 120)
    print(f"pid {os.getpid()}: {final.phase} {final.message}", flush=True)
    return 0 if final.phase is OperationPhase.SUCCEEDED else 1


if __name__ == "__main__":
    kubeconfig, app_dir, namespace, state, events = sys.argv[1:6]
    sys.exit(
        asyncio.run(main(Path(kubeconfig), Path(app_dir), namespace, Path(state), Path(events)))
    )
