"""Timestamps and ``status.conditions`` entries, in Argo CD's shapes (pure: the caller passes
the time)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kapstan.model.conditions import ConditionType


def rfc3339(when: datetime) -> str:
    """``2024-01-02T03:04:05Z`` (naive datetimes are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime | None:
    """The time ``text`` (RFC 3339, ``Z`` or an offset) stands for; ``None`` if it is not one."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def condition(kind: ConditionType, message: str, now: str) -> dict[str, str]:
    """One ``status.conditions[]`` entry (``now`` is its RFC 3339 transition time)."""
    return {"type": kind.value, "message": message, "lastTransitionTime": now}


def keep_transition_times(
    new: Sequence[Mapping[str, Any]], old: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``new`` with the ``lastTransitionTime`` of every condition that persists (same type and
    message) taken from ``old``, so a condition that stays does not look new."""
    before = {(c.get("type"), c.get("message")): c.get("lastTransitionTime") for c in old}
    out = []
    for c in new:
        stamp = before.get((c.get("type"), c.get("message")))
        out.append({**c, "lastTransitionTime": stamp} if stamp else dict(c))
    return out


def error_conditions(conditions: Sequence[Mapping[str, Any]]) -> list[str]:
    """``"<type>: <message>"`` of each error condition (Argo CD's ``IsError``)."""
    return [
        f"{c.get('type')}: {c.get('message')}"
        for c in conditions
        if str(c.get("type", "")).endswith("Error")
    ]


__all__ = ["condition", "error_conditions", "keep_transition_times", "rfc3339"]
