"""Field paths in ``managedFields`` notation, and which lists merge by key.

A path is a tuple of path elements as in ``fieldsV1``: ``f:<field>`` (map field),
``k:<json>`` (list item found by its key fields), ``v:<json>`` (item of a list of scalars used
as a set) and ``.`` (the list item itself). :func:`leaves` gives the owned leaves of a value:
scalars, empty maps, atomic lists, set items, plus ``.`` for every keyed item.

:class:`Schema` stands in for the OpenAPI schema a real server has. Approximation: for
built-in kinds a fixed table of well-known keyed lists (``containers``/``env``/``volumes``/
``imagePullSecrets`` by ``name``, ``ports`` by ``containerPort``/``port`` plus ``protocol``,
``volumeMounts`` by ``mountPath``, ``conditions`` by ``type``) merges by key, as kubectl's
strategic merge does; for custom kinds every list is atomic (a CRD without
``x-kubernetes-list-type: map``). ``metadata.finalizers`` is a set and
``metadata.ownerReferences`` is keyed by ``uid`` for every kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

Path = tuple[str, ...]
ITEM = "."
SET = "set"

_META_LISTS: dict[str, tuple[str, ...] | str] = {"finalizers": SET, "ownerReferences": ("uid",)}
_KEYED: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "volumes": ("name",),
    "env": ("name",),
    "imagePullSecrets": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "conditions": ("type",),
    "hostAliases": ("ip",),
}


def dumps(value: Any) -> str:
    """Compact JSON with sorted keys, as in ``k:{"name":"c"}``."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


@dataclass(frozen=True)
class Schema:
    """Which lists are associative, for built-in (``builtin``) or custom kinds."""

    builtin: bool

    def list_type(self, path: Path, items: list[Any]) -> tuple[str, ...] | str | None:
        """Key fields of a keyed list, :data:`SET`, or ``None`` for an atomic list."""
        name = path[-1][2:] if path and path[-1].startswith("f:") else ""
        if len(path) == 2 and path[0] == "f:metadata":
            return _META_LISTS.get(name)
        if not self.builtin:
            return None
        if name == "ports":
            keys: tuple[str, ...] = ("containerPort", "protocol")
            if not any(isinstance(i, dict) and "containerPort" in i for i in items):
                keys = ("port", "protocol")
        else:
            found = _KEYED.get(name)
            if found is None:
                return None
            keys = found
        ok = all(isinstance(i, dict) and any(k in i for k in keys) for i in items)
        return keys if ok else None


def item_element(item: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    return "k:" + dumps({k: item[k] for k in keys if k in item})


def _element(lt: tuple[str, ...] | str, item: Any) -> str:
    return item_element(item, lt) if isinstance(lt, tuple) else "v:" + dumps(item)


def leaves(value: Any, schema: Schema, path: Path = ()) -> set[Path]:
    """The owned leaf paths of ``value`` (see the module docstring)."""
    if isinstance(value, dict):
        if not value:
            return {path} if path else set()
        out: set[Path] = set()
        for k, v in value.items():
            if v is not None:
                out |= leaves(v, schema, (*path, f"f:{k}"))
        return out
    if isinstance(value, list) and value:
        lt = schema.list_type(path, value)
        if lt == SET:
            return {(*path, _element(lt, v)) for v in value}
        if isinstance(lt, tuple):
            out = set()
            for item in value:
                here = (*path, item_element(item, lt))
                out.add((*here, ITEM))
                out |= leaves(item, schema, here)
            return out
    return {path}


def _find(items: list[Any], element: str, schema: Schema, path: Path) -> int | None:
    lt = schema.list_type(path, items)
    if lt is None:
        return None
    for i, item in enumerate(items):
        if _element(lt, item) == element:
            return i
    return None


def lookup(obj: Any, path: Path, schema: Schema) -> tuple[bool, Any]:
    """``(found, value)`` at ``path``; ``.`` resolves to the item itself."""
    node = obj
    for depth, element in enumerate(path):
        if element == ITEM:
            continue
        if element.startswith("f:") and isinstance(node, dict) and element[2:] in node:
            node = node[element[2:]]
        elif element[:2] in ("k:", "v:") and isinstance(node, list):
            i = _find(node, element, schema, path[:depth])
            if i is None:
                return False, None
            node = node[i]
        else:
            return False, None
    return True, node


def remove(obj: dict[str, Any], path: Path, schema: Schema) -> bool:
    """Delete what ``path`` names (``…/k:x/.`` deletes the item); prune maps and lists that
    this leaves empty, except top-level fields. Returns whether anything was removed."""
    if path and path[-1] == ITEM:
        path = path[:-1]
    if not path:
        return False
    found, parent = lookup(obj, path[:-1], schema)
    last = path[-1]
    if not found:
        return False
    if last.startswith("f:") and isinstance(parent, dict) and last[2:] in parent:
        del parent[last[2:]]
    elif isinstance(parent, list):
        i = _find(parent, last, schema, path[:-1])
        if i is None:
            return False
        del parent[i]
    else:
        return False
    if len(path) > 2 and parent in ({}, []):
        remove(obj, path[:-1], schema)
    return True


def to_fields_v1(paths: set[Path]) -> dict[str, Any]:
    """The ``fieldsV1`` trie of a path set."""
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for element in path:
            node = node.setdefault(element, {})
    return root


def from_fields_v1(tree: Mapping[str, Any], path: Path = ()) -> set[Path]:
    """The path set of a ``fieldsV1`` trie (inverse of :func:`to_fields_v1`)."""
    if not tree:
        return {path} if path else set()
    out: set[Path] = set()
    for element, sub in tree.items():
        out |= from_fields_v1(sub if isinstance(sub, Mapping) else {}, (*path, element))
    return out


def dotted(path: Path) -> str:
    """A path as SSA conflict messages print it (``.spec.containers[name="c"].image``)."""
    out = ""
    for element in path:
        if element.startswith("f:"):
            out += "." + element[2:]
        elif element.startswith("k:"):
            keys = orjson.loads(element[2:])
            out += "[" + ",".join(f"{k}={dumps(v)}" for k, v in keys.items()) + "]"
        elif element.startswith("v:"):
            out += f"[{element[2:]}]"
    return out
