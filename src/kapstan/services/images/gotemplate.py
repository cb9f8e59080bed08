"""The small part of Go's ``text/template`` that argocd-image-updater's branch and commit
message templates use: ``{{ .Field }}``, ``{{ range .List }}…{{ end }}`` (fields inside refer to
the item), and the ``{{-``/``-}}`` whitespace trims.

Contract of :func:`render`: fields are looked up in ``data`` (dicts; a field of a range item
first, then the top level); an unknown field, an unbalanced ``range``/``end`` or any other
action raises :class:`TemplateError` naming it, so a typo never produces a silently wrong
branch or message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)
_FIELD = re.compile(r"^\.(\w+)$")
_RANGE = re.compile(r"^range\s+\.(\w+)$")


class TemplateError(ValueError):
    """A template Kapstan cannot render."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _ACTION.finditer(text):
        literal = text[pos : m.start()]
        if m.group(1):
            literal = literal.rstrip()
        if out and out[-1][0] == "trim-next":
            out.pop()
            literal = literal.lstrip()
        out.append(("text", literal))
        out.append(("action", m.group(2)))
        if m.group(3):
            out.append(("trim-next", ""))
        pos = m.end()
    tail = text[pos:]
    if out and out[-1][0] == "trim-next":
        out.pop()
        tail = tail.lstrip()
    out.append(("text", tail))
    return out


def _lookup(name: str, scopes: Sequence[Mapping[str, Any]]) -> Any:
    for scope in scopes:
        if name in scope:
            return scope[name]
    raise TemplateError(f"template field .{name} does not exist")


def _run(
    tokens: list[tuple[str, str]], i: int, scopes: Sequence[Mapping[str, Any]], out: list[str]
) -> int:
    """Render from ``tokens[i]`` until a matching ``end`` (returned index) or the end."""
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "text":
            out.append(value)
            i += 1
            continue
        if value == "end":
            return i
        if m := _FIELD.match(value):
            out.append(str(_lookup(m.group(1), scopes)))
            i += 1
            continue
        if m := _RANGE.match(value):
            items = _lookup(m.group(1), scopes)
            if not isinstance(items, list):
                raise TemplateError(f"template .{m.group(1)} is not a list")
            end = _skip_to_end(tokens, i + 1)
            for item in items:
                _run(tokens[i + 1 : end], 0, [item, *scopes], out)
            i = end + 1
            continue
        raise TemplateError(f"template action {{{{{value}}}}} is not supported")
    return i


def _skip_to_end(tokens: list[tuple[str, str]], i: int) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        kind, value = tokens[j]
        if kind != "action":
            continue
        if _RANGE.match(value):
            depth += 1
        elif value == "end":
            if depth == 0:
                return j
            depth -= 1
    raise TemplateError("template range without end")


def render(text: str, data: Mapping[str, Any]) -> str:
    """``text`` rendered with ``data`` (see the module contract)."""
    tokens = _tokens(text)
    out: list[str] = []
    stop = _run(tokens, 0, [data], out)
    if stop < len(tokens):
        raise TemplateError("template end without range")
    return "".join(out)


__all__ = ["TemplateError", "render"]
