"""Table-driven automated-sync tests: one ``testdata/autosync-<case>.yaml`` per case.

Each file holds ``app`` (the Application: ``spec.syncPolicy``, optional ``operation`` and
``status.operationState``), ``status`` (the freshly computed refresh status), ``now`` (an
ISO timestamp), ``selfHealAttempts`` and ``expect``:

- ``operation``: the operation to start, or ``null`` for none;
- ``wait``: seconds to wait before asking again (compared with a small tolerance; 0 if absent);
- ``refusal``: the SyncError message (empty if absent);
- ``selfHeal``: whether the operation is a self-heal attempt (false if absent).

A case may carry ``xfail: "reason"`` when :func:`decide` disagrees with Argo CD: the case
must then fail (strictly; an unexpected pass is an error).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.sync.autosync import (
    NOTHING,
    SELF_HEAL_CAP,
    WIPE_OUT,
    Decision,
    decide,
    self_heal_delay,
)

TESTDATA = Path(__file__).parent / "testdata"
CASES = sorted(TESTDATA.glob("autosync-*.yaml"))
TOLERANCE = 0.01


def parse_now(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def decide_case(doc: dict[str, Any]) -> Decision:
    return decide(
        doc["app"],
        doc.get("status") or {},
        now=parse_now(doc["now"]),
        self_heal_attempts=int(doc.get("selfHealAttempts") or 0),
    )


def check(doc: dict[str, Any], decision: Decision) -> None:
    expect = doc["expect"]
    expected_operation = expect.get("operation")
    got_operation = None if decision.operation is None else dict(decision.operation)
    assert got_operation == expected_operation
    assert decision.wait == pytest.approx(float(expect.get("wait") or 0), abs=TOLERANCE)
    assert decision.refusal == (expect.get("refusal") or "")
    assert decision.self_heal is bool(expect.get("selfHeal"))


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 18


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_autosync_case(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    reason = doc.get("xfail")
    decision = decide_case(doc)
    try:
        check(doc, decision)
    except AssertionError:
        if reason:
            pytest.xfail(reason)
        raise
    if reason:
        pytest.fail(f"[XPASS(strict)] {path.name}: {reason}")


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_decide_does_not_mutate_inputs(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    before = yaml.safe_load(path.read_text())
    decision = decide_case(doc)
    assert doc == before
    if decision.operation is not None:
        # The operation is a fresh document: changing it leaves the app spec alone.
        sync_op = decision.operation["sync"]
        if "syncOptions" in sync_op:
            sync_op["syncOptions"].append("Extra=true")
            assert doc == before


def test_outcomes_are_exclusive() -> None:
    for path in CASES:
        doc = yaml.safe_load(path.read_text())
        decision = decide_case(doc)
        outcomes = [decision.operation is not None, decision.wait > 0, bool(decision.refusal)]
        assert sum(outcomes) <= 1, path.name
        if not any(outcomes):
            assert decision == NOTHING, path.name


def test_refusal_message_constant() -> None:
    assert WIPE_OUT == "auto-sync will wipe out all resources"


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [(-1, 2.0), (0, 2.0), (1, 6.0), (2, 18.0), (4, 162.0), (5, 300.0), (50, SELF_HEAL_CAP)],
)
def test_self_heal_delay(attempts: int, expected: float) -> None:
    assert self_heal_delay(attempts) == pytest.approx(expected)
