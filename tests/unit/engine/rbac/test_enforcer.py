"""The enforcer beyond single questions: the list fast path, caches, project role loading."""

from __future__ import annotations

import itertools

import pytest

from kapstan.engine.rbac import (
    Enforcer,
    Policy,
    ProjectRoles,
    Rule,
    project_policy,
    project_roles_from,
)
from kapstan.engine.rbac import scope as scope_module

POLICY = Policy.from_configmap(
    {
        "policy.csv": "\n".join(
            [
                "p, role:dev, applications, *, dev/*, allow",
                "p, role:dev, applications, delete, dev/prod-*, deny",
                "p, role:dev, applications, get, shared/readme, allow",
                "g, team-dev, role:dev",
                "p, alice, applications, sync, ops/*, allow",
                "p, alice, applications, sync, ops/locked, deny",
            ]
        ),
        "policy.default": "role:none",
    }
)
PROJECTS = project_roles_from(
    [
        {
            "metadata": {"name": "ops"},
            "spec": {
                "roles": [
                    {
                        "name": "deployer",
                        "policies": ["p, proj:ops:deployer, applications, delete, ops/*, allow"],
                        "groups": ["ops-oncall"],
                    }
                ]
            },
        }
    ]
)
OBJECTS = [
    f"{p}/{a}"
    for p, a in itertools.product(
        ["dev", "ops", "shared", "other"], ["web", "prod-db", "locked", "readme"]
    )
]
SUBJECTS = [("alice",), ("bob", "team-dev"), ("carol", "ops-oncall"), ("proj:ops:deployer",), ()]
ACTIONS = ["get", "sync", "delete"]


def test_checker_agrees_with_enforce_everywhere() -> None:
    enforcer = Enforcer(POLICY, PROJECTS)
    fresh = Enforcer(POLICY, PROJECTS)
    allowed = 0
    for subjects, action in itertools.product(SUBJECTS, ACTIONS):
        check = enforcer.checker(subjects, "applications", action)
        for obj in OBJECTS:
            expected = fresh.enforce(subjects, "applications", action, obj)
            assert check(obj) is expected, (subjects, action, obj)
            assert enforcer.enforce(list(subjects), "applications", action, obj) is expected
            allowed += expected
    # The grid holds both answers: the equivalence above is not vacuous.
    assert 0 < allowed < len(SUBJECTS) * len(ACTIONS) * len(OBJECTS)


def test_some_answers_of_the_grid() -> None:
    enforcer = Enforcer(POLICY, PROJECTS)
    assert enforcer.enforce(["bob", "team-dev"], "applications", "delete", "dev/web")
    assert not enforcer.enforce(["bob", "team-dev"], "applications", "delete", "dev/prod-db")
    assert enforcer.enforce(["alice"], "applications", "sync", "ops/web")
    assert not enforcer.enforce(["alice"], "applications", "sync", "ops/locked")
    assert enforcer.enforce(["carol", "ops-oncall"], "applications", "delete", "ops/locked")
    assert not enforcer.enforce(["carol", "ops-oncall"], "applications", "delete", "dev/web")
    assert not enforcer.enforce(["proj:ops:deployer"], "applications", "delete", "dev/web")


def test_answers_survive_cache_eviction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scope_module, "_CACHE_LIMIT", 2)
    enforcer = Enforcer(POLICY, PROJECTS)
    reference = Enforcer(POLICY, PROJECTS)
    for _ in range(2):
        for subjects, action, obj in itertools.product(SUBJECTS, ACTIONS, OBJECTS):
            assert enforcer.enforce(subjects, "applications", action, obj) is reference.enforce(
                subjects, "applications", action, obj
            )


def test_empty_subject_rules_apply_to_every_claims_request() -> None:
    # util/rbac enforce falls back to enforcing the subject "" after the claims check fails,
    # so a g line for "" grants everyone (a quirk, mirrored rather than fixed).
    policy = Policy.from_configmap({"policy.csv": "g, , role:readonly"})
    assert Enforcer(policy).enforce(["anyone", "any-group"], "clusters", "get", "https://x")
    assert not Enforcer(policy).enforce(["anyone"], "clusters", "delete", "https://x")


