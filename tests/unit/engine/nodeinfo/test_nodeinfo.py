"""Tree nodes carry Argo CD's ``info`` and ``networkingInfo`` (the UI's pods and network views
and node summaries read them): table cases in ``testdata.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.nodeinfo import node_info
from kapstan.engine.snapshot import resource_tree

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "testdata.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_node_info(case: dict[str, Any]) -> None:
    assert node_info(case["object"]) == case["expected"]


def test_the_resource_tree_carries_them() -> None:
    pod = next(c["object"] for c in CASES if c["object"]["kind"] == "Pod")
    (node,) = resource_tree([pod])["nodes"]
    assert {"name": "Node", "value": "kwok-node-0"} in node["info"]
    assert node["networkingInfo"] == {"labels": {"app": "web"}}
