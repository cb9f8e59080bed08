"""Orphaned resources (``AppProject.spec.orphanedResources``), as Argo CD counts them.

An orphan is a top-level (no ``ownerReferences``) namespaced object in the app's destination
namespace that no Application tracks. Never orphans (Argo CD's exceptions): kinds the
project denies, the ``default`` ServiceAccount (and its token Secret), the ``kubernetes``
Service of the ``default`` namespace, the ``kube-root-ca.crt`` ConfigMap, and whatever
matches an ``ignore`` entry (``group``, ``kind``, ``name`` globs; empty matches any).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.engine.project._glob import glob_match
from kapstan.engine.project.model import Project
from kapstan.engine.project.permits import resource_permitted
from kapstan.model.keys import ResourceKey

CONDITION = "OrphanedResourceWarning"


@dataclass(frozen=True)
class Candidate:
    """What orphan detection needs to know of one live object."""

    key: ResourceKey
    owned: bool  # has ownerReferences
    tracked: bool  # some Application tracks it
    secret_for_account: str = ""  # a service-account token Secret: the account name


def _exempt(c: Candidate) -> bool:
    k = c.key
    return (
        (k.group == "" and k.kind == "ServiceAccount" and k.name == "default")
        or (k.group == "" and k.kind == "Secret" and c.secret_for_account == "default")  # noqa: S105 - a name
        or (
            k.group == ""
            and k.kind == "Service"
            and k.name == "kubernetes"
            and k.namespace == "default"
        )
        or (k.group == "" and k.kind == "ConfigMap" and k.name == "kube-root-ca.crt")
    )


def _ignored(key: ResourceKey, ignore: Iterable[Mapping[str, Any]]) -> bool:
    for rule in ignore:
        if all(
            glob_match(str(rule.get(field) or "*"), value)
            for field, value in (("group", key.group), ("kind", key.kind), ("name", key.name))
        ):
            return True
    return False


def orphans(
    project: Project, settings: Mapping[str, Any], candidates: Iterable[Candidate]
) -> list[ResourceKey]:
    """The orphaned resources among ``candidates`` (``settings`` = ``spec.orphanedResources``)."""
    ignore = [r for r in settings.get("ignore") or [] if isinstance(r, Mapping)]
    found = [
        c.key
        for c in candidates
        if not c.owned
        and not c.tracked
        and not _exempt(c)
        and resource_permitted(project, c.key.group, c.key.kind, True)
        and not _ignored(c.key, ignore)
    ]
    return sorted(found, key=lambda k: (k.group, k.kind, k.namespace, k.name))


def warning(count: int) -> str:
    """Argo CD's condition message."""
    return f"Application has {count} orphaned resources"


__all__ = ["CONDITION", "Candidate", "orphans", "warning"]
