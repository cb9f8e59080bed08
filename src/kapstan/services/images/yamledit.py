"""Changing one scalar of a YAML file in place, keeping everything else byte for byte
(comments, order, quoting, blank lines): what the ``helmvalues`` Git write-back needs.

Contract of :func:`set_scalar`: ``dotted`` (``image.tag``) names a path of block-style mapping
keys; the value after the last key is replaced on its line, its trailing comment kept, quoted
as the old value was (plain when that reads back as the same string, else double quotes).
The result is parsed again and must hold ``value`` at the path. A missing key, a flow-style or
multi-line value, or anything else it cannot edit safely raises :class:`YamlEditError`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml


class YamlEditError(ValueError):
    """The file cannot be edited safely at that path."""


_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[^\s#:][^:#]*?|\"[^\"]*\"|'[^']*')\s*:(?=\s|$)")
_VALUE = re.compile(r"^(?P<head>\s*\S[^:]*:[ \t]*)(?P<value>.*?)(?P<tail>[ \t]+#.*)?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _skip(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _render(old: str, value: str) -> str:
    if old.startswith('"'):
        return json.dumps(value)
    if old.startswith("'"):
        return "'" + value.replace("'", "''") + "'"
    try:
        plain_ok = yaml.safe_load(f"k: {value}") == {"k": value}
    except yaml.YAMLError:
        plain_ok = False
    return value if plain_ok else json.dumps(value)


def _dig(doc: Any, keys: list[str]) -> Any:
    for key in keys:
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def set_scalar(text: str, dotted: str, value: str) -> str:
    """``text`` with the scalar at ``dotted`` set to ``value`` (see the module contract)."""
    keys = [k for k in dotted.split(".") if k]
    if not keys:
        raise YamlEditError("empty key path")
    lines = text.splitlines(keepends=True)
    start, end, parent = 0, len(lines), -1
    found = -1
    for depth, key in enumerate(keys):
        found = -1
        child_indent: int | None = None
        for i in range(start, end):
            line = lines[i]
            if _skip(line):
                continue
            ind = _indent(line)
            if ind <= parent:
                end = i
                break
            if child_indent is None:
                child_indent = ind
            if ind != child_indent:
                continue
            m = _KEY.match(line)
            if m and m.group("key").strip("\"'") == key:
                found = i
                break
        if found < 0:
            raise YamlEditError(f"key {'.'.join(keys[: depth + 1])} not found")
        parent = _indent(lines[found])
        start = found + 1
        # the block of this key ends at the next line indented no deeper than it
        end = next(
            (
                j
                for j in range(start, len(lines))
                if not _skip(lines[j]) and _indent(lines[j]) <= parent
            ),
            len(lines),
        )
    line = lines[found]
    newline = "\n" if line.endswith("\n") else ""
    m = _VALUE.match(line.rstrip("\n"))
    if m is None or not m.group("value") or m.group("value")[0] in "{[|>&*":
        raise YamlEditError(f"{dotted} is not a one-line scalar")
    lines[found] = (
        m.group("head") + _render(m.group("value"), value) + (m.group("tail") or "") + newline
    )
    out = "".join(lines)
    try:
        check = yaml.safe_load(out)
    except yaml.YAMLError as err:
        raise YamlEditError(f"editing {dotted} would break the file: {err}") from None
    if _dig(check, keys) != value:
        raise YamlEditError(f"{dotted} could not be set safely")
    return out


__all__ = ["YamlEditError", "set_scalar"]
