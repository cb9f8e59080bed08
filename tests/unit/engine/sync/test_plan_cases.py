"""Table-driven sync planning tests: one ``testdata/plan-<case>.yaml`` per case.

Each file holds ``desired`` and ``live`` manifests, optional planning inputs (``statuses``,
``appOptions``, ``resources``, ``prune``, ``dryRun``, ``allowEmpty``,
``destinationNamespace``, ``namespaceExists``, ``shared``, ``deletionApproved``) and either
``expected`` (the ordered compact task strings) or ``error`` (a substring of the PlanError).
Resource keys are written ``group/kind/namespace/name``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.sync.plan import PlanError, build_plan, waves
from kapstan.model.keys import ResourceKey
from kapstan.model.status import SyncStatusCode

TESTDATA = Path(__file__).parent / "testdata"
CASES = sorted(TESTDATA.glob("plan-*.yaml"))


def parse_key(text: str) -> ResourceKey:
    group, kind, namespace, name = text.split("/")
    return ResourceKey(group, kind, namespace, name)


def plan_from(doc: dict[str, Any]) -> Any:
    resources = doc.get("resources")
    return build_plan(
        doc.get("desired") or [],
        doc.get("live") or [],
        statuses={parse_key(k): SyncStatusCode(v) for k, v in (doc.get("statuses") or {}).items()},
        app_options=doc.get("appOptions") or [],
        resources=None if resources is None else {parse_key(k) for k in resources},
        prune=bool(doc.get("prune")),
        dry_run=bool(doc.get("dryRun")),
        allow_empty=bool(doc.get("allowEmpty")),
        destination_namespace=doc.get("destinationNamespace") or "",
        namespace_exists=bool(doc.get("namespaceExists")),
        shared={parse_key(k): v for k, v in (doc.get("shared") or {}).items()},
        deletion_approved=bool(doc.get("deletionApproved")),
    )


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_plan_case(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    if "error" in doc:
        with pytest.raises(PlanError, match=doc["error"]):
            plan_from(doc)
        return
    plan = plan_from(doc)
    assert plan.compact() == doc["expected"]
    assert plan.dry_run is bool(doc.get("dryRun"))
    if "waves" in doc:
        got = [f"{phase}/{wave}:{len(tasks)}" for phase, wave, tasks in waves(plan)]
        assert got == doc["waves"]


def test_waves_accept_plain_sequences() -> None:
    plan = build_plan(
        [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}},
        ],
        [],
    )
    assert waves(plan.tasks) == waves(plan)
    assert len(waves(plan)) == 1
