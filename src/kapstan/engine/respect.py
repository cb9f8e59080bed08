"""``RespectIgnoreDifferences=true``: a sync keeps the live value of every ignored field.

Contract of :func:`preserve_ignored`: returns a copy of ``target`` in which every field an
ignore rule matching ``key`` hides from the diff carries its live value instead (absent in
live: absent from the target), so applying the target does not overwrite it:

- ``jsonPointers``: the pointed field;
- ``jqPathExpressions``: every path the expression selects in the live object (``path(...)``);
  a list index is taken as is, so the live and target lists are assumed to hold the same items
  in the same order where an expression selects list items by position;
- ``managedFieldsManagers``: every field those managers own in the live object's
  ``metadata.managedFields`` (keyed list items are matched by their key in both lists, as the
  API server does).

A new object (``live`` is ``None``) is returned unchanged; expressions that fail on the live
object are skipped (the diff reports them).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kapstan.engine.ignore import (
    IgnoreRule,
    _jq,
    list_item_matches,
    owned_fields,
)
from kapstan.engine.jsonpatch import parse_pointer
from kapstan.model.keys import ResourceKey

_MISSING = object()
Path = Sequence[str | int]


def _get(doc: Any, path: Path) -> Any:
    for token in path:
        if isinstance(doc, Mapping) and str(token) in doc:
            doc = doc[str(token)]
        elif isinstance(doc, list) and _index(token, doc) is not None:
            doc = doc[_index(token, doc)]  # type: ignore[index]
        else:
            return _MISSING
    return doc


def _index(token: str | int, items: list[Any]) -> int | None:
    if isinstance(token, int):
        return token if 0 <= token < len(items) else None
    return int(token) if token.isdigit() and int(token) < len(items) else None


def _put(doc: Any, path: Path, value: Any) -> None:
    """Set (or, for ``_MISSING``, remove) ``path`` in ``doc``; parents are created as maps."""
    for token in path[:-1]:
        if isinstance(doc, dict):
            doc = doc.setdefault(str(token), {})
        elif isinstance(doc, list) and _index(token, doc) is not None:
            doc = doc[_index(token, doc)]  # type: ignore[index]
        else:
            return
    last = path[-1]
    if isinstance(doc, dict):
        if value is _MISSING:
            doc.pop(str(last), None)
        else:
            doc[str(last)] = copy.deepcopy(value)
    elif isinstance(doc, list) and value is not _MISSING:
        at = _index(last, doc)
        if at is not None:
            doc[at] = copy.deepcopy(value)


def _jq_paths(expr: str, live: Mapping[str, Any]) -> list[Path]:
    try:
        found = _jq.compile(f"[path({expr})]").input_value(live).first()
    except ValueError:
        return []
    return [p for p in found or [] if isinstance(p, list) and p]


def _is_leaf(sub: Mapping[str, Any]) -> bool:
    return not sub or set(sub) == {"."}


def _copy_field(target: dict[str, Any], live: Mapping[str, Any], name: str, sub: Any) -> None:
    value = live.get(name, _MISSING)
    if _is_leaf(sub) or not isinstance(value, dict | list):
        _put(target, [name], value)
    elif not isinstance(target.get(name), type(value)):
        target[name] = copy.deepcopy(value)
    else:
        _copy_owned(target[name], value, sub)


def _copy_item(target: list[Any], live: list[Any], part: str, sub: Any) -> None:
    source = next((x for x in live if list_item_matches(x, part)), _MISSING)
    if source is _MISSING:
        return
    at = next((i for i, x in enumerate(target) if list_item_matches(x, part)), None)
    if at is None:
        target.append(copy.deepcopy(source))
    elif _is_leaf(sub) or part.startswith("v:"):
        target[at] = copy.deepcopy(source)
    else:
        _copy_owned(target[at], source, sub)


def _copy_owned(target: Any, live: Any, fields: Mapping[str, Any]) -> None:
    """Copy into ``target`` the leaves of a fieldsV1 tree, valued as in ``live``."""
    for part, sub in fields.items():
        prefix, rest = part[:2], part[2:]
        if prefix == "f:" and isinstance(target, dict) and isinstance(live, Mapping):
            _copy_field(target, live, rest, sub)
        elif prefix in ("k:", "v:") and isinstance(target, list) and isinstance(live, list):
            _copy_item(target, live, part, sub)
        elif prefix == "i:" and rest.isdigit() and isinstance(live, list) and int(rest) < len(live):
            _put(target, [int(rest)], live[int(rest)])


def preserve_ignored(
    target: Mapping[str, Any],
    live: Mapping[str, Any] | None,
    key: ResourceKey,
    rules: Iterable[IgnoreRule],
) -> dict[str, Any]:
    """``target`` with the ignored fields taken from ``live`` (see the module contract)."""
    out: dict[str, Any] = json.loads(json.dumps(target))
    if live is None:
        return out
    managed = (live.get("metadata") or {}).get("managedFields")
    for rule in rules:
        if not rule.matches(key):
            continue
        for pointer in rule.json_pointers:
            tokens = parse_pointer(pointer)
            if tokens:
                _put(out, tokens, _get(live, tokens))
        for expr in rule.jq_path_expressions:
            for path in _jq_paths(expr, live):
                _put(out, path, _get(live, path))
        for fields in owned_fields(managed, rule.managed_fields_managers):
            _copy_owned(out, live, fields)
    return out


__all__ = ["preserve_ignored"]
