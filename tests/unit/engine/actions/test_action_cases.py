"""Resource actions, table-driven: what discovery offers (testdata/discover.yaml) and what
running one changes (testdata/run.yaml), built-ins and argocd-cm customizations."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine import actions
from kapstan.engine.actions import ActionError, ActionsConfig, Operation, create_merge_patch

DATA = Path(__file__).parent / "testdata"
RUN = yaml.safe_load((DATA / "run.yaml").read_text())
DISCOVER = yaml.safe_load((DATA / "discover.yaml").read_text())
NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("case", DISCOVER, ids=[c["name"] for c in DISCOVER])
def test_discover(case: dict[str, Any]) -> None:
    config = ActionsConfig.from_argocd_cm(case.get("cm") or {})
    if "error" in case:
        with pytest.raises(ActionError, match=case["error"]):
            actions.discover(case["obj"], config, NOW)
        return
    found = actions.discover(case["obj"], config, NOW)
    assert [a.to_dict() for a in found] == case["want"]


@pytest.mark.parametrize("case", RUN, ids=[c["name"] for c in RUN])
def test_run(case: dict[str, Any]) -> None:
    obj = case["obj"]
    before = copy.deepcopy(obj)
    config = ActionsConfig.from_argocd_cm(case.get("cm") or {})
    if "error" in case:
        with pytest.raises(ActionError) as err:
            actions.run(obj, case["action"], case.get("params") or {}, config, NOW)
        assert case["error"] in str(err.value)
        return
    impacted = actions.run(obj, case["action"], case.get("params") or {}, config, NOW)
    assert obj == before  # the input is never changed
    patched = [i.obj for i in impacted if i.operation is Operation.PATCH]
    created = [i.obj for i in impacted if i.operation is Operation.CREATE]
    assert created == case.get("created", [])
    if "patch" in case:
        assert len(patched) == 1
        assert create_merge_patch(obj, patched[0]) == case["patch"]
    else:
        assert patched == []
