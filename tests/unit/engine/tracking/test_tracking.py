"""Table-driven tests of resource tracking: which app an object names (testdata/app_of.yaml)
and what a sync writes on it (testdata/stamp.yaml), for each of Argo CD's three methods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.tracking import Tracking, parse_tracking_id
from kapstan.model.application import TrackingMethod

DATA = Path(__file__).parent / "testdata"
APP_OF = yaml.safe_load((DATA / "app_of.yaml").read_text())
STAMP = yaml.safe_load((DATA / "stamp.yaml").read_text())


def _tracking(case: dict[str, Any]) -> Tracking:
    return Tracking(
        TrackingMethod(case["method"]), case.get("label_key", "app.kubernetes.io/instance")
    )


@pytest.mark.parametrize("case", APP_OF, ids=[c["name"] for c in APP_OF])
def test_app_of(case: dict[str, Any]) -> None:
    assert _tracking(case).app_of(case["obj"]) == case["want"]


@pytest.mark.parametrize("case", STAMP, ids=[c["name"] for c in STAMP])
def test_stamp(case: dict[str, Any]) -> None:
    tracking = _tracking(case)
    stamped = tracking.stamp(case["app"], case["obj"])
    assert stamped["metadata"] == case["want"]
    assert case["obj"]["metadata"] != stamped["metadata"] or not case["app"]  # a copy
    if case["app"]:
        # What a sync writes is recognised as the app's own by the same method.
        assert tracking.is_managed(case["app"], stamped)


@pytest.mark.parametrize("method", list(TrackingMethod))
def test_owned_objects_are_never_top_level(method: TrackingMethod) -> None:
    tracking = Tracking(method)
    pod = tracking.stamp("web", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}})
    assert tracking.is_managed("web", pod)
    pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "rs", "uid": "1"}]
    assert not tracking.is_managed("web", pod)
    assert not tracking.is_managed("", pod)


def test_parse_tracking_id() -> None:
    tid = parse_tracking_id("app:apps/Deployment:ns/web")
    assert tid is not None
    assert (tid.app, tid.group, tid.kind, tid.namespace, tid.name) == (
        "app",
        "apps",
        "Deployment",
        "ns",
        "web",
    )
    assert parse_tracking_id("app:Deployment:ns/web") is None
    assert parse_tracking_id(":apps/Deployment:ns/web") is None
