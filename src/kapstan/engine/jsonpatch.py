"""RFC 6901 JSON pointers and a small RFC 6902 JSON patch generator / applier.

Pure functions over plain JSON-like values (dicts, lists, scalars). The generator
produces a patch that turns ``source`` into ``target``; it favours readability over
minimality (lists are compared index by index, with trailing adds/removes).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

JsonPatchOp = dict[str, Any]


class JsonPointerError(ValueError):
    """A pointer is malformed or does not resolve against the document."""


def escape_token(token: str) -> str:
    """Escape one reference token (RFC 6901 section 3: ``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """Undo :func:`escape_token`; ``~1`` is decoded before ``~0`` as RFC 6901 requires."""
    return token.replace("~1", "/").replace("~0", "~")


def parse_pointer(pointer: str) -> list[str]:
    """Split a pointer into unescaped tokens; ``""`` is the whole document."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise JsonPointerError(f"JSON pointer must start with '/': {pointer!r}")
    return [unescape_token(t) for t in pointer[1:].split("/")]


def make_pointer(tokens: Sequence[str | int]) -> str:
    """Join tokens into an escaped pointer."""
    return "".join("/" + escape_token(str(t)) for t in tokens)


def _index(ref: str, length: int, *, allow_end: bool) -> int:
    if ref == "-" and allow_end:
        return length
    if not ref.isdigit() or (len(ref) > 1 and ref.startswith("0")):
        raise JsonPointerError(f"invalid array index {ref!r}")
    idx = int(ref)
    if idx > length or (idx == length and not allow_end):
        raise JsonPointerError(f"array index {idx} out of range")
    return idx


def remove_pointer(doc: Any, pointer: str) -> bool:
    """Delete the value at ``pointer`` in place; return False if it does not exist.

    Missing paths are not an error: Argo CD's jsonPointers normalizer ignores pointers
    that do not resolve (the field may be absent on one side).
    """
    tokens = parse_pointer(pointer)
    if not tokens:
        return False
    parent = doc
    for token in tokens[:-1]:
        if isinstance(parent, dict):
            if token not in parent:
                return False
            parent = parent[token]
        elif isinstance(parent, list):
            try:
                parent = parent[_index(token, len(parent), allow_end=False)]
            except JsonPointerError:
                return False
        else:
            return False
    last = tokens[-1]
    if isinstance(parent, dict):
        if last in parent:
            del parent[last]
            return True
        return False
    if isinstance(parent, list):
        try:
            del parent[_index(last, len(parent), allow_end=False)]
        except JsonPointerError:
            return False
        return True
    return False


def diff(source: Any, target: Any) -> list[JsonPatchOp]:
    """Return RFC 6902 operations that transform ``source`` into ``target``."""
    ops: list[JsonPatchOp] = []
    _diff(source, target, [], ops)
    return ops


def _diff(src: Any, dst: Any, path: list[str | int], ops: list[JsonPatchOp]) -> None:
    if isinstance(src, Mapping) and isinstance(dst, Mapping):
        for key in sorted(src):
            if key not in dst:
                ops.append({"op": "remove", "path": make_pointer([*path, key])})
        for key in sorted(dst):
            if key not in src:
                ops.append({"op": "add", "path": make_pointer([*path, key]), "value": dst[key]})
            else:
                _diff(src[key], dst[key], [*path, key], ops)
        return
    if isinstance(src, list) and isinstance(dst, list):
        common = min(len(src), len(dst))
        for i in range(common):
            _diff(src[i], dst[i], [*path, i], ops)
        # Remove from the end so earlier indices stay valid while the patch is applied.
        for i in range(len(src) - 1, common - 1, -1):
            ops.append({"op": "remove", "path": make_pointer([*path, i])})
        for i in range(common, len(dst)):
            ops.append({"op": "add", "path": make_pointer([*path, i]), "value": dst[i]})
        return
    # bool is an int in Python but a distinct JSON type: compare types too.
    if type(src) is not type(dst) or src != dst:
        ops.append({"op": "replace", "path": make_pointer(path), "value": dst})


def apply(doc: Any, ops: Sequence[Mapping[str, Any]]) -> Any:
    """Apply add/remove/replace operations to a deep copy of ``doc`` and return it."""
    result = copy.deepcopy(doc)
    for op in ops:
        tokens = parse_pointer(str(op["path"]))
        kind = op["op"]
        value = copy.deepcopy(op.get("value"))
        if not tokens:
            if kind in ("add", "replace"):
                result = value
                continue
            raise JsonPointerError("cannot remove the whole document")
        parent = result
        for token in tokens[:-1]:
            parent = (
                parent[_index(token, len(parent), allow_end=False)]
                if isinstance(parent, list)
                else parent[token]
            )
        last = tokens[-1]
        if isinstance(parent, list):
            idx = _index(last, len(parent), allow_end=kind == "add")
            if kind == "add":
                parent.insert(idx, value)
            elif kind == "remove":
                del parent[idx]
            else:
                parent[idx] = value
        elif kind == "remove":
            del parent[last]
        elif kind in ("add", "replace"):
            if kind == "replace" and last not in parent:
                raise JsonPointerError(f"replace of missing member {op['path']!r}")
            parent[last] = value
        else:
            raise JsonPointerError(f"unsupported op {kind!r}")
    return result