def test_project_policy_loads_argo_cd_lines() -> None:
    loaded = project_policy(
        {
            "metadata": {"name": "team"},
            "spec": {
                "roles": [
                    {
                        "name": "ci",
                        "policies": ["p, proj:team:ci, applications, sync, team/* , allow"],
                        "groups": ['"a,b"', "plain"],
                    }
                ]
            },
        }
    )
    assert loaded.rules == (
        Rule("proj:team:ci", "projects", "get", "team", source="project team"),
        # Validation trims the object; loading reads CSV and keeps the trailing space.
        Rule("proj:team:ci", "applications", "sync", "team/* ", source="project team role ci:1"),
    )
    assert [(link.member, link.role) for link in loaded.links] == [
        ("a,b", "proj:team:ci"),
        ("plain", "proj:team:ci"),
    ]
    enforcer = Enforcer(Policy(), ProjectRoles({"team": loaded}))
    assert not enforcer.enforce(["proj:team:ci"], "applications", "sync", "team/web")


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("p, proj:team:ci, applications, get, team/*", "p, sub, res, act, obj, eft"),
        ("p, proj:team:other, applications, get, team/*, allow", "subject must be 'proj:team:ci'"),
        ("p, proj:team:ci, projects, get, team, allow", "cannot grant 'projects'"),
        ("p, proj:team:ci, certificates, get, team/*, allow", "cannot grant 'certificates'"),
        ("p, proj:team:ci, applications, invoke, team/*, allow", "invalid action 'invoke'"),
        ("p, proj:team:ci, applications, get, teamx/*, allow", "the object must be team/<name>"),
        ("p, proj:team:ci, applications, get, team/a/b/c, allow", "the object must be team/<name>"),
        ("p, proj:team:ci, applications, get, team/https://x, allow", "the object must be"),
        ("p, proj:team:ci, applications, get, team/*, Allow", "effect must be allow or deny"),
        ("p,\tproj:team:ci, applications, get, team/*, allow", "subject must be"),
    ],
)
def test_project_policy_validation(policy: str, message: str) -> None:
    roles = project_roles_from(
        [{"metadata": {"name": "team"}, "spec": {"roles": [{"name": "ci", "policies": [policy]}]}}]
    )
    (error,) = roles.errors
    assert error.key == "project team role ci"
    assert message in str(error)
    assert roles.projects["team"].rules == ()  # the project is known but grants nothing


@pytest.mark.parametrize(
    "policy",
    [
        "p, proj:team:ci, applications, get, team/*, allow",
        "p, proj:team:ci, applications, *, team/web-1.v2, deny",
        "p, proj:team:ci, applications, action/apps/Deployment/restart, team/*, allow",
        "p, proj:team:ci, applications, update/*, team/*, allow",
        "p, proj:team:ci, applicationsets, create, team/*, allow",
        "p, proj:team:ci, logs, get, team/ns/*, allow",
        "p, proj:team:ci, exec, create, team/web, allow",
        "p, proj:team:ci, repositories, create, team/*, allow",
        "p, proj:team:ci, clusters, get, team/*, allow",
    ],
)
def test_project_policy_accepted(policy: str) -> None:
    roles = project_roles_from(
        [{"metadata": {"name": "team"}, "spec": {"roles": [{"name": "ci", "policies": [policy]}]}}]
    )
    assert roles.errors == ()
    assert len(roles.projects["team"].rules) == 2


def test_project_role_shape_errors() -> None:
    roles = project_roles_from(
        [
            {"metadata": {}, "spec": {}},
            {"metadata": {"name": "a"}, "spec": {"roles": [{"name": "r"}, {"name": "r"}]}},
            {"metadata": {"name": "b"}, "spec": {"roles": [{"name": "r", "groups": [" "]}]}},
            {"metadata": {"name": "c"}, "spec": {"roles": [{"name": "r", "groups": ['x"y']}]}},
            {"metadata": {"name": "d"}, "spec": {"roles": [{"name": "r", "policies": [1]}]}},
            {"metadata": {"name": "e"}, "spec": {"roles": [{"name": "r", "groups": ["g", "g"]}]}},
        ]
    )
    messages = [str(e) for e in roles.errors]
    assert messages == [
        "project: an AppProject without metadata.name",
        "project a: role 'r' is listed twice",
        "project b role r: group is empty: ' '",
        "project c role r: group contains invalid characters: 'x\"y'",
        "project d role r: every policy must be a string",
        "project e role r: a group is listed twice",
    ]
    assert sorted(roles.projects) == ["a", "b", "c", "d", "e"]
