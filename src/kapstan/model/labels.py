"""Kubernetes label selectors in their string form (``kubectl -l``, ``labelSelector=``, Argo
CD's ``selector=``): the one parser product code and the test fakes share.

Contract of :func:`label_matcher`: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin
(a,b)``, ``k`` and ``!k``, comma-separated requirements that must all hold (commas inside
parentheses belong to the set); empty text matches everything. A malformed requirement raises
:class:`SelectorError` naming it. :func:`split_requirements` is the comma split, for field
selectors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

LabelMatcher = Callable[[Mapping[str, str]], bool]

_SET_REQ = re.compile(r"^(!?)\s*([A-Za-z0-9._/-]+)\s+(in|notin)\s*\(([^()]*)\)$")
_EQ_REQ = re.compile(r"^([A-Za-z0-9._/-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)$")
_KEY = re.compile(r"^(!?)\s*([A-Za-z0-9._/-]+)$")


class SelectorError(ValueError):
    """A selector that does not parse; the message names the requirement."""


def split_requirements(text: str) -> list[str]:
    """``text`` split at commas outside parentheses, blanks dropped."""
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
    return [p.strip() for p in parts if p.strip()]


def _requirement(text: str) -> LabelMatcher:
    found = _SET_REQ.match(text)
    if found and not found.group(1):
        key, op = found.group(2), found.group(3)
        values = {v.strip() for v in found.group(4).split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    found = _EQ_REQ.match(text)
    if found:
        key, op, value = found.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    found = _KEY.match(text)
    if found:
        negate, key = found.group(1) == "!", found.group(2)
        return lambda labels: (key in labels) != negate
    raise SelectorError(f"unable to parse requirement: {text!r}")


def label_matcher(text: str) -> LabelMatcher:
    """A matcher over a label map for ``text`` (see the module contract)."""
    requirements = [_requirement(part) for part in split_requirements(text or "")]
    return lambda labels: all(req(labels) for req in requirements)


__all__ = ["LabelMatcher", "SelectorError", "label_matcher", "split_requirements"]
