"""Shared set-up of the API route tests: two projects, two apps, three callers."""

from __future__ import annotations

from typing import Any

from kapstan.testing.api import Rules

NS = "argocd"
RULES = [
    ("admin", "*", "*", "*"),
    ("alice", "applications", "get", "default/*"),
    ("bob", "*", "*", "team-a/*"),
]


def rules() -> Rules:
    return Rules(allow=list(RULES))


def project(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
        },
    }


def app(name: str, project_name: str = "default", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": NS, "labels": {"team": project_name}},
        "spec": {
            "project": project_name,
            "source": {"repoURL": "https://git.example/apps.git", "path": name},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
            **spec,
        },
    }
