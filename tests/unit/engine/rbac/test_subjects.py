"""Token claims to subjects, and the names requests use for objects and actions."""

from __future__ import annotations

import pytest

from kapstan.engine.rbac import (
    app_object,
    fine_grained_action,
    project_role_subject,
    request_project,
    resource_action,
    subjects_for,
    user_identifier,
)


@pytest.mark.parametrize(
    ("claims", "scopes", "subjects"),
    [
        ({"iss": "argocd", "sub": "admin:login"}, ["groups"], ("admin",)),
        ({"iss": "argocd", "sub": "ci:apiKey"}, ["groups"], ("ci",)),
        ({"iss": "argocd", "sub": "admin"}, ["groups"], ("admin",)),
        ({"iss": "argocd", "sub": "proj:team:ci"}, ["groups"], ("proj:team:ci",)),
        ({"iss": "https://idp", "sub": "a:b"}, ["groups"], ("a:b",)),
        ({"sub": "u", "groups": ["g1", "g2", "g1"]}, ["groups"], ("u", "g1", "g2")),
        ({"sub": "u", "groups": "g1"}, ["groups"], ("u", "g1")),
        ({"sub": "u", "groups": ["g1", 2, None]}, ["groups"], ("u", "g1")),
        ({"sub": "u", "groups": {"g": 1}}, ["groups"], ("u",)),
        ({"sub": "u", "groups": ["g"], "email": "e@x"}, ["groups", "email"], ("u", "g", "e@x")),
        ({"sub": "u", "groups": ["g"]}, [], ("u",)),
        ({"groups": ["g"]}, ["groups"], ("", "g")),
        ({"sub": 5}, ["groups"], ("",)),
    ],
)
def test_subjects_for(
    claims: dict[str, object], scopes: list[str], subjects: tuple[str, ...]
) -> None:
    assert subjects_for(claims, scopes) == subjects


def test_user_identifier_prefers_federated_user_id() -> None:
    assert user_identifier({"sub": "opaque", "federated_claims": {"user_id": "me@x"}}) == "me@x"
    assert user_identifier({"sub": "opaque", "federated_claims": {"user_id": ""}}) == "opaque"
    assert user_identifier({"sub": "opaque", "federated_claims": "nope"}) == "opaque"


def test_project_role_subject() -> None:
    assert project_role_subject("proj:team:ci") == ("team", "ci")
    assert project_role_subject("proj:team") is None
    assert project_role_subject("proj:a:b:c") is None
    assert project_role_subject("role:admin") is None


def test_object_and_action_names() -> None:
    assert app_object("team", "web") == "team/web"
    assert app_object("team", "web", "argocd", home_namespace="argocd") == "team/web"
    assert app_object("team", "web", "apps", home_namespace="argocd") == "team/apps/web"
    assert fine_grained_action("delete", "", "Pod", "prod", "web-1") == "delete//Pod/prod/web-1"
    assert resource_action("apps", "Deployment", "restart") == "action/apps/Deployment/restart"


@pytest.mark.parametrize(
    ("resource", "obj", "project"),
    [
        ("applications", "team/web", "team"),
        ("applications", "team/ns/web", "team"),
        ("applicationsets", "team/set", "team"),
        ("logs", "team/web", "team"),
        ("exec", "team/web", "team"),
        ("repositories", "team/https://github.com/x/y", "team"),
        ("repositories", "https://github.com/x/y", "https:"),
        ("clusters", "in-cluster", None),
        ("projects", "team", "team"),
        ("certificates", "team/x", None),
        ("applications", "web", None),
    ],
)
def test_request_project(resource: str, obj: str, project: str | None) -> None:
    assert request_project(resource, obj) == project
