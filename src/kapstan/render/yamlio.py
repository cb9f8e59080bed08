"""Safe loading of Kubernetes manifests from YAML and JSON.

Contract of :func:`load_manifests`:

- YAML 1.1 on libyaml (``CSafeLoader``) like go-yaml v2, except that timestamps stay strings
  (``2024-01-01`` is not a date), as sigs.k8s.io/yaml does when decoding into ``interface{}``;
- a mapping with a duplicate key is an error (kubectl rejects it too);
- a file over ``limits.max_file_bytes`` or with more than ``limits.max_documents_per_file``
  documents is rejected before/while parsing;
- a document whose alias expansion would exceed ``limits.max_alias_nodes`` nodes, or which is
  recursive, is rejected before it is constructed (YAML bombs);
- empty documents are skipped; a document that is not a mapping, or lacks ``apiVersion`` or
  ``kind``, is an error; ``kind: List`` (and ``*List`` with ``items``) is flattened;
- every error is a :class:`RenderError` naming the file and the 1-based line.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kapstan.render.base import Limits, RenderError

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(yaml.CSafeLoader):
    """CSafeLoader without the timestamp resolver and with duplicate-key rejection."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            if key_node.tag == _MERGE:
                continue  # merge keys may legitimately repeat keys they bring in
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise RenderError(
                    "mapping key is not hashable", line=key_node.start_mark.line + 1
                ) from None
            if duplicate:
                raise RenderError(f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


# Per-class resolver table: copying it keeps the global CSafeLoader untouched.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def _expanded_size(root: Node, limit: int) -> tuple[int, bool]:
    """Count nodes with aliases expanded (memoised, so linear in the graph), and whether any
    node is shared (an alias). Raises on recursion or when the count passes ``limit``."""
    sizes: dict[int, int] = {}
    shared = False
    # Iterative post-order walk: deep documents must not hit Python's recursion limit.
    stack: list[tuple[Node, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            active.discard(nid)
            total = 1
            for child in _children(node):
                total += sizes[id(child)]
            if total > limit:
                raise RenderError(
                    f"document expands to more than {limit} nodes (alias bomb?)",
                    line=root.start_mark.line + 1,
                )
            sizes[nid] = total
            continue
        if nid in sizes:
            shared = True
            continue
        if nid in active:
            raise RenderError("recursive alias", line=node.start_mark.line + 1)
        active.add(nid)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in active:
                raise RenderError("recursive alias", line=child.start_mark.line + 1)
            if id(child) in sizes:
                shared = True
            else:
                stack.append((child, False))
    return sizes[id(root)], shared


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _unshare(value: Any) -> Any:
    """Copy a structure whose parts may be shared through aliases, so that callers can mutate
    one object without changing another (deepcopy would keep the sharing)."""
    if isinstance(value, dict):
        return {k: _unshare(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unshare(v) for v in value]
    return value


def _is_list_kind(obj: dict[str, Any]) -> bool:
    kind = obj.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list)


def _accept(
    obj: Any, *, name: str, line: int | None, out: list[tuple[int | None, dict[str, Any]]]
) -> None:
    if obj is None:
        return  # empty document: kubectl and Argo CD skip it
    if not isinstance(obj, dict):
        raise RenderError(
            f"document is a {type(obj).__name__}, not a Kubernetes object", file=name, line=line
        )
    if _is_list_kind(obj):
        for item in obj["items"]:
            _accept(item, name=name, line=line, out=out)
        return
    for field_name in ("apiVersion", "kind"):
        value = obj.get(field_name)
        if not isinstance(value, str) or not value:
            raise RenderError(f"object has no {field_name}", file=name, line=line)
    out.append((line, obj))


def load_manifests(
    data: bytes, *, name: str, limits: Limits, json: bool = False
) -> list[tuple[int | None, dict[str, Any]]]:
    """Parse ``data`` (the content of ``name``) into ``(line, object)`` pairs; see module doc."""
    if len(data) > limits.max_file_bytes:
        raise RenderError(
            f"file is {len(data)} bytes, over the limit of {limits.max_file_bytes}", file=name
        )
    out: list[tuple[int | None, dict[str, Any]]] = []
    if json:
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError as e:
            raise RenderError(f"invalid JSON: {e.msg}", file=name, line=e.lineno) from None
        docs = parsed if isinstance(parsed, list) else [parsed]
        for doc in docs:
            _accept(doc, name=name, line=None, out=out)
    else:
        _load_yaml(data, name=name, limits=limits, out=out)
    if len(out) > limits.max_documents_per_file:
        raise RenderError(
            f"more than {limits.max_documents_per_file} documents in one file", file=name
        )
    return out


def _load_yaml(
    data: bytes, *, name: str, limits: Limits, out: list[tuple[int | None, dict[str, Any]]]
) -> None:
    loader = _Loader(data)
    count = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            count += 1
            if count > limits.max_documents_per_file:
                raise RenderError(
                    f"more than {limits.max_documents_per_file} documents in one file", file=name
                )
            line = node.start_mark.line + 1
            if isinstance(node, ScalarNode) and node.value == "" and node.tag.endswith("null"):
                continue
            _size, shared = _expanded_size(node, limits.max_alias_nodes)
            obj = loader.construct_document(node)
            if shared:
                obj = _unshare(obj)
            _accept(obj, name=name, line=line, out=out)
    except RenderError as e:
        if e.file is None:
            raise RenderError(e.reason, file=name, line=e.line) from None
        raise
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(p for p in (e.context, e.problem) if p) or "invalid YAML"
        raise RenderError(f"invalid YAML: {reason}", file=name, line=line) from None
    except yaml.YAMLError as e:
        raise RenderError(f"invalid YAML: {e}", file=name) from None
    finally:
        loader.dispose()


def load_file(path: Path, *, name: str, limits: Limits) -> list[tuple[int | None, dict[str, Any]]]:
    """Read and parse one manifest file, checking its size before reading it whole."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise RenderError(f"cannot read: {e.strerror}", file=name) from None
    if size > limits.max_file_bytes:
        raise RenderError(
            f"file is {size} bytes, over the limit of {limits.max_file_bytes}", file=name
        )
    with path.open("rb") as f:
        # Read one byte past the limit: the file may have grown since stat().
        data = f.read(limits.max_file_bytes + 1)
    return load_manifests(data, name=name, limits=limits, json=path.suffix == ".json")


def load_values(text: str, *, name: str, limits: Limits) -> Any:
    """Parse one YAML document of Helm values with the same safety rules (no kind needed)."""
    data = text.encode()
    if len(data) > limits.max_file_bytes:
        raise RenderError(f"over the limit of {limits.max_file_bytes} bytes", file=name)
    loader = _Loader(data)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, limits.max_alias_nodes)
        return _unshare(loader.construct_document(node))
    except RenderError as e:
        raise RenderError(e.reason, file=name, line=e.line) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise RenderError(
            f"invalid YAML: {e.problem}", file=name, line=mark.line + 1 if mark else None
        ) from None
    finally:
        loader.dispose()


def tool_limits(limits: Limits) -> Limits:
    """Limits for a tool's whole output stream: bounded by the output cap, not the file cap."""
    return replace(
        limits, max_file_bytes=limits.max_output, max_documents_per_file=limits.max_documents
    )
