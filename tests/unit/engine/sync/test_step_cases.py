"""Table-driven step-machine tests: one ``testdata/step-<case>.yaml`` per case.

``plan`` holds the same inputs as a plan case. Each entry of ``steps`` may ``observe``
facts (merged into the observations seen so far; keys are ``Phase/Kind/name`` or ``*`` for
every task), ``terminate``, or ``restart`` (forget earlier observations, as a restarted
controller would), and ``expect`` the step kind, its tasks and the operation phase. The
state is saved to JSON and loaded back before every call. ``results`` are the final
``syncResult.resources[]`` as ``Phase/Kind/name Status [hookPhase]``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.sync.operation import (
    HookOutcome,
    Observations,
    StepKind,
    TaskObservation,
    next_step,
)
from kapstan.engine.sync.state import OperationState
from kapstan.engine.sync.tasks import SyncTask

from .test_plan_cases import plan_from

TESTDATA = Path(__file__).parent / "testdata"
CASES = sorted(TESTDATA.glob("step-*.yaml"))


def ref(task: SyncTask) -> str:
    return f"{task.phase}/{task.kind}/{task.name}"


def observation(data: dict[str, Any]) -> TaskObservation:
    hook = data.get("hook")
    return TaskObservation(
        dry_run=data.get("dryRun"),
        applied=data.get("applied"),
        healthy=data.get("healthy"),
        hook=None if hook is None else HookOutcome(hook),
        message=data.get("message", ""),
    )


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_step_case(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    plan = plan_from(doc["plan"])
    by_ref = {ref(t): t for t in plan.tasks}
    facts: dict[str, dict[str, Any]] = {}
    state = OperationState()
    for number, entry in enumerate(doc["steps"]):
        if entry.get("restart"):
            facts = {}
        for key, data in (entry.get("observe") or {}).items():
            targets = list(by_ref) if key == "*" else [key]
            for target in targets:
                facts.setdefault(by_ref[target].id, {}).update(data)
        state = OperationState.from_dict(json.loads(json.dumps(state.to_dict())))
        observations = Observations(
            tasks={k: observation(v) for k, v in facts.items()},
            terminate=bool(entry.get("terminate")),
        )
        step = next_step(plan, state, observations)
        expect = entry["expect"]
        where = f"step {number}"
        assert step.kind == StepKind(expect["step"]), where
        assert [ref(t) for t in step.tasks] == expect.get("tasks", []), where
        assert step.state.phase == expect.get("phase", "Running"), where
        if "message" in expect:
            assert expect["message"] in step.state.message, where
        state = step.state
    if "results" in doc:
        got = [
            f"{r.sync_phase}/{r.kind}/{r.name} {r.status}"
            + (f" {r.hook_phase}" if r.hook_phase else "")
            for r in state.resources
        ]
        assert sorted(got) == sorted(doc["results"])
    assert state.phase.completed or doc.get("unfinished"), "a case should reach the end"
