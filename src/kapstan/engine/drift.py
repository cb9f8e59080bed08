"""Drift forensics: which field manager changed a drifted field, and when.

Argo CD reports *that* a live object differs from Git; this module adds *who* did it,
read from the live object's ``metadata.managedFields``. Each entry there names a
``manager``, the ``operation`` (``Apply`` or ``Update``), an optional ``subresource``
(``scale``, ``status``) and the ``time`` of that manager's last change, plus a fieldsV1
tree of the fields it owns now:

* ``f:<name>`` a map field, ``k:<json>`` a keyed list item (``{"name":"web"}``),
  ``v:<json>`` a set item (finalizers), ``i:<n>`` a list item by index;
* ``.`` inside a node: the manager owns the node's existence (the list item, the map);
* an empty node ``{}``: the manager owns the whole value (a scalar, or an atomic struct
  or list such as a Deployment's ``spec.selector``).

Attribution rules (one record per attributable path, sorted by path):

* A path is walked down the fieldsV1 trees and the *live* object together, so list
  indices in the diff's JSON pointers resolve to the live item and then to its ``k:`` /
  ``v:`` / ``i:`` key.
* A manager owns a path when the walk reaches an empty node before or at the end (the
  value or an atomic ancestor is its), or ends on a node holding ``.``. Only when no
  manager owns it that way do managers owning just some children of the node count.
* The owners named in ``own_managers`` (kapstan's own applier) are never reported; a
  path owned only by them yields no record. Among the others the latest ``time`` wins
  (RFC 3339 UTC strings compare in time order; a missing time counts as oldest), ties
  going to the alphabetically first manager so the result is deterministic.
* Fields absent from live (Git has them, live lost them) yield no record unless an
  atomic ancestor that exists in live is owned. The apiserver drops a removed field
  from every manager's set and records nothing about the remover (a manager left owning
  nothing disappears from managedFields), so any other answer would be a guess.
  Callers can report such paths as unattributed by comparing against the records.
* Malformed pointers, paths that do not resolve and missing managedFields yield no
  record.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.engine import jsonpatch
from kapstan.engine.ignore import list_item_matches
from kapstan.model.vocabulary import FIELD_MANAGER

DEFAULT_OWN_MANAGERS = (FIELD_MANAGER,)

# Ownership strength of one managedFields entry for one path (see the module docstring).
_NONE, _PARTIAL, _FULL = 0, 1, 2


@dataclass(frozen=True)
class DriftRecord:
    """The manager that last changed one drifted field.

    ``path`` is the JSON pointer of the field, ``time`` the RFC 3339 ``time`` of the
    managedFields entry ("" when the apiserver recorded none, as for ``scale``
    subresource updates), ``subresource`` the entry's subresource ("" for the main
    resource).
    """

    path: str
    manager: str
    operation: str
    time: str = ""
    subresource: str = ""

    def to_dict(self) -> dict[str, str]:
        """camelCase keys as in Argo CD status structs; empty values are omitted."""
        out = {
            "path": self.path,
            "manager": self.manager,
            "operation": self.operation,
            "time": self.time,
            "subresource": self.subresource,
        }
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class _Entry:
    manager: str
    operation: str
    time: str
    subresource: str
    fields: Mapping[str, Any]


def drifted_paths(patch: Sequence[Mapping[str, Any]]) -> list[str]:
    """The distinct ``path`` values of a JSON patch (``ResourceDiff.patch``), in order.

    The whole-document path ``""`` (a create or a prune) names no field and is skipped.
    """
    seen: dict[str, None] = {}
    for op in patch:
        path = op.get("path")
        if isinstance(path, str) and path:
            seen.setdefault(path, None)
    return list(seen)


def drift_records(
    live: Mapping[str, Any],
    paths: Iterable[str],
    *,
    own_managers: Collection[str] = DEFAULT_OWN_MANAGERS,
) -> tuple[DriftRecord, ...]:
    """Attribute each drifted JSON-pointer path to the field manager that changed it.

    ``live`` is the live object *with* ``metadata.managedFields``; ``paths`` come from
    :func:`drifted_paths`. Returns at most one record per distinct path, sorted by
    path; unattributable paths are left out (rules in the module docstring).
    """
    entries = _entries(live)
    records: list[DriftRecord] = []
    for path in sorted(set(paths)):
        try:
            tokens = jsonpatch.parse_pointer(path)
        except jsonpatch.JsonPointerError:
            continue
        if not tokens:
            continue
        owner = _owner(entries, live, tokens, own_managers)
        if owner is not None:
            records.append(
                DriftRecord(path, owner.manager, owner.operation, owner.time, owner.subresource)
            )
    return tuple(records)


def describe(records: Iterable[DriftRecord]) -> str:
    """One human line for logs and status messages; "" when there are no records.

    ``spec.replicas changed by kubectl (Update, scale subresource); spec.template.spec.
    containers[0].image changed by kubectl-set (Update) at 2026-01-02T03:04:05Z``
    """
    parts = []
    for r in records:
        how = r.operation + (f", {r.subresource} subresource" if r.subresource else "")
        when = f" at {r.time}" if r.time else ""
        parts.append(f"{dotted_path(r.path)} changed by {r.manager} ({how}){when}")
    return "; ".join(parts)


def dotted_path(pointer: str) -> str:
    """``/spec/containers/0/image`` -> ``spec.containers[0].image``; keys holding "." or
    "/" (labels, annotations) are bracketed so the result stays unambiguous."""
    out = ""
    for token in jsonpatch.parse_pointer(pointer):
        if token.isdigit() or "." in token or "/" in token:
            out += f"[{token}]"
        else:
            out += f".{token}" if out else token
    return out


def _entries(live: Mapping[str, Any]) -> list[_Entry]:
    """The usable managedFields entries; anything malformed is ignored, not fatal,
    since forensics must never break a comparison."""
    meta = live.get("metadata")
    raw = meta.get("managedFields") if isinstance(meta, Mapping) else None
    if not isinstance(raw, list):
        return []
    entries = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        fields = item.get("fieldsV1")
        manager = item.get("manager")
        if item.get("fieldsType", "FieldsV1") != "FieldsV1" or not isinstance(fields, Mapping):
            continue
        if not fields:
            continue  # an empty root would read as owning the whole object atomically
        entries.append(
            _Entry(
                manager=manager if isinstance(manager, str) else "",
                operation=str(item.get("operation") or ""),
                time=str(item.get("time") or ""),
                subresource=str(item.get("subresource") or ""),
                fields=fields,
            )
        )
    return entries


def _owner(
    entries: Sequence[_Entry],
    live: Mapping[str, Any],
    tokens: Sequence[str],
    own_managers: Collection[str],
) -> _Entry | None:
    scored = [(_ownership(e.fields, live, tokens), e) for e in entries]
    best = max((score for score, _ in scored), default=_NONE)
    if best == _NONE:
        return None
    # Own managers still take part in finding the best strength: a partial owner is not
    # blamed for a field that kapstan's applier fully owns.
    candidates = [e for score, e in scored if score == best and e.manager not in own_managers]
    if not candidates:
        return None
    latest = max(e.time for e in candidates)
    return min((e for e in candidates if e.time == latest), key=lambda e: e.manager)


def _ownership(fields: Mapping[str, Any], live: Any, tokens: Sequence[str]) -> int:
    """How strongly one fieldsV1 tree owns the live field at ``tokens``."""
    node: Mapping[str, Any] = fields
    value: Any = live
    for token in tokens:
        if not node:
            return _FULL  # an empty node owns its whole (atomic) value, live or not below
        found = _child(node, value, token)
        if found is None:
            return _NONE
        node, value = found
    if not node or "." in node:
        return _FULL
    return _PARTIAL


def _child(node: Mapping[str, Any], value: Any, token: str) -> tuple[Mapping[str, Any], Any] | None:
    """Step one token down both the fieldsV1 ``node`` and the live ``value``.

    A token must exist in live: fieldsV1 mirrors live, and a stale-looking tree must not
    claim a field the object no longer has.
    """
    if isinstance(value, Mapping):
        sub = node.get(f"f:{token}")
        if token in value and isinstance(sub, Mapping):
            return sub, value[token]
        return None
    if not (isinstance(value, list) and token.isdigit() and int(token) < len(value)):
        return None
    item = value[int(token)]
    sub = node.get(f"i:{token}")
    if isinstance(sub, Mapping):
        return sub, item
    for key, sub in node.items():
        if key[:2] in ("k:", "v:") and isinstance(sub, Mapping) and list_item_matches(item, key):
            return sub, item
    return None
