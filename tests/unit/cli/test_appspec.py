"""The spec from ``app create|set`` flags, table-driven from ``testdata/appspec.yaml``, and
the Application ``app create`` builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.cli.argocd.app.appspec import (
    Metadata,
    SpecFlagError,
    SpecFlags,
    UnsetFlags,
    apply_flags,
    apply_unset,
    build_application,
)

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "testdata" / "appspec.yaml").read_text()
)


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_flags_over_a_spec(case: dict[str, Any]) -> None:
    flags = SpecFlags(**case["flags"])
    if "error" in case:
        with pytest.raises(SpecFlagError) as raised:
            apply_flags(case["spec"], flags, case.get("position", 0))
        assert raised.value.message == case["error"]
        assert raised.value.code == 20
        return
    assert apply_flags(case["spec"], flags, case.get("position", 0)) == case["want"]


def test_build_application_over_a_file_object() -> None:
    base = {"metadata": {"name": "web", "labels": {"a": "1"}}, "spec": {"source": {"path": "x"}}}
    built = build_application(
        SpecFlags(revision="v1"),
        Metadata(labels=["b=2"], annotations=["note=hi"], set_finalizer=True),
        base,
    )
    assert built == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": "web",
            "labels": {"a": "1", "b": "2"},
            "annotations": {"note": "hi"},
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {"source": {"path": "x", "targetRevision": "v1"}, "project": "default",
                 "destination": {}},
    }  # fmt: skip


def test_unset_kustomize_replicas_plugin_env_and_ref() -> None:
    spec = {"source": {"ref": "r", "kustomize": {"replicas": [{"name": "web", "count": 2}],
                                                 "version": "v5"},
                       "plugin": {"env": [{"name": "A", "value": "1"}]}}}  # fmt: skip
    flags = UnsetFlags(kustomize_replicas=["web"], kustomize_version=True, plugin_envs=["A"],
                       ref=True)  # fmt: skip
    assert apply_unset(spec, flags)
    assert spec == {"source": {}}


def test_unset_removes_and_reports_a_change() -> None:
    spec = {
        "source": {
            "helm": {"parameters": [{"name": "a", "value": "1"}], "values": "x: 1"},
            "kustomize": {"namePrefix": "p-", "images": ["nginx:1"]},
        }
    }
    flags = UnsetFlags(parameters=["a"], values_literal=True, nameprefix=True,
                       kustomize_images=["nginx"])  # fmt: skip
    assert apply_unset(spec, flags)
    assert spec == {"source": {}}
    assert not apply_unset(spec, flags)
