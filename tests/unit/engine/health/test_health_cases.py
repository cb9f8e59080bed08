"""Table-driven health tests: one YAML file per case under ``testdata/``.

File names read ``<kind>-<expected>-<case>.yaml``; each file holds ``object``, the
``expected`` status (null for "no health") and message, and optionally the argocd-cm
``config`` and ``kstatusFallback`` flag. ``nest: {path, depth}`` replaces the value at
``path`` inside the object with ``depth`` nested one-element lists around the string
``"bottom"``: YAML loaders recurse,
so objects deeper than a few hundred levels cannot be written out literally.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.health import (
    HealthConfig,
    HealthConfigError,
    ManagedResource,
    aggregate,
    assess,
    has_health_check,
)
from kapstan.model.health import HealthStatus, ResourceHealth, worst

TESTDATA = Path(__file__).parent / "testdata"
CASES = sorted(TESTDATA.glob("*.yaml"))


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict)
    if nest := doc.get("nest"):
        *parents, last = nest["path"]
        target = doc["object"]
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = _nested(nest["depth"])
    return doc


def load_case(path: Path) -> dict[str, Any]:
    """One fixture file with its ``nest`` applied (shared with the robustness tests)."""
    return _load(path)


def test_there_are_enough_cases() -> None:
    # Guards against fixtures silently disappearing (a bad glob, a rename gone wrong).
    assert len(CASES) >= 250


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    doc = _load(path)
    config = HealthConfig.from_argocd_cm(
        doc.get("config") or {}, kstatus_fallback=bool(doc.get("kstatusFallback"))
    )
    result = assess(doc["object"], config)
    expected = doc["expected"]
    if expected["status"] is None:
        assert result is None
        assert "-none-" in path.name
        return
    assert result == ResourceHealth(HealthStatus(expected["status"]), expected.get("message", ""))
    assert f"-{expected['status'].lower()}-" in path.name


def test_aggregation_order() -> None:
    order = list(HealthStatus)
    assert [s.value for s in order] == [
        "Healthy",
        "Suspended",
        "Progressing",
        "Missing",
        "Degraded",
        "Unknown",
    ]
    for i, better in enumerate(order):
        for w in order[i:]:
            assert worst([better, w]) is w
            assert worst([w, better]) is w
    assert worst([]) is HealthStatus.HEALTHY


def _obj(name: str) -> dict[str, Any]:
    return _load(TESTDATA / name)["object"]


def test_aggregate_takes_worst_and_names_causes() -> None:
    resources = [
        ManagedResource(None, _obj("deployment-healthy-rolled-out.yaml")),
        ManagedResource(None, _obj("pvc-progressing-pending.yaml")),
        ManagedResource(None, _obj("configmap-none-no-health.yaml")),
    ]
    assert aggregate(resources) == ResourceHealth(
        HealthStatus.PROGRESSING, "PersistentVolumeClaim/data"
    )


def test_aggregate_skips_ignore_healthcheck_annotation() -> None:
    broken = _obj("pvc-degraded-lost.yaml")
    broken["metadata"]["annotations"] = {"argocd.argoproj.io/ignore-healthcheck": "true"}
    resources = [
        ManagedResource(None, broken),
        ManagedResource(None, _obj("deployment-healthy-rolled-out.yaml")),
    ]
    assert aggregate(resources).status is HealthStatus.HEALTHY


def test_aggregate_missing_resources() -> None:
    desired = _obj("deployment-healthy-rolled-out.yaml")
    # One missing among live ones does not lower app health (OutOfSync covers it).
    mixed = [
        ManagedResource(desired, None),
        ManagedResource(None, _obj("pvc-healthy-bound.yaml")),
    ]
    assert aggregate(mixed).status is HealthStatus.HEALTHY
    # Nothing live at all: the app is Missing.
    assert aggregate([ManagedResource(desired, None)]).status is HealthStatus.MISSING
    assert aggregate([]).status is HealthStatus.HEALTHY


def test_aggregate_ignores_unknown_child_application() -> None:
    child = _obj("application-none-no-builtin.yaml")
    config = HealthConfig.from_argocd_cm(
        {"resource.customizations.health.argoproj.io_Application": 'return {status="Unknown"}'}
    )
    res = [ManagedResource(None, child), ManagedResource(None, _obj("pvc-healthy-bound.yaml"))]
    assert aggregate(res, config).status is HealthStatus.HEALTHY


def test_bad_config_is_rejected() -> None:
    with pytest.raises(HealthConfigError):
        HealthConfig.from_argocd_cm({"resource.customizations": "[not, a, map]"})
    with pytest.raises(HealthConfigError):
        HealthConfig.from_argocd_cm({"resource.customizations.health.a_b_C": "return {}"})


def test_exact_key_beats_wildcard() -> None:
    config = HealthConfig.from_argocd_cm(
        {
            "resource.customizations": yaml.safe_dump(
                {"*.example.com/*": {"health.lua": 'return {status="Degraded"}'}}
            ),
            "resource.customizations.health.tools.example.com_Gadget": (
                'return {status="Healthy"}'
            ),
        }
    )
    gadget = {"apiVersion": "tools.example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}
    other = {"apiVersion": "tools.example.com/v1", "kind": "Gizmo", "metadata": {"name": "g"}}
    assert assess(gadget, config) == ResourceHealth(HealthStatus.HEALTHY)
    assert assess(other, config) == ResourceHealth(HealthStatus.DEGRADED)


@pytest.mark.parametrize(
    ("group", "kind", "expected"),
    [
        ("cert-manager.io", "Certificate", True),
        ("argoproj.io", "Workflow", True),
        ("policy", "PodDisruptionBudget", True),
        ("s3.aws.upbound.io", "Bucket", True),
        ("pkg.crossplane.io", "Provider", False),
        ("monitoring.coreos.com", "ServiceMonitor", False),
        ("monitoring.coreos.com", "Prometheus", False),
        ("argoproj.io", "Application", False),
    ],
)
def test_has_health_check(group: str, kind: str, expected: bool) -> None:
    assert has_health_check(group, kind) is expected
