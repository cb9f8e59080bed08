"""Typed Application views, table-driven from testdata/views.yaml: what code reads from a raw
Application, and that no malformed object makes a view raise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.model.application import Application

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "views.yaml").read_text())


def read(raw: dict[str, Any]) -> dict[str, Any]:
    app = Application.of(raw)
    spec, status, op = app.spec, app.status, app.operation
    auto = spec.sync_policy.automated
    source = spec.source
    state = status.operation_state
    return {
        "name": app.name,
        "refresh": app.refresh_requested.value if app.refresh_requested else None,
        "compareOptions": app.compare_options,
        "project": spec.project,
        "repo": source.repo_url if source else None,
        "autoSync": spec.sync_policy.auto_sync,
        "prune": auto.prune if auto else None,
        "selfHeal": auto.self_heal if auto else None,
        "syncOptions": list(spec.sync_policy.sync_options),
        "historyLimit": spec.revision_history_limit,
        "operationRevision": op.sync.revision if op else None,
        "operationAutomated": op.automated if op else None,
        "selected": [str(k) for k in op.sync.resources] if op else [],
        "syncStatus": status.sync_status.value if status.sync_status else None,
        "healthStatus": status.health_status.value if status.health_status else None,
        "phase": state.phase.value if state.phase else None,
        "started": state.started,
        "conditions": [c.type for c in status.conditions],
        "conditionErrors": [c.is_error for c in status.conditions],
    }


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_view(case: dict[str, Any]) -> None:
    got = read(case["app"])
    for key, want in case["want"].items():
        assert got[key] == want, key
