"""The controller's drift forensics as the CLI shows them: which field manager changed a
drifted live field, how and when (``status.resources[].drift``), for ``app diff`` (a
``# drifted:`` line under each resource) and ``app get -o wide`` (a table)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

RefKey = tuple[str, str, str, str]  # group, kind, namespace, name
DRIFT_HEADERS = ("GROUP", "KIND", "NAMESPACE", "NAME", "FIELD", "CHANGED BY", "OPERATION", "AT")


def ref_of(res: Mapping[str, Any]) -> RefKey:
    return (str(res.get("group") or ""), str(res.get("kind") or ""),
            str(res.get("namespace") or ""), str(res.get("name") or ""))  # fmt: skip


def dotted(pointer: str) -> str:
    """``/spec/containers/0/image`` → ``spec.containers[0].image`` (keys holding ``.`` or
    ``/`` bracketed; ``~1``/``~0`` unescaped), as the controller spells drifted fields."""
    out = ""
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if token.isdigit() or "." in token or "/" in token:
            out += f"[{token}]"
        else:
            out += f".{token}" if out else token
    return out


@dataclass(frozen=True)
class Drift:
    ref: RefKey
    field: str
    manager: str
    operation: str  # "Update", or "Apply, status subresource"
    time: str


def drifts(app: Mapping[str, Any]) -> Iterator[Drift]:
    for res in (app.get("status") or {}).get("resources") or []:
        for record in res.get("drift") or []:
            how = str(record.get("operation") or "")
            if record.get("subresource"):
                how += f", {record['subresource']} subresource"
            yield Drift(
                ref_of(res),
                dotted(str(record.get("path") or "")),
                str(record.get("manager") or ""),
                how,
                str(record.get("time") or ""),
            )


def drift_notes(app: Mapping[str, Any]) -> dict[RefKey, list[str]]:
    """Per resource, one ``# drifted: FIELD changed by MANAGER (OPERATION) at TIME`` line per
    record."""
    notes: dict[RefKey, list[str]] = {}
    for d in drifts(app):
        when = f" at {d.time}" if d.time else ""
        line = f"# drifted: {d.field} changed by {d.manager} ({d.operation}){when}"
        notes.setdefault(d.ref, []).append(line)
    return notes


def drift_rows(app: Mapping[str, Any]) -> list[tuple[str, ...]]:
    return [(*d.ref, d.field, d.manager, d.operation, d.time) for d in drifts(app)]


__all__ = [
    "DRIFT_HEADERS",
    "Drift",
    "RefKey",
    "dotted",
    "drift_notes",
    "drift_rows",
    "drifts",
    "ref_of",
]
