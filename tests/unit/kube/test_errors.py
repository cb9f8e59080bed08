"""Mapping of API Status answers to exception classes (table-driven from testdata/errors.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.kube import errors

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "errors.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_error_mapping(case: dict[str, Any]) -> None:
    err = errors.from_status(case["code"], case["status"], verb="get", path="/api/v1/x")
    expect = case["expect"]
    assert type(err).__name__ == expect["cls"]
    assert isinstance(err, errors.KubeError)
    assert err.code == case["code"]
    if "reason" in expect:
        assert err.reason == expect["reason"]
    for fragment in expect.get("contains", []):
        assert fragment in str(err)
    if "fields" in expect:
        assert isinstance(err, errors.Invalid)
        assert list(err.fields) == expect["fields"]
    if "causes" in expect:
        assert len(err.causes) == expect["causes"]
