"""Label selectors, table-driven from ``testdata/label_selectors.yaml``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.model.labels import SelectorError, label_matcher

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "label_selectors.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["selector"] or "empty" for c in CASES])
def test_selector(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(SelectorError, match=re.escape(case["error"])):
            label_matcher(case["selector"])
        return
    assert label_matcher(case["selector"])(case["labels"]) is case["match"]
