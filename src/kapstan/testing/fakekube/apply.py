"""Field ownership (``metadata.managedFields``) and the server-side apply approximation.

Contract, per write (``subresource`` is ``""`` or ``"status"``):

- an Update-type write (create, update, non-apply patch) gives its manager's
  ``(manager, "Update", subresource)`` entry every leaf it added or changed, and takes those
  leaves, and the leaves it removed, away from every other manager;
- :func:`server_side_apply` merges the apply configuration into the live object (maps
  recursively, keyed lists by key, sets as unions, anything else replaced). A leaf in the
  configuration that another manager owns with a *different* value is a conflict: 409 with
  one ``FieldManagerConflict`` cause per field, unless ``force``, which moves the field to the
  applier. Leaves the applier owned before and no longer applies are removed, unless another
  manager still owns them (shared ownership: applying an equal value never conflicts);
- entries whose field set becomes empty are dropped; an entry's ``time`` only moves when its
  field set or the object changed.

Approximations (see :mod:`~kapstan.testing.fakekube.fieldpaths`): no OpenAPI schema, so list
semantics come from a fixed table; a map the applier emptied is pruned; identity fields
(``apiVersion``, ``kind``, ``metadata.name``/``namespace``/``uid``…) are never owned; the
apply configuration is not validated against a schema beyond top-level fields.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import orjson

from kapstan.testing.fakekube.fieldpaths import (
    ITEM,
    SET,
    Path,
    Schema,
    dotted,
    from_fields_v1,
    item_element,
    leaves,
    lookup,
    remove,
    to_fields_v1,
)
from kapstan.testing.fakekube.kinds import Kind
from kapstan.testing.fakekube.status import ApiError

# Set by the server, never owned by a field manager.
SERVER_META = frozenset(
    {
        "name",
        "namespace",
        "generateName",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
    }
)


@dataclass
class Entry:
    """One ``managedFields`` entry, with its field set decoded."""

    manager: str
    operation: str
    subresource: str
    api_version: str
    time: str
    paths: set[Path] = field(default_factory=set)

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(self.paths),
        }
        if self.subresource:
            out["subresource"] = self.subresource
        return out


def schema_of(kind: Kind) -> Schema:
    return Schema(builtin=not kind.custom)


def entries_of(obj: dict[str, Any] | None) -> list[Entry]:
    raw = ((obj or {}).get("metadata") or {}).get("managedFields") or []
    return [
        Entry(
            manager=str(e.get("manager") or ""),
            operation=str(e.get("operation") or "Update"),
            subresource=str(e.get("subresource") or ""),
            api_version=str(e.get("apiVersion") or ""),
            time=str(e.get("time") or ""),
            paths=from_fields_v1(e.get("fieldsV1") or {}),
        )
        for e in raw
        if isinstance(e, dict)
    ]


def _store(obj: dict[str, Any], entries: list[Entry]) -> None:
    meta = obj.setdefault("metadata", {})
    kept = [e.render() for e in entries if e.paths]
    if kept:
        meta["managedFields"] = kept
    else:
        meta.pop("managedFields", None)


def view(obj: dict[str, Any], kind: Kind, subresource: str) -> dict[str, Any]:
    """The part of ``obj`` that writes through ``subresource`` may own."""
    if subresource == "status":
        return {"status": obj["status"]} if "status" in obj else {}
    out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    if kind.status_subresource:
        out.pop("status", None)
    meta = {k: v for k, v in (out.pop("metadata", None) or {}).items() if k not in SERVER_META}
    if meta:
        out["metadata"] = meta
    return out


def _entry(entries: list[Entry], manager: str, operation: str, sub: str, api: str) -> Entry:
    for e in entries:
        if (e.manager, e.operation, e.subresource) == (manager, operation, sub):
            return e
    e = Entry(manager, operation, sub, api, "")
    entries.append(e)
    return e


def record_update(
    kind: Kind,
    old: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    manager: str,
    subresource: str,
    api_version: str,
    now: str,
) -> None:
    """Set ``new``'s managedFields for an Update-type write of ``old`` into ``new``."""
    schema = schema_of(kind)
    entries = entries_of(old)
    before, after = view(old or {}, kind, subresource), view(new, kind, subresource)
    old_leaves, new_leaves = leaves(before, schema), leaves(after, schema)
    changed = {p for p in new_leaves if lookup(before, p, schema) != lookup(after, p, schema)}
    removed = old_leaves - new_leaves
    if changed or removed:
        for e in entries:
            e.paths -= changed | removed
        mine = _entry(entries, manager, "Update", subresource, api_version)
        mine.paths |= changed
        mine.time, mine.api_version = now, api_version
    _store(new, entries)


