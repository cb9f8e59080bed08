"""List bodies assembled from per-item JSON kept between requests.

Argo CD's UI lists every application with the same ``fields`` on each visit and refresh; with
thousands of apps the projection and the JSON rendering were most of the answer's time. An
unchanged app (same uid and ``resourceVersion``) renders to the same bytes, so
:class:`RenderedItems` keeps each item's projected JSON per ``fields`` string and
:func:`list_body` joins them.

Contract: the bytes :func:`list_body` returns are exactly ``orjson.dumps(project({"metadata":
meta, "items": items}, parse_fields(fields)))``; at most ``max_field_sets`` distinct
``fields`` strings are kept (least recently used dropped) and entries of items that are gone
are dropped once the cache holds more than twice the items listed. Safe to call from several
threads: a lost race renders an item twice, never wrong.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from kapstan.api.fields import Tree, parse_fields, project

WHOLE = ""  # the cache key of "no fields": whole items


def _version(item: Mapping[str, Any]) -> tuple[str, str]:
    meta = item.get("metadata") or {}
    return str(meta.get("uid") or ""), str(meta.get("resourceVersion") or "")


def _key(item: Mapping[str, Any]) -> str:
    meta = item.get("metadata") or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"


class RenderedItems:
    """Per-``fields`` JSON of list items (see the module contract)."""

    def __init__(self, max_field_sets: int = 8) -> None:
        self.max_field_sets = max_field_sets
        self._sets: OrderedDict[str, dict[str, tuple[tuple[str, str], bytes]]] = OrderedDict()
        self._lock = threading.Lock()

    def _entries(self, fields: str) -> dict[str, tuple[tuple[str, str], bytes]]:
        with self._lock:
            found = self._sets.get(fields)
            if found is None:
                found = self._sets[fields] = {}
                while len(self._sets) > self.max_field_sets:
                    self._sets.popitem(last=False)
            else:
                self._sets.move_to_end(fields)
            return found

    def render(
        self, items: Sequence[Mapping[str, Any]], fields: str, tree: Tree | None
    ) -> list[bytes]:
        """Each item's JSON under ``tree`` (an item's sub-tree; ``None``: whole)."""
        entries = self._entries(fields)
        out: list[bytes] = []
        for item in items:
            key, version = _key(item), _version(item)
            hit = entries.get(key)
            if hit is None or hit[0] != version or not version[1]:
                data = orjson.dumps(item if tree is None else project(item, tree))
                entries[key] = hit = (version, data)
            out.append(hit[1])
        if len(entries) > 2 * max(len(items), 1):
            current = {_key(i) for i in items}
            for gone in [k for k in entries if k not in current]:
                entries.pop(gone, None)
        return out


def list_body(
    meta: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    fields: str | None,
    cache: RenderedItems,
) -> bytes:
    """The JSON of ``{"metadata": meta, "items": items}`` projected by ``fields``."""
    tree = parse_fields(fields)
    if tree is None:
        head: Mapping[str, Any] = {"metadata": meta}
        item_tree: Tree | None = None
        key = WHOLE
    else:
        head = project({"metadata": meta}, tree)
        if "items" not in tree:
            return orjson.dumps(head)
        item_tree = tree["items"] or None  # {}: items kept whole
        key = fields or WHOLE
    parts = cache.render(items, key if item_tree is not None else WHOLE, item_tree)
    start = orjson.dumps(head)[:-1]
    return b"".join((start, b"," if head else b"", b'"items":[', b",".join(parts), b"]}"))


__all__ = ["RenderedItems", "list_body"]
