"""Glob patterns with the syntax Argo CD's RBAC uses (``gobwas/glob`` v0.2, no separators).

``/`` is not a separator, so ``*`` and ``**`` both match any run of characters, slashes
included (``delete/*`` matches ``delete/apps/Deployment/ns/web``). ``?`` matches one
character, ``[abc]`` / ``[a-z]`` one character of a list or a single range (``!`` right after
``[`` negates), ``{a,b}`` one of the alternatives (nesting allowed, an unclosed ``{`` closes
at the end), and ``\\`` makes the next character literal. Outside braces ``,`` and ``}`` are
plain text.

A pattern gobwas cannot compile (``[a-z0-9]``: one class holds one list *or* one range,
``[]``, an unclosed ``[``, a range that runs backwards) matches nothing: Argo CD logs it and
the rule never applies, for allow and deny alike. :func:`compile_glob` returns ``None`` then.
"""

from __future__ import annotations

import re

__all__ = ["compile_glob", "is_literal_glob"]

_META = frozenset("*?[{\\")
_TEXT_BREAKS = frozenset("*?[{")
_TERM_BREAKS = _TEXT_BREAKS | frozenset(",}")


def is_literal_glob(pattern: str) -> bool:
    """Whether ``pattern`` has no glob syntax at all (it then matches only itself)."""
    return not _META.intersection(pattern)


def _text(pattern: str, i: int, breaks: frozenset[str]) -> tuple[str, int]:
    """Read literal text up to an unescaped break character; a trailing ``\\`` is dropped."""
    out: list[str] = []
    escaped = False
    while i < len(pattern):
        ch = pattern[i]
        if not escaped and ch == "\\":
            escaped = True
            i += 1
            continue
        if not escaped and ch in breaks:
            break
        escaped = False
        out.append(ch)
        i += 1
    return "".join(out), i


def _char_class(pattern: str, i: int) -> tuple[str, int] | None:
    """Translate the class after the ``[`` at ``pattern[i - 1]``; ``None`` if gobwas rejects it.

    gobwas reads an optional ``!``, then *either* ``lo-hi`` (two raw characters) *or* text up
    to ``]`` (escapes allowed), and then insists on ``]``.
    """
    negate = i < len(pattern) and pattern[i] == "!"
    i += negate
    if i + 1 < len(pattern) and pattern[i + 1] == "-":
        if i + 2 >= len(pattern):
            return None
        low, high = pattern[i], pattern[i + 2]
        body = f"{re.escape(low)}-{re.escape(high)}" if low <= high else ""
        i += 3
    else:
        chars, i = _text(pattern, i, frozenset("]"))
        body = "".join(re.escape(c) for c in chars)
    if not body or i >= len(pattern) or pattern[i] != "]":
        return None  # empty, backwards or unclosed
    return f"[{'^' if negate else ''}{body}]", i + 1


def _translate(pattern: str) -> str | None:
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "{":
            depth += 1
            out.append("(?:")
            i += 1
        elif ch == "," and depth:
            out.append("|")
            i += 1
        elif ch == "}" and depth:
            depth -= 1
            out.append(")")
            i += 1
        elif ch == "[":
            piece = _char_class(pattern, i + 1)
            if piece is None:
                return None
            out.append(piece[0])
            i = piece[1]
        elif ch == "?":
            out.append(".")
            i += 1
        elif ch == "*":
            out.append(".*")
            i += 2 if pattern.startswith("**", i) else 1
        else:
            text, i = _text(pattern, i, _TERM_BREAKS if depth else _TEXT_BREAKS)
            out.append(re.escape(text))
    # gobwas accepts a pattern that ends inside braces; the open alternatives end there.
    return "".join(out) + ")" * depth


def compile_glob(pattern: str) -> re.Pattern[str] | None:
    """Compile ``pattern`` to a regex to use with ``fullmatch``; ``None`` if it is invalid."""
    translated = _translate(pattern)
    return None if translated is None else re.compile(translated, re.DOTALL)
