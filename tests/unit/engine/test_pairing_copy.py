"""``with_namespace`` hands out copies: the reconciler keeps rendered manifests between polls,
and a caller that stamps labels or fills defaults on its copy must not change them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kapstan.engine.pairing import with_namespace

RENDERED: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 0,
        "template": {"spec": {"containers": [{"name": "web", "ports": [{"port": 80}]}]}},
        "odd": {1.5, 2.5},  # not JSON: still copied, never shared
    },
}


def _namespaced(group: str, kind: str) -> bool:
    return True


@pytest.mark.parametrize(
    ("path", "change"),
    [
        (("metadata", "labels"), lambda d: d.update(stamped="yes")),
        (("spec", "template", "spec", "containers"), lambda d: d.append({"name": "sidecar"})),
        (("spec", "template", "spec", "containers", 0, "ports", 0), lambda d: d.update(port=1)),
        (("spec", "odd"), lambda d: d.add(9.5)),
    ],
)
def test_changing_the_copy_leaves_the_rendered_object_alone(
    path: tuple[str | int, ...], change: Any
) -> None:
    before = copy.deepcopy(RENDERED)
    placed = with_namespace(RENDERED, "team-a", _namespaced)
    part: Any = placed
    for step in path:
        part = part[step]
    change(part)
    assert before == RENDERED
    assert placed["metadata"]["namespace"] == "team-a"
    assert "namespace" not in RENDERED["metadata"]
