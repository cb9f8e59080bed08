"""What the ``kapstan proj`` modules share: reading a project, writing it back, and the
edits of its lists.

Contract: :func:`fetch` is ``GET /api/v1/projects/NAME``; :func:`save` is
``PUT /api/v1/projects/NAME`` of the whole object (the server checks its resourceVersion, so a
concurrent change is refused, not lost); :func:`modify` is fetch, edit, save in one, printing
nothing. :func:`or_none` and :func:`count_of` give argocd's ``<none>``/``N things`` cells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kapstan.cli.argocd import session
from kapstan.client.http import ApiClient

Project = dict[str, Any]
PROJECTS = "/api/v1/projects"
NONE = "<none>"


def client() -> ApiClient:
    return session.current().client()


def fetch(name: str) -> Project:
    found: Project = client().get(f"{PROJECTS}/{name}")
    return found


def save(project: Project) -> Project:
    name = project["metadata"]["name"]
    saved: Project = client().request("PUT", f"{PROJECTS}/{name}", body={"project": project})
    return saved


def modify(name: str, edit: Callable[[dict[str, Any]], bool | None]) -> Project:
    """Fetch ``name``, let ``edit`` change its spec in place, save it. When ``edit`` returns
    False nothing is written (nothing changed)."""
    project = fetch(name)
    spec = project.setdefault("spec", {})
    if edit(spec) is False:
        return project
    return save(project)


def or_none(values: Sequence[str]) -> str:
    return ",".join(values) if values else NONE


def count_of(values: Sequence[str], noun: str) -> str:
    """argocd's list cells: ``<none>``, the one value, or ``N <noun>``."""
    if not values:
        return NONE
    if len(values) == 1:
        return values[0]
    return f"{len(values)} {noun}"


def group_kinds(items: Sequence[dict[str, Any]] | None) -> list[str]:
    return [f"{i.get('group', '')}/{i.get('kind', '')}" for i in items or []]


def destinations(spec: dict[str, Any]) -> list[str]:
    return [
        f"{d.get('server') or d.get('name', '')},{d.get('namespace', '')}"
        for d in spec.get("destinations") or []
    ]


__all__ = [
    "NONE",
    "PROJECTS",
    "Project",
    "client",
    "count_of",
    "destinations",
    "fetch",
    "group_kinds",
    "modify",
    "or_none",
    "save",
]
