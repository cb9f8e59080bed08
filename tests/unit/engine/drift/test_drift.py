"""Drift forensics, table-driven: one YAML file per case under ``testdata/``.

Each file holds ``live`` (an object with managedFields shaped as kube-apiserver writes
them), the drifted ``paths`` and the ``expected`` records as ``to_dict()`` renders them;
optionally the ``description`` line that :func:`describe` must produce.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.drift import DriftRecord, describe, dotted_path, drift_records, drifted_paths

TESTDATA = Path(__file__).parent / "testdata"
CASES = sorted(TESTDATA.glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict)
    return doc


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 12


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    doc = _load(path)
    records = drift_records(doc["live"], doc["paths"])
    assert [r.to_dict() for r in records] == doc["expected"]
    if "description" in doc:
        assert describe(records) == doc["description"]


def test_own_managers_are_configurable() -> None:
    live = _load(TESTDATA / "shared-ownership-latest-wins.yaml")["live"]
    records = drift_records(live, ["/spec/replicas"], own_managers={"capacity-planner"})
    assert [r.manager for r in records] == ["platform-bot"]
    # With no own managers kapstan's Apply entry is a candidate too (the oldest, though).
    records = drift_records(live, ["/spec/replicas"], own_managers=())
    assert [r.manager for r in records] == ["capacity-planner"]
    records = drift_records(
        live, ["/spec/replicas"], own_managers={"capacity-planner", "platform-bot"}
    )
    assert [r.manager for r in records] == ["kapstan-controller"]


def test_only_own_managers_left_gives_nothing() -> None:
    live = _load(TESTDATA / "shared-ownership-latest-wins.yaml")["live"]
    own = {"kapstan-controller", "capacity-planner", "platform-bot"}
    assert drift_records(live, ["/spec/replicas"], own_managers=own) == ()


def test_drifted_paths_from_a_resource_diff_patch() -> None:
    patch = [
        {"op": "replace", "path": "/spec/replicas", "value": 2},
        {"op": "remove", "path": "/metadata/labels/app.kubernetes.io~1name"},
        {"op": "replace", "path": "/spec/replicas", "value": 2},
        {"op": "add", "path": "", "value": {}},
        {"op": "test", "value": 1},
    ]
    assert drifted_paths(patch) == ["/spec/replicas", "/metadata/labels/app.kubernetes.io~1name"]
    assert drifted_paths([]) == []


def test_to_dict_omits_empty_values() -> None:
    assert DriftRecord("/spec/replicas", "kubectl", "Update", "", "scale").to_dict() == {
        "path": "/spec/replicas",
        "manager": "kubectl",
        "operation": "Update",
        "subresource": "scale",
    }


@pytest.mark.parametrize(
    ("pointer", "dotted"),
    [
        ("/spec/replicas", "spec.replicas"),
        (
            "/spec/template/spec/containers/0/env/1/value",
            "spec.template.spec.containers[0].env[1].value",
        ),
        ("/metadata/labels/app.kubernetes.io~1name", "metadata.labels[app.kubernetes.io/name]"),
        ("/metadata/annotations/a~0b", "metadata.annotations.a~b"),
    ],
)
def test_dotted_path(pointer: str, dotted: str) -> None:
    assert dotted_path(pointer) == dotted


def test_describe_joins_records() -> None:
    records = [
        DriftRecord("/spec/replicas", "kubectl", "Update", "", "scale"),
        DriftRecord("/spec/template/spec/containers/0/image", "kubectl-set", "Update", "T"),
    ]
    assert describe(records) == (
        "spec.replicas changed by kubectl (Update, scale subresource); "
        "spec.template.spec.containers[0].image changed by kubectl-set (Update) at T"
    )
    assert describe([]) == ""