def _merge(live: Any, cfg: Any, schema: Schema, path: Path) -> Any:
    if isinstance(cfg, dict) and isinstance(live, dict):
        out = dict(live)
        for k, v in cfg.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = _merge(out[k], v, schema, (*path, f"f:{k}"))
            else:
                out[k] = copy.deepcopy(v)
        return out
    if isinstance(cfg, list) and isinstance(live, list):
        lt = schema.list_type(path, live + cfg)
        if lt == SET:
            return copy.deepcopy(live) + [copy.deepcopy(x) for x in cfg if x not in live]
        if isinstance(lt, tuple):
            out_list = copy.deepcopy(live)
            at = {item_element(item, lt): i for i, item in enumerate(out_list)}
            for item in cfg:
                element = item_element(item, lt)
                if element in at:
                    i = at[element]
                    out_list[i] = _merge(out_list[i], item, schema, (*path, element))
                else:
                    at[element] = len(out_list)
                    out_list.append(copy.deepcopy(item))
            return out_list
    return copy.deepcopy(cfg)


def _key_field(path: Path) -> bool:
    """Whether ``path`` is a key field of a keyed list item (``…/k:{"name":"c"}/f:name``)."""
    if len(path) < 2 or not path[-2].startswith("k:") or not path[-1].startswith("f:"):
        return False
    return path[-1][2:] in orjson.loads(path[-2][2:])


def _content(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    return {**obj, "metadata": meta}


def _conflict_error(kind: Kind, name: str, found: list[tuple[Entry, Path]]) -> ApiError:
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f'conflict with "{e.manager}"'
            + (" using " + e.api_version if e.api_version else ""),
            "field": dotted(p),
        }
        for e, p in found
    ]
    if len(causes) == 1:
        message = f"Apply failed with 1 conflict: {causes[0]['message']}: {causes[0]['field']}"
    else:
        lines = "".join(f"\n- {c['message']}: {c['field']}" for c in causes)
        message = f"Apply failed with {len(causes)} conflicts:{lines}"
    details = {"name": name, "kind": kind.plural, "causes": causes}
    if kind.group:
        details["group"] = kind.group
    return ApiError(409, message, details=details)


def server_side_apply(
    kind: Kind,
    live: dict[str, Any] | None,
    config: dict[str, Any],
    *,
    manager: str,
    force: bool,
    subresource: str,
    api_version: str,
    now: str,
) -> dict[str, Any]:
    """The object after applying ``config`` as ``manager`` (``live`` is not mutated)."""
    schema = schema_of(kind)
    base = copy.deepcopy(live) if live is not None else {}
    cfg = view(config, kind, subresource)
    wanted = leaves(cfg, schema)
    entries = entries_of(base)
    mine = _entry(entries, manager, "Apply", subresource, api_version)
    previous = set(mine.paths)
    found: list[tuple[Entry, Path]] = []
    for e in entries:
        if e is mine:
            continue
        for p in sorted(wanted & e.paths):
            if p[-1] != ITEM and lookup(base, p, schema) != lookup(cfg, p, schema):
                found.append((e, p))
    if found and not force:
        raise _conflict_error(kind, str((config.get("metadata") or {}).get("name") or ""), found)
    for e, p in found:
        e.paths.discard(p)
    merged: dict[str, Any] = _merge(base, cfg, schema, ())
    for key in ("apiVersion", "kind"):
        merged.setdefault(key, config.get(key))
    others = set().union(*(e.paths for e in entries if e is not mine))
    # Shallow first: a whole list item goes at once. Key fields stay while their item does
    # (removing them first would make the item impossible to find, and is never wanted).
    for p in sorted(previous - wanted, key=len):
        shared = p in others
        if p[-1] == ITEM:  # an item stays while someone owns anything inside it
            shared = any(q[: len(p) - 1] == p[:-1] for q in others)
        if not shared and not _key_field(p):
            remove(merged, p, schema)
    if wanted != previous or _content(merged) != _content(live or {}):
        mine.time, mine.api_version = now, api_version
    mine.paths = wanted
    _store(merged, entries)
    return merged
