"""Kubernetes label selectors (``selector=`` on app lists and streams).

Contract of :func:`parse_selector`: the string syntax kubectl accepts — ``k=v``, ``k==v``,
``k!=v``, ``k``, ``!k``, ``k in (a,b)``, ``k notin (a,b)``, comma-separated requirements all of
which must hold; a malformed selector raises :class:`~kapstan.api.errors.ApiError`
(InvalidArgument).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from kapstan.api.errors import invalid

Matcher = Callable[[Mapping[str, str]], bool]
_SET = re.compile(r"^\s*(!?)([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_KEY = re.compile(r"^[\w./-]+$")


def _split(text: str) -> list[str]:
    """Requirements, splitting at commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in (x.strip() for x in parts) if p]


def _requirement(text: str) -> Matcher:
    found = _SET.match(text)
    if found:
        _, key, op, values = found.groups()
        wanted = {v.strip() for v in values.split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in wanted
        return lambda labels: labels.get(key) not in wanted
    for op in ("!=", "==", "="):
        if op in text:
            key, _, value = (p.strip() for p in text.partition(op))
            if not _KEY.match(key):
                break
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
    if text.startswith("!") and _KEY.match(text[1:].strip()):
        key = text[1:].strip()
        return lambda labels: key not in labels
    if _KEY.match(text):
        return lambda labels: text in labels
    raise invalid(f"invalid label selector {text!r}")


def parse_selector(text: str) -> Matcher:
    """A matcher for ``text`` (see the module contract); empty text matches everything."""
    matchers = [_requirement(r) for r in _split(text)]
    return lambda labels: all(m(labels) for m in matchers)


__all__ = ["parse_selector"]
