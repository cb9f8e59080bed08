"""The non-apply PATCH formats, over plain JSON values (inputs are never mutated); RFC 7386
merge patch is the engine's :func:`kapstan.engine.actions.patches.merge_patch`.

- :func:`json_patch`: RFC 6902 JSON patch (exact: ``add``, ``remove``, ``replace``, ``move``,
  ``copy``, ``test``; a failing op raises :class:`PatchFailed`, which the server answers with
  422 as kube-apiserver does; a malformed patch raises :class:`PatchMalformed`, 400).
- :func:`strategic_merge`: an approximation of strategic merge patch. Maps merge, ``null``
  deletes, lists the :class:`~kapstan.testing.fakekube.fieldpaths.Schema` knows as keyed merge
  item by item on their first key (``name``, ``containerPort``…, like ``patchMergeKey``),
  ``metadata.finalizers`` merges as a set, other lists are replaced. Directives supported:
  ``$patch: replace|delete`` (maps and list items), ``$deleteFromPrimitiveList/<field>``,
  ``$retainKeys``; ``$setElementOrder/<field>`` is accepted and ignored.
"""

from __future__ import annotations

import copy
from typing import Any

from kapstan.testing.fakekube.fieldpaths import SET, Path, Schema


class PatchMalformed(ValueError):
    """The patch document itself is wrong (400)."""


class PatchFailed(ValueError):
    """The patch does not apply to the object (422)."""


# -- RFC 6902 -------------------------------------------------------------------------------


def _tokens(pointer: Any) -> list[str]:
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        raise PatchMalformed(f"invalid JSON pointer {pointer!r}")
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(node: list[Any], ref: str, pointer: str, *, end: bool) -> int:
    if end and ref == "-":
        return len(node)
    if not ref.isdigit() or (len(ref) > 1 and ref[0] == "0"):
        raise PatchFailed(f"invalid array index {ref!r} in {pointer}")
    i = int(ref)
    if i > len(node) or (i == len(node) and not end):
        raise PatchFailed(f"array index {i} out of bounds in {pointer}")
    return i


def _parent(doc: Any, pointer: str, op: str) -> tuple[Any, str]:
    tokens = _tokens(pointer)
    if not tokens:
        raise PatchFailed(f"{op} operation does not apply to the whole document")
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, pointer, end=False)]
        else:
            raise PatchFailed(f'{op} operation does not apply: doc is missing path: "{pointer}"')
    return node, tokens[-1]


def _get(doc: Any, pointer: str, op: str) -> Any:
    node = doc
    for token in _tokens(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, pointer, end=False)]
        else:
            raise PatchFailed(f'{op} operation does not apply: doc is missing path: "{pointer}"')
    return node


def _add(doc: Any, pointer: str, value: Any) -> Any:
    if pointer == "":
        return value
    parent, last = _parent(doc, pointer, "add")
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, pointer, end=True), value)
    else:
        raise PatchFailed(f'add operation does not apply: doc is missing path: "{pointer}"')
    return doc


def _remove(doc: Any, pointer: str, op: str = "remove") -> Any:
    parent, last = _parent(doc, pointer, op)
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, pointer, end=False))
    raise PatchFailed(f"{op} operation does not apply: doc is missing key: {pointer}")


def _op_add(doc: Any, op: dict[str, Any]) -> Any:
    return _add(doc, str(op["path"]), copy.deepcopy(op["value"]))


def _op_remove(doc: Any, op: dict[str, Any]) -> Any:
    _remove(doc, str(op["path"]))
    return doc


def _op_replace(doc: Any, op: dict[str, Any]) -> Any:
    if op["path"] == "":
        return copy.deepcopy(op["value"])
    _remove(doc, str(op["path"]), "replace")
    return _add(doc, str(op["path"]), copy.deepcopy(op["value"]))


def _op_move(doc: Any, op: dict[str, Any]) -> Any:
    return _add(doc, str(op["path"]), _remove(doc, str(op["from"]), "move"))


def _op_copy(doc: Any, op: dict[str, Any]) -> Any:
    return _add(doc, str(op["path"]), copy.deepcopy(_get(doc, str(op["from"]), "copy")))


def _op_test(doc: Any, op: dict[str, Any]) -> Any:
    if _get(doc, str(op["path"]), "test") != op["value"]:
        raise PatchFailed(f"testing value {op['path']} failed: test failed")
    return doc


_OPS = {
    "add": (_op_add, "value"),
    "remove": (_op_remove, ""),
    "replace": (_op_replace, "value"),
    "move": (_op_move, "from"),
    "copy": (_op_copy, "from"),
    "test": (_op_test, "value"),
}


def json_patch(doc: Any, ops: Any) -> Any:
    """Apply RFC 6902 ``ops`` to a copy of ``doc``."""
    if not isinstance(ops, list):
        raise PatchMalformed("a JSON patch must be a list of operations")
    out = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "path" not in op:
            raise PatchMalformed(f"invalid JSON patch operation {op!r}")
        found = _OPS.get(str(op.get("op")))
        if found is None:
            raise PatchMalformed(f"unexpected JSON patch operation {op.get('op')!r}")
        apply, needs = found
        if needs and needs not in op:
            raise PatchMalformed(f"{op['op']} operation needs {needs!r}")
        out = apply(out, op)
    return out


# -- strategic merge ----------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """``value`` without strategic-merge directives."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return copy.deepcopy(value)


def strategic_merge(target: Any, patch: Any, schema: Schema, path: Path = ()) -> Any:
    """Apply a strategic merge ``patch`` to ``target`` (``None``: ``$patch: delete``)."""
    if not isinstance(patch, dict) or not isinstance(target, dict):
        return _clean(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return _clean(patch)
    if directive == "delete":
        return None
    out = dict(target)
    for k, v in patch.items():
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            out[field] = [x for x in out.get(field) or [] if x not in (v or [])]
        elif not k.startswith("$"):
            _merge_field(out, k, v, schema, (*path, f"f:{k}"))
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _merge_field(out: dict[str, Any], k: str, v: Any, schema: Schema, here: Path) -> None:
    cur = out.get(k)
    if v is None or (isinstance(v, dict) and v.get("$patch") == "delete"):
        out.pop(k, None)
    elif isinstance(v, dict) and isinstance(cur, dict):
        merged = strategic_merge(cur, v, schema, here)
        if merged is None:
            out.pop(k, None)
        else:
            out[k] = merged
    elif isinstance(v, list) and isinstance(cur, list):
        out[k] = _merge_list(cur, v, schema, here)
    else:
        out[k] = _clean(v)


def _merge_list(cur: list[Any], patch: list[Any], schema: Schema, path: Path) -> list[Any]:
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [_clean(i) for i in patch if not (isinstance(i, dict) and "$patch" in i)]
    lt = schema.list_type(path, cur + patch)
    if lt is None:
        return [_clean(i) for i in patch]
    if lt == SET:
        return copy.deepcopy(cur) + [x for x in patch if x not in cur]
    key = lt[0]  # strategic merge matches on patchMergeKey alone
    out = copy.deepcopy(cur)
    for item in patch:
        at = next((i for i, c in enumerate(out) if c.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            if at is not None:
                del out[at]
        elif at is not None:
            out[at] = strategic_merge(out[at], item, schema, path)
        else:
            out.append(_clean(item))
    return out
