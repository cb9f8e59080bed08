"""JSON carried in annotations, decoded with the limits and messages of Go's encoding/json.

Annotations such as ``autoscaling.alpha.kubernetes.io/conditions`` are free text: any
depth, any type. Go rejects nesting deeper than 10000 before decoding anything; Python's
decoder recurses and would raise ``RecursionError`` far earlier. :func:`loads` checks the
depth first without recursing, so deep input yields Go's message instead of an exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

GO_MAX_DEPTH = 10_000


class GoJSONError(ValueError):
    """A decoding error, worded as Go's encoding/json words it where Go defines one."""


def _quote_char(char: str) -> str:
    # Go's quoteChar: '\'' and '"' are spelled out, others go through strconv.Quote.
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    return "'" + json.dumps(char)[1:-1] + "'"


def _excess_depth(text: str) -> str | None:
    """The bracket that first nests deeper than Go allows, outside string literals."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > GO_MAX_DEPTH:
                return char
        elif char in "]}":
            depth -= 1
    return None


def _no_constants(name: str) -> Any:
    # Python accepts NaN and Infinity literals; Go's scanner stops at their first letter.
    if name == "-Infinity":
        raise GoJSONError("invalid character 'I' in numeric literal")
    raise GoJSONError(f"invalid character {_quote_char(name[0])} looking for beginning of value")


def loads(text: str) -> Any:
    """Decode ``text``; raises :class:`GoJSONError` (never ``RecursionError``)."""
    bracket = _excess_depth(text)
    if bracket is not None:
        raise GoJSONError(f"invalid character {_quote_char(bracket)} exceeded max depth")
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError as err:
        # Deeper than Python's decoder can go but within Go's limit: Go would decode it;
        # Kapstan reports the limit it hit rather than a wrong verdict.
        raise GoJSONError("nesting too deep for Kapstan's JSON decoder") from err
    except GoJSONError:
        raise
    except ValueError as err:
        raise GoJSONError(str(err)) from err


def json_kind(value: object) -> str:
    """The JSON type name Go's ``UnmarshalTypeError`` reports for ``value``."""
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Sequence):
        return "array"
    if isinstance(value, bool):
        return "bool"
    return "number"


def _fold(name: str) -> str:
    # encoding/json matches field names case-insensitively; U+017F and U+212A fold to
    # ASCII letters there as they do in Unicode simple folding.
    return name.replace("\u017f", "s").replace("\u212a", "k").lower()


def unmarshal_structs(value: object, fields: Sequence[str], go_elem: str) -> list[dict[str, str]]:
    """Go's ``json.Unmarshal`` into ``[]struct{<fields> string}`` named ``go_elem``.

    ``go_elem`` is the element type as Go prints it (``health.hpaCondition``). Keys match
    the fields case-insensitively; any type mismatch raises Go's first error.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise GoJSONError(
            f"json: cannot unmarshal {json_kind(value)} into Go value of type []{go_elem}"
        )
    by_fold = {_fold(name): name for name in fields}
    struct_name = go_elem.rpartition(".")[2]
    out: list[dict[str, str]] = []
    for item in value:
        entry = dict.fromkeys(fields, "")
        if isinstance(item, Mapping):
            for key, field_value in item.items():
                name = by_fold.get(_fold(str(key)))
                if name is None or field_value is None:
                    continue
                if not isinstance(field_value, str):
                    raise GoJSONError(
                        f"json: cannot unmarshal {json_kind(field_value)} into Go struct field"
                        f" {struct_name}.{name} of type string"
                    )
                entry[name] = field_value
        elif item is not None:
            raise GoJSONError(
                f"json: cannot unmarshal {json_kind(item)} into Go value of type {go_elem}"
            )
        out.append(entry)
    return out
