"""Application status conditions: their types (Argo CD's ``ApplicationConditionType``) and a
typed view of one entry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kapstan.model.fields import as_list, as_str


class ConditionType(StrEnum):
    """``status.conditions[].type`` (Argo CD's ``ApplicationConditionType``)."""

    INVALID_SPEC_ERROR = "InvalidSpecError"
    COMPARISON_ERROR = "ComparisonError"
    SYNC_ERROR = "SyncError"
    UNKNOWN_ERROR = "UnknownError"
    DELETION_ERROR = "DeletionError"
    SHARED_RESOURCE_WARNING = "SharedResourceWarning"
    REPEATED_RESOURCE_WARNING = "RepeatedResourceWarning"
    EXCLUDED_RESOURCE_WARNING = "ExcludedResourceWarning"
    ORPHANED_RESOURCE_WARNING = "OrphanedResourceWarning"

    @property
    def is_error(self) -> bool:
        """Argo CD's ``IsError``: the type name ends in ``Error``."""
        return self.value.endswith("Error")


@dataclass(frozen=True)
class Condition:
    """One ``status.conditions[]`` entry; ``type`` stays a string (unknown types survive)."""

    type: str
    message: str
    last_transition_time: str = ""

    @property
    def known_type(self) -> ConditionType | None:
        try:
            return ConditionType(self.type)
        except ValueError:
            return None

    @property
    def is_error(self) -> bool:
        return self.type.endswith("Error")

    def to_dict(self) -> dict[str, str]:
        out = {"type": self.type, "message": self.message}
        if self.last_transition_time:
            out["lastTransitionTime"] = self.last_transition_time
        return out


def conditions_of(entries: Sequence[Mapping[str, Any]]) -> list[Condition]:
    """Typed conditions of a ``status.conditions`` list (malformed entries skipped)."""
    return [
        Condition(
            as_str(c.get("type")), as_str(c.get("message")), as_str(c.get("lastTransitionTime"))
        )
        for c in as_list(entries)
        if isinstance(c, Mapping)
    ]


__all__ = ["Condition", "ConditionType", "conditions_of"]
