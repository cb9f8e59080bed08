"""When ``app wait``/``sync``/``rollback`` stop waiting, table-driven from
``testdata/wait_criteria.yaml`` (argocd's ``watchOpts`` rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.cli.argocd.app.progress import Until

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "wait_criteria.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_wait_criteria(case: dict[str, Any]) -> None:
    flags = dict(case["until"])
    flags["resources"] = frozenset(tuple(r) for r in flags.get("resources", []))
    assert Until(**flags).reached(case["app"]) is case["reached"]
