"""What Go's typed conversion rejects, for the fields a mirrored gitops-engine rule reads.

gitops-engine converts an object to its typed Go struct
(``runtime.DefaultUnstructuredConverter.FromUnstructured``) before judging it, and a
mistyped field fails the whole assessment: Argo CD then reports ``Unknown`` with the
converter's message. :func:`conversion_error` reproduces that message for the fields a
schema lists, walking them in Go struct order so the first error matches. Fields a rule
never reads are not listed: Argo CD would also reject them, Kapstan tolerates them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kapstan.engine.health._fields import HealthCheckError

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True, slots=True)
class Scalar:
    """A Go scalar: ``go_type`` as ``reflect.Type.String()`` prints it, ``kind`` its kind."""

    go_type: str
    kind: str  # "string", "int32", "int64" or "bool"


@dataclass(frozen=True, slots=True)
class Struct:
    fields: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class Slice:
    elem: Node


@dataclass(frozen=True, slots=True)
class StringMap:
    """``map[string]string`` (labels, annotations)."""


Node = Scalar | Struct | Slice | StringMap

STRING = Scalar("string", "string")
INT32 = Scalar("int32", "int32")
INT64 = Scalar("int64", "int64")
BOOL = Scalar("bool", "bool")
CONDITION_STATUS = Scalar("v1.ConditionStatus", "string")


def struct(*fields: tuple[str, Node]) -> Struct:
    return Struct(fields)


def condition(type_name: str) -> Struct:
    """A ``[]XxxCondition`` element: type, status, reason, message (Go field order)."""
    return struct(
        ("type", Scalar(type_name, "string")),
        ("status", CONDITION_STATUS),
        ("reason", STRING),
        ("message", STRING),
    )


OBJECT_META = struct(
    ("name", STRING),
    ("namespace", STRING),
    ("generation", INT64),
    ("labels", StringMap()),
    ("annotations", StringMap()),
    ("finalizers", Slice(STRING)),
)


def go_kind(value: object) -> str:
    """The ``reflect.Kind`` Go's unstructured decoding gives a JSON value."""
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Sequence):
        return "slice"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        # Beyond int64, Go's JSON number decoding falls back to float64.
        return "int64" if _INT64_MIN <= value <= _INT64_MAX else "float64"
    return "float64"


def _scalar_error(value: object, node: Scalar) -> str | None:
    kind = go_kind(value)
    if node.kind == "string":
        if kind == "string":
            return None
        # Go converts integers to strings (as runes), so the converter names the pair;
        # other kinds are not convertible at all.
        if kind == "int64":
            return f"cannot convert int64 to {node.go_type}"
        return "unrecognized type: string"
    if node.kind == "bool":
        return None if kind == "bool" else "unrecognized type: bool"
    if kind == "int64":
        return None
    if kind == "float64":
        # A whole float converts (overflow wraps, as in Go); an int beyond int64 is a
        # whole float64 in Go. NaN and fractions do not convert.
        if isinstance(value, int) or (
            isinstance(value, float) and (math.isinf(value) or value.is_integer())
        ):
            return None
        return f"cannot convert float64 to {node.go_type}"
    return f"unrecognized type: {node.kind}"


def _step(current: object, shape: Node) -> tuple[str | None, list[tuple[object, Node]]]:
    """One value's own error, or its children to check next, in Go field order."""
    if isinstance(shape, Scalar):
        return _scalar_error(current, shape), []
    if isinstance(shape, StringMap):
        if not isinstance(current, Mapping):
            return f"cannot restore map from {go_kind(current)}", []
        return None, [(v, STRING) for v in current.values()]
    if isinstance(shape, Slice):
        if not isinstance(current, Sequence) or isinstance(current, str):
            return f"cannot restore slice from {go_kind(current)}", []
        return None, [(item, shape.elem) for item in current]
    if not isinstance(current, Mapping):
        return f"cannot restore struct from: {go_kind(current)}", []
    return None, [(current.get(name), sub) for name, sub in shape.fields]


def conversion_error(value: object, node: Node) -> str | None:
    """The converter's message for the first field of ``value`` that ``node`` rejects.

    Iterative (an explicit stack) so that no object, however deep, can exhaust Python's
    recursion limit; null values are Go's zero value and always accepted.
    """
    stack: list[tuple[object, Node]] = [(value, node)]
    while stack:
        current, shape = stack.pop()
        if current is None:
            continue
        err, children = _step(current, shape)
        if err is not None:
            return err
        stack.extend(reversed(children))
    return None


def require(obj: object, schema: Node, what: str) -> None:
    """Raise gitops-engine's conversion error for ``obj`` (``what``: its message prefix)."""
    err = conversion_error(obj, schema)
    if err is not None:
        raise HealthCheckError(f"{what}: {err}")


def typed_object(spec: Struct | None = None, status: Struct | None = None) -> Struct:
    """A top-level object schema: metadata, then spec and status (Go field order)."""
    fields: list[tuple[str, Node]] = [("metadata", OBJECT_META)]
    if spec is not None:
        fields.append(("spec", spec))
    if status is not None:
        fields.append(("status", status))
    return Struct(tuple(fields))
