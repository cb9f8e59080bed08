"""LiveRbac: argocd-rbac-cm and AppProject roles followed live - a change applies to the next
question, an invalid policy keeps the last good one (and is logged once), a project role
grants its token subject, and the enforcer is rebuilt only when something changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from kapstan.services.rbac import INHERITANCE_KEY, LiveRbac


@dataclass(frozen=True)
class Who:
    subjects: tuple[str, ...]


def _project(rv: str, policies: list[str]) -> dict[str, Any]:
    return {
        "metadata": {"name": "team-a", "resourceVersion": rv},
        "spec": {"roles": [{"name": "ci", "policies": policies}]},
    }


def test_policy_changes_apply_and_bad_ones_are_kept_out(caplog: pytest.LogCaptureFixture) -> None:
    state: dict[str, Any] = {"rbac": {}, "projects": []}
    rbac = LiveRbac(lambda: state["rbac"], lambda: state["projects"])
    alice = Who(("alice",))
    assert not rbac.allowed(alice, "applications", "sync", "default/web")
    state["rbac"] = {"policy.csv": "p, alice, applications, sync, default/*, allow\n"}
    assert rbac.allowed(alice, "applications", "sync", "default/web")
    first = rbac.enforcer()
    assert rbac.enforcer() is first  # nothing changed: nothing rebuilt
    state["rbac"] = {"policy.csv": "p, alice, applications\n"}  # Argo CD would not load this
    assert rbac.allowed(alice, "applications", "sync", "default/web")  # the last good policy
    state["rbac"] = dict(state["rbac"])  # the same bad content again
    rbac.allowed(alice, "applications", "sync", "default/web")
    errors = [r for r in caplog.records if "argocd-rbac-cm is invalid" in r.getMessage()]
    assert len(errors) == 1


def test_project_roles_follow_the_projects() -> None:
    state: dict[str, Any] = {"projects": [_project("1", [])]}
    rbac = LiveRbac(dict, lambda: state["projects"])
    token = Who(("proj:team-a:ci",))
    assert not rbac.allowed(token, "applications", "sync", "team-a/web")
    state["projects"] = [_project("2", ["p, proj:team-a:ci, applications, sync, team-a/*, allow"])]
    assert rbac.allowed(token, "applications", "sync", "team-a/web")
    assert not rbac.allowed(token, "applications", "sync", "default/web")


@pytest.mark.parametrize(("value", "inherits"), [(None, False), ("true", False), ("false", True)])
def test_fine_grained_inheritance_setting(value: str | None, inherits: bool) -> None:
    cm = {} if value is None else {INHERITANCE_KEY: value}
    assert LiveRbac(dict, list, argocd_cm=lambda: cm).fine_grained_inheritance() is inherits
