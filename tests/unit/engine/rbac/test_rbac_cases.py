"""Table-driven RBAC cases: every ``testdata/*.yaml`` file holds shared ``configs`` (the
``data`` of ``argocd-rbac-cm``, by name), shared ``projects`` (raw AppProject lists, by name)
and ``cases``.

A case names its ConfigMap with ``config`` (a shared name) or ``rbac`` (inline data); neither
means no ConfigMap. ``projects`` is a shared name or an inline list. It then either expects
``error: {key, line}`` from ``Policy.from_configmap``, or asks a question - ``subjects`` (or
``claims``, turned into subjects with the policy's scopes), ``resource``, ``action``,
``object``, or ``app_resource: {verb, group, kind, namespace, name, inherit}`` - and
``expect``s ``allow`` or ``deny``. ``project_errors`` lists the keys of the AppProject errors
the case expects (none by default). Every case carries a ``why`` quoting the Argo CD rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.rbac import (
    Enforcer,
    Policy,
    RBACConfigError,
    project_roles_from,
    subjects_for,
)

TESTDATA = Path(__file__).parent / "testdata"
FILES = sorted(TESTDATA.glob("*.yaml"))
QUESTION = {"resource", "action", "object"}


def _load() -> list[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    out = []
    for path in FILES:
        doc = yaml.safe_load(path.read_text())
        for case in doc["cases"]:
            out.append((f"{path.stem}::{case['name']}", doc, case))
    return out


CASES = _load()


def _config(doc: Mapping[str, Any], case: Mapping[str, Any]) -> Mapping[str, str] | None:
    if "rbac" in case:
        return case["rbac"]
    if "config" in case:
        return doc["configs"][case["config"]]
    return None


def _projects(doc: Mapping[str, Any], case: Mapping[str, Any]) -> list[Any]:
    projects = case.get("projects", [])
    return list(doc["projects"][projects] if isinstance(projects, str) else projects)


@pytest.mark.parametrize(("case_id", "doc", "case"), CASES, ids=[c[0] for c in CASES])
def test_case(case_id: str, doc: Mapping[str, Any], case: Mapping[str, Any]) -> None:
    assert str(case.get("why", "")).strip(), f"{case_id}: every case cites its Argo CD rule"
    data = _config(doc, case)
    if "error" in case:
        with pytest.raises(RBACConfigError) as caught:
            Policy.from_configmap(data)
        assert caught.value.key == case["error"]["key"]
        assert caught.value.line == case["error"].get("line")
        return
    policy = Policy.from_configmap(data)
    roles = project_roles_from(_projects(doc, case))
    assert sorted(e.key for e in roles.errors) == sorted(case.get("project_errors", []))
    enforcer = Enforcer(policy, roles)
    if "claims" in case:
        subjects = subjects_for(case["claims"], policy.scopes)
    else:
        subjects = tuple(case["subjects"])
    assert case["expect"] in ("allow", "deny")
    expected = case["expect"] == "allow"
    if "app_resource" in case:
        r = case["app_resource"]
        got = enforcer.enforce_app_resource(
            subjects,
            r["verb"],
            case["object"],
            r.get("group", ""),
            r["kind"],
            r.get("namespace", ""),
            r["name"],
            inherit=r.get("inherit", False),
        )
        assert got is expected, f"{case_id}: {case['why']}"
        return
    assert set(case) >= QUESTION, f"{case_id}: a question needs resource, action and object"
    got = enforcer.enforce(subjects, case["resource"], case["action"], case["object"])
    assert got is expected, f"{case_id}: {case['why']}"
    # The list-filtering fast path must give the same answer, asked twice (cold and cached).
    check = enforcer.checker(subjects, case["resource"], case["action"])
    assert check(case["object"]) is expected
    assert check(case["object"]) is expected


def test_enough_cases() -> None:
    assert len(CASES) >= 100
    assert len({c[0] for c in CASES}) == len(CASES), "case names are unique per file"
