"""Compiled policy fields: one :class:`Pattern` per resource, action or object pattern.

The two match modes differ in what an invalid pattern does. In ``glob`` mode Argo CD's
``glob.Match`` logs and returns false, so the rule never applies. In ``regex`` mode casbin's
``regexMatch`` panics, the whole enforcement errors and Argo CD denies: a rule with an
invalid pattern *poisons* every evaluation that reaches it (which is why the built-in roles,
written as globs like ``*/*``, grant nothing under ``regex``; argo-cd #13127).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from kapstan.engine.rbac.globs import compile_glob, is_literal_glob
from kapstan.engine.rbac.regexes import compile_regex
from kapstan.engine.rbac.vocabulary import REGEX

__all__ = ["Pattern", "compile_pattern"]

_REGEX_META = frozenset("\\.^$|?*+()[]{}")


def _never(_value: str) -> bool:
    return False


def _always(_value: str) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Pattern:
    """One compiled field pattern.

    ``matches(value)`` answers for a valid pattern; ``literal`` is set when the pattern can
    only equal one value (so callers can index it); ``poison`` marks an invalid regex, which
    fails the evaluation instead of answering.
    """

    text: str
    matches: Callable[[str], bool]
    always: bool = False
    literal: str | None = None
    valid: bool = True
    poison: bool = False


def _glob(text: str) -> Pattern:
    if text in ("*", "**"):
        return Pattern(text, _always, always=True)
    if is_literal_glob(text):
        return Pattern(text, text.__eq__, literal=text)
    compiled = compile_glob(text)
    if compiled is None:
        return Pattern(text, _never, valid=False)
    full = compiled.fullmatch
    return Pattern(text, lambda value: full(value) is not None)


def _regex(text: str) -> Pattern:
    if not _REGEX_META.intersection(text):
        # No metacharacter: an unanchored search is a substring test.
        return Pattern(text, lambda value: text in value, always=text == "")
    compiled = compile_regex(text)
    if compiled is None:
        return Pattern(text, _never, valid=False, poison=True)
    search = compiled.search
    return Pattern(text, lambda value: search(value) is not None)


@lru_cache(maxsize=8192)
def compile_pattern(text: str, mode: str) -> Pattern:
    """The compiled form of ``text`` under ``mode`` (``glob`` unless ``regex``); cached."""
    return _regex(text) if mode == REGEX else _glob(text)
