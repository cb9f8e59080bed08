"""Resource actions' vocabulary: what discovery offers and what running one changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ActionError(ValueError):
    """An action that cannot be listed or run (unknown action, script failure, bad
    parameter, invalid script output); the message never carries object values."""


class Operation(StrEnum):
    """What an action asks for one impacted resource (Argo CD's ``K8SOperation``)."""

    CREATE = "create"
    PATCH = "patch"


@dataclass(frozen=True)
class ActionParam:
    """``v1alpha1.ResourceActionParam``."""

    name: str
    value: str = ""
    type: str = ""
    default: str = ""

    def to_dict(self) -> dict[str, str]:
        """The wire shape (Go's ``omitempty``: empty fields are left out)."""
        out = {"name": self.name, "value": self.value, "type": self.type}
        out["default"] = self.default
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class ResourceAction:
    """``v1alpha1.ResourceAction``: one action discovery offers."""

    name: str
    disabled: bool = False
    icon_class: str = ""
    display_name: str = ""
    params: tuple[ActionParam, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The wire shape (Go's ``omitempty``)."""
        out: dict[str, Any] = {"name": self.name}
        if self.disabled:
            out["disabled"] = True
        if self.icon_class:
            out["iconClass"] = self.icon_class
        if self.display_name:
            out["displayName"] = self.display_name
        if self.params:
            out["params"] = [p.to_dict() for p in self.params]
        return out


@dataclass(frozen=True)
class Impacted:
    """One resource an action creates, or the source resource it patches (as it should
    become: the caller computes the patch against the live object)."""

    operation: Operation
    obj: dict[str, Any] = field(repr=False)


Params = Mapping[str, str]  # resourceActionParameters: name -> value

__all__ = ["ActionError", "ActionParam", "Impacted", "Operation", "Params", "ResourceAction"]
