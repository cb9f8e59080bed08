"""Tolerant readers for unstructured Kubernetes objects.

Rules read objects the way Go's typed conversion sees them once it succeeded: a missing
field is the zero value and a whole float is an integer. A mistyped field reads as the zero
value too, so no reader ever raises; rules that mirror gitops-engine's Go code reject
mistyped fields first, through :mod:`kapstan.engine.health._typed`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

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


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)  # Go converts a whole float64 to the integer field
    return None


def integer(obj: object, *path: str) -> int:
    """The integer at ``path``; anything else (bools, NaN, text included) reads as 0."""
    *head, last = path
    value = _as_int(mapping(obj, *head).get(last))
    return 0 if value is None else value


def optional_int(obj: object, *path: str) -> int | None:
    """The integer at ``path`` or None (Go's nil pointer) when absent or mistyped."""
    *head, last = path
    return _as_int(mapping(obj, *head).get(last))


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


def is_true(cond: Obj | None) -> TypeGuard[Obj]:
    """Whether a condition exists with ``status: "True"``."""
    return cond is not None and cond.get("status") == "True"


def describe(cond: Obj) -> str:
    """``reason: message`` of a condition, whichever parts it has."""
    message = string(cond, "message")
    reason = string(cond, "reason")
    if reason and message:
        return f"{reason}: {message}"
    return message or reason


def generation_observed(obj: object) -> bool:
    """``metadata.generation <= status.observedGeneration`` as the kubectl rollout checks use."""
    return integer(obj, "metadata", "generation") <= integer(obj, "status", "observedGeneration")


class HealthCheckError(Exception):
    """A rule could not read the object; the dispatcher turns it into ``Unknown``."""
