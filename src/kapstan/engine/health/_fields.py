"""Tolerant readers for unstructured Kubernetes objects.

Rules read objects the way Go's typed conversion sees them: a missing or mistyped
field is the zero value, so a half-written status never raises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Obj = Mapping[str, Any]


def mapping(obj: object, *path: str) -> Obj:
    """The mapping at ``path`` or an empty mapping."""
    cur: object = obj
    for key in path:
        if not isinstance(cur, Mapping):
            return {}
        cur = cur.get(key)
    return cur if isinstance(cur, Mapping) else {}


def items(obj: object, *path: str) -> list[Obj]:
    """The list of mappings at ``path`` (non-mapping entries dropped) or an empty list."""
    *head, last = path
    value = mapping(obj, *head).get(last)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def integer(obj: object, *path: str) -> int:
    """The integer at ``path``; anything else (bools included) reads as 0."""
    *head, last = path
    value = mapping(obj, *head).get(last)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def optional_int(obj: object, *path: str) -> int | None:
    """The integer at ``path`` or None (Go's nil pointer) when absent or mistyped."""
    *head, last = path
    value = mapping(obj, *head).get(last)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def string(obj: object, *path: str) -> str:
    """The string at ``path`` or ``""``."""
    *head, last = path
    value = mapping(obj, *head).get(last)
    return value if isinstance(value, str) else ""


def condition(obj: object, cond_type: str) -> Obj | None:
    """The first ``status.conditions`` entry of ``cond_type`` (Go helpers take the first)."""
    for cond in items(obj, "status", "conditions"):
        if cond.get("type") == cond_type:
            return cond
    return None


def generation_observed(obj: object) -> bool:
    """``metadata.generation <= status.observedGeneration`` as the kubectl rollout checks use."""
    return integer(obj, "metadata", "generation") <= integer(obj, "status", "observedGeneration")


class HealthCheckError(Exception):
    """A rule could not read the object; the dispatcher turns it into ``Unknown``."""
