"""gitops-engine's HideSecretData for the API's single-object views (testdata/hide.yaml)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.redact import hide_secret_data, sensitive_annotations

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "hide.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hide(case: dict[str, Any]) -> None:
    target, live = case.get("target"), case.get("live")
    before = copy.deepcopy((target, live))
    got = hide_secret_data(target, live, case.get("hidden", ()))
    assert list(got) == case["want"]
    assert (target, live) == before  # inputs are never changed


def test_sensitive_annotations_setting() -> None:
    cm = {"resource.sensitive.mask.annotations": " a/b , c ,,"}
    assert sensitive_annotations(cm) == frozenset({"a/b", "c"})
    assert sensitive_annotations({}) == frozenset()
