"""Regex patterns for ``policy.matchMode: regex``: Go RE2 syntax, matched anywhere.

Argo CD hands each policy field to casbin's ``regexMatch``, which is Go's
``regexp.MatchString(pattern, value)``: an *unanchored* search, so ``app`` matches
``my-app-2``; anchor with ``^...$`` to match whole values. Kapstan evaluates the pattern with
Python's ``re`` after translating the RE2 spellings that differ (``\\z``, ``(?<name>``,
``[[:alpha:]]``). A pattern RE2 would reject (``*``, look-arounds, back-references, ``\\Z``)
- or that Python cannot evaluate the RE2 way (``\\pL`` classes, octal escapes, flags other
than ``i m s``) - is invalid: :func:`compile_regex` returns ``None`` and the evaluation that
reaches it fails, because casbin panics on it and Argo CD denies the request.
"""

from __future__ import annotations

import re
import warnings

__all__ = ["compile_regex"]

_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_POSIX_RE = re.compile(r"\[:(\^?)([a-z]+):\]")
# RE2 rejects these outright, or gives them a meaning Python's re does not share.
_REJECTED_ESCAPES = frozenset("ZCpP0123456789")
_GROUP_FLAGS = re.compile(r"\(\?([a-zA-Z-]*)[:)]")
_RE2_FLAGS = frozenset("ims-")


def _group_ok(pattern: str, i: int) -> bool:
    """Whether the ``(?`` at ``pattern[i]`` opens a group RE2 and Python read alike."""
    rest = pattern[i + 2 : i + 4]
    if rest.startswith(("=", "!", "<=", "<!", "P=", "P>", "#", "(")):
        return False  # look-around, back-reference, comment, conditional: not RE2
    flags = _GROUP_FLAGS.match(pattern, i)
    return flags is None or set(flags.group(1)) <= _RE2_FLAGS


def _translate(pattern: str) -> str | None:
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if not nxt or nxt in _REJECTED_ESCAPES:
                return None
            out.append("\\Z" if nxt == "z" and not in_class else ch + nxt)
            i += 2
            continue
        if in_class:
            posix = _POSIX_RE.match(pattern, i) if ch == "[" else None
            if posix is not None:
                negated, name = posix.groups()
                if name not in _POSIX or negated:
                    return None
                out.append(_POSIX[name])
                i = posix.end()
                continue
            if ch == "[":
                out.append("\\[")  # a literal [ in RE2; Python would warn of a nested set
                i += 1
                continue
            if ch == "]" and out[-1] not in ("[", "[^"):
                in_class = False
        elif ch == "[":
            in_class = True
            caret = pattern.startswith("[^", i)
            out.append("[^" if caret else "[")
            i += 2 if caret else 1
            continue
        elif ch == "(" and pattern.startswith("(?", i):
            if not _group_ok(pattern, i):
                return None
            if pattern.startswith("(?<", i):
                out.append("(?P<")  # Go 1.22 accepts (?<name>...), Python 3.11 wants (?P<name>
                i += 3
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def compile_regex(pattern: str) -> re.Pattern[str] | None:
    """Compile an RE2 ``pattern`` for ``search``; ``None`` if RE2 (or Python) rejects it."""
    translated = _translate(pattern)
    if translated is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return re.compile(translated)
        except (re.error, Warning):
            return None
