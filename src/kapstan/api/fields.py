"""The ``fields`` query parameter: Argo CD's response projection.

Contract of :func:`project`: ``fields`` is a comma-separated list of dotted paths
(``items.metadata.name,items.status.sync.status,metadata.resourceVersion``); the answer keeps
only those paths — a list is traversed, the path applying to each element; a path that names a
mapping keeps it whole; unknown paths are ignored; no fields means the whole body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Tree = dict[str, Any]  # path segment -> subtree; {} marks "keep everything below"


def parse_fields(raw: str | Iterable[str] | None) -> Tree | None:
    """The projection tree of ``raw`` (``None`` when nothing is asked)."""
    if raw is None:
        return None
    items = [raw] if isinstance(raw, str) else list(raw)
    paths = [p.strip() for item in items for p in item.split(",") if p.strip()]
    if not paths:
        return None
    tree: Tree = {}
    for path in paths:
        node = tree
        parts = path.split(".")
        for i, part in enumerate(parts):
            child = node.get(part)
            if child == {} and i < len(parts) - 1 and part in node:
                break  # an ancestor is already kept whole
            if i == len(parts) - 1:
                node[part] = {}
            else:
                node = node.setdefault(part, {"": True})
    return tree


Compiled = dict[str, "Compiled | None"]  # segment -> what to keep below it (None: all)


def _compile(tree: Tree) -> Compiled | None:
    """``tree`` without its markers: ``None`` keeps a value whole."""
    keys = [k for k in tree if k]
    if not keys:
        return None
    return {k: _compile(tree[k]) for k in keys}


def _apply(value: Any, node: Compiled) -> Any:
    if isinstance(value, list):
        return [_apply(v, node) for v in value]
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for key, sub in node.items():
        if key in value:
            found = value[key]
            out[key] = found if sub is None else _apply(found, sub)
    return out


def project(body: Mapping[str, Any], fields: Tree | None) -> Any:
    """``body`` restricted to ``fields`` (see the module contract)."""
    if fields is None:
        return body
    node = _compile(fields)
    return body if node is None else _apply(body, node)


__all__ = ["parse_fields", "project"]
