"""Values across the Python/Lua boundary, converted the way Argo CD's Go side sees them.

Argo CD hands gopher-lua an object decoded by Go's ``encoding/json``: text is UTF-8 with
every invalid byte or lone surrogate replaced by U+FFFD, every number is a float64, and
JSON ``null`` is ``nil`` (dropped from arrays by ``LTable.Append``). The converters here
produce the same Lua values from any Python object and never raise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_SURROGATES = {cp: "\ufffd" for cp in range(0xD800, 0xE000)}
# surrogateescape decoding maps each undecodable byte to one of these code points.
_ESCAPED_BYTES = {cp: "\ufffd" for cp in range(0xDC80, 0xDD00)}


def utf8(text: str) -> bytes:
    """UTF-8 bytes of ``text``; lone surrogates become U+FFFD as Go's JSON decoder does."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.translate(_SURROGATES).encode("utf-8")


def go_text(raw: bytes) -> str:
    """Decode Lua bytes the way Go's ``json.Marshal`` does: U+FFFD per invalid byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # surrogateescape yields one code point per bad byte (like Go's per-byte
        # RuneError), in one linear pass even for huge strings.
        return raw.decode("utf-8", "surrogateescape").translate(_ESCAPED_BYTES)


def _number(value: int) -> int | float:
    # int64 stays an int (lupa pushes it as a Lua number); beyond int64 Go's unstructured
    # decoding falls back to float64, and beyond float64 to +/-Inf.
    if _INT64_MIN <= value <= _INT64_MAX:
        return value
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def _scalar(value: object) -> tuple[bool, object]:
    """``(is_leaf, lua_value)``; containers report ``(False, None)``."""
    if value is None or isinstance(value, bool | float):
        return True, value
    if isinstance(value, int):
        return True, _number(value)
    if isinstance(value, str):
        return True, utf8(value)
    if isinstance(value, bytes | bytearray):
        return True, bytes(value)
    if isinstance(value, Mapping) or (
        isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)
    ):
        return False, None
    # Go's decodeValue maps anything it does not know to nil.
    return True, None


def _key(key: object) -> bytes:
    return utf8(key) if isinstance(key, str) else utf8(str(key))


class _Frame:
    __slots__ = ("entries", "is_map", "key", "out_list", "out_map", "source_id")

    def __init__(self, value: Mapping[Any, Any] | Sequence[Any], key: object) -> None:
        self.key = key
        self.source_id = id(value)
        self.is_map = isinstance(value, Mapping)
        self.entries: Iterator[tuple[object, object]] = (
            iter(value.items()) if isinstance(value, Mapping) else enumerate(value)
        )
        self.out_map: dict[bytes, object] = {}
        self.out_list: list[object] = []

    def put(self, key: object, value: object) -> None:
        if value is None:
            return  # nil: absent from a table, skipped by Append in an array
        if self.is_map:
            self.out_map[_key(key)] = value
        else:
            self.out_list.append(value)


def to_lua(value: object, table_from: Callable[[object], object]) -> object:
    """The Lua value for ``value``; ``table_from`` builds one (non-recursive) Lua table.

    Iterative so that nesting depth is bounded by memory, not Python's recursion limit; a
    container that contains itself (impossible in JSON) is cut off as nil.
    """
    leaf, converted = _scalar(value)
    if leaf:
        return converted
    stack = [_Frame(value, None)]  # type: ignore[arg-type]  # _scalar proved a container
    on_path = {stack[0].source_id}
    while True:
        frame = stack[-1]
        for key, child in frame.entries:
            leaf, converted = _scalar(child)
            if leaf:
                frame.put(key, converted)
            elif id(child) not in on_path:
                stack.append(_Frame(child, key))  # type: ignore[arg-type]
                on_path.add(id(child))
                break
        else:
            stack.pop()
            on_path.discard(frame.source_id)
            table = table_from(frame.out_map if frame.is_map else frame.out_list)
            if not stack:
                return table
            stack[-1].put(frame.key, table)
