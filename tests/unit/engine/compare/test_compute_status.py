"""compute_status, table-driven: each testdata/status-*.yaml holds an Application, the
generated manifests (or a render error), the live objects and the expected ``status`` subset;
``tracking`` (optional) names the tracking method (default ``annotation``).

Live objects are marked as the app's by that method unless they carry a tracking annotation
or ``untracked: true``. ``expected`` is matched as a subset (dicts: listed keys; lists: same
length, element-wise subset); ``absent`` lists dotted paths that must not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.compare import CompareSettings, compute_status
from kapstan.engine.summary import external_urls_of, images_of
from kapstan.engine.tracking import Tracking
from kapstan.model.application import TrackingMethod
from kapstan.model.vocabulary import TRACKING_ID


@dataclass(frozen=True)
class Target:
    """Generated manifests as the manifest generator returns them (the TargetState protocol)."""

    objects: list[dict[str, Any]]
    revisions: tuple[str, ...]
    source_types: tuple[str, ...]


def with_tracking(app: str, obj: dict[str, Any]) -> dict[str, Any]:
    return Tracking().stamp(app, obj)


TESTDATA = Path(__file__).parent / "testdata"
CASES = sorted(TESTDATA.glob("status-*.yaml"))
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}


def is_namespaced(group: str, kind: str) -> bool | None:
    return kind not in CLUSTER_SCOPED


def assert_subset(actual: Any, expected: Any, path: str = "status") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected a mapping, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} missing in {actual!r}"
            assert_subset(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        assert len(actual) == len(expected), f"{path}: {actual!r} != {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_subset(a, e, f"{path}.{i}")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def assert_absent(status: Any, dotted: str) -> None:
    node = status
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    assert isinstance(node, dict), dotted
    assert last not in node, f"{dotted} should be absent: {node[last]!r}"


def _run(case: dict[str, Any]) -> dict[str, Any]:
    app = case["app"]
    name = app["metadata"]["name"]
    tracking = Tracking(TrackingMethod(case.get("tracking", "annotation")))
    live = []
    for obj in case.get("live") or []:
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        untracked = TRACKING_ID in annotations or obj.pop("untracked", False)
        live.append(obj if untracked else tracking.stamp(name, obj))
    generated = None
    error = None
    if "error" in case:
        error = RuntimeError(case["error"])
    else:
        gen = case["generated"]
        generated = Target(
            objects=list(gen["manifests"]),
            revisions=tuple(str(r) for r in gen["revisions"]),
            source_types=tuple(gen["sourceTypes"]),
        )
    return compute_status(
        app,
        generated,
        error,
        live,
        now=NOW,
        is_namespaced=is_namespaced,
        settings=CompareSettings(tracking=tracking),
    )


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_status_table(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    status = _run(case)
    assert_subset(status, case["expected"])
    for dotted in case.get("absent") or []:
        assert_absent(status, dotted)
    # Shape invariants of every case.
    assert status["reconciledAt"] == "2026-01-02T03:04:05Z"
    assert set(status) >= {"sync", "health", "resources", "summary", "reconciledAt"}
    keys = [
        (r.get("group", ""), r["kind"], r.get("namespace", ""), r["name"])
        for r in status["resources"]
    ]
    assert keys == sorted(keys)


def test_cases_cover_the_brief() -> None:
    names = {p.stem for p in CASES}
    assert len(names) >= 10
    for wanted in ("synced-healthy", "render-error", "duplicates", "multi-source", "summary"):
        assert f"status-{wanted}" in names


def test_render_error_never_marks_pruning_even_without_any_target() -> None:
    app = {"metadata": {"name": "a"}, "spec": {"destination": {"namespace": "d"}}}
    live = [
        with_tracking(
            "a",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "d"}},
        )
    ]
    status = compute_status(
        app, None, RuntimeError("boom"), live, now=NOW, is_namespaced=is_namespaced
    )
    assert status["sync"]["status"] == "Unknown"
    assert all("requiresPruning" not in r for r in status["resources"])
    assert status["conditions"][0]["type"] == "ComparisonError"
    assert "boom" in status["conditions"][0]["message"]


def test_summary_helpers() -> None:
    pod = {
        "kind": "Pod",
        "spec": {"containers": [{"image": "a:1"}], "initContainers": [{"image": "b"}]},
    }
    assert sorted(images_of(pod)) == ["a:1", "b"]
    ingress = {
        "kind": "Ingress",
        "spec": {},
        "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example"}]}},
    }
    assert external_urls_of(ingress) == ["http://lb.example"]
