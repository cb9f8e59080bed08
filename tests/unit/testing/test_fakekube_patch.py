"""PATCH formats against FakeKube, table-driven (testdata/patches.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.kube.apply import JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH
from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import Discovery
from kapstan.kube.errors import KubeError
from kapstan.testing import FakeKube
from tests.unit.testing.helpers import run

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "patches.yaml").read_text())
TYPES = {"merge": MERGE_PATCH, "json": JSON_PATCH, "strategic": STRATEGIC_PATCH}


def assert_partial(want: Any, got: Any, where: str = "") -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{where}: {got!r}"
        for k, v in want.items():
            assert k in got, f"{where}.{k} missing"
            assert_partial(v, got[k], f"{where}.{k}")
    else:
        assert want == got, f"{where}: {got!r} != {want!r}"


def absent(obj: dict[str, Any], dotted: str) -> bool:
    node: Any = obj
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return True
        node = node[part]
    return False


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_patch(case: dict[str, Any]) -> None:
    fake = FakeKube()
    fake.register("example.com", "v1", "Widget", "widgets")
    seeded = fake.put(case["object"])

    async def body(kube: KubeClient) -> dict[str, Any]:
        info = await Discovery(kube).for_object(seeded)
        path = info.path("default", seeded["metadata"]["name"])
        return await kube.request("PATCH", path, None, case["patch"], TYPES[case["type"]])

    if "code" in case:
        with pytest.raises(KubeError) as err:
            run(fake, body)
        assert err.value.code == case["code"]
        stored = fake.get_object(seeded["kind"], seeded["metadata"]["name"], "default")
        assert stored == seeded  # a failed patch changes nothing
        return
    after = run(fake, body)
    assert_partial(case["expect"], after)
    for dotted in case.get("absent", []):
        assert absent(after, dotted), dotted
    assert int(after["metadata"]["resourceVersion"]) > int(seeded["metadata"]["resourceVersion"])
