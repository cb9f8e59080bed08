"""Reading raw Kubernetes dict fields leniently: a missing or mistyped field reads as its
empty value (the CRD schema is the API server's job; views must never raise)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kapstan.model.keys import ResourceKey


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def as_str(value: Any) -> str:
    return "" if value is None or isinstance(value, Mapping | list) else str(value)


def as_bool(value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def resource_key_of(entry: Mapping[str, Any]) -> ResourceKey:
    """The key of a ``{group, kind, namespace, name}`` entry (status resources, selective
    sync resources)."""
    return ResourceKey(
        as_str(entry.get("group")),
        as_str(entry.get("kind")),
        as_str(entry.get("namespace")),
        as_str(entry.get("name")),
    )


def parse_option_annotation(value: str) -> dict[str, str]:
    """A comma list annotation (``A,B=c``) as ``{"A": "", "B": "c"}``."""
    out: dict[str, str] = {}
    for item in value.split(","):
        name, _, val = item.strip().partition("=")
        if name.strip():
            out[name.strip()] = val.strip()
    return out


__all__ = ["as_bool", "as_list", "as_map", "as_str", "parse_option_annotation", "resource_key_of"]
