"""Glob matching with Argo CD's semantics (gobwas/glob syntax) and Git URL normalization."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["glob_match", "is_deny", "normalize_git_url"]


def is_deny(pattern: str) -> bool:
    """Return whether ``pattern`` is a negated (``!``-prefixed) pattern."""
    return pattern.startswith("!")


def _class(pattern: str, i: int) -> tuple[str, int]:
    """Translate a ``[...]`` character class starting at ``pattern[i] == "["``."""
    end = pattern.find("]", i + 2)
    if end == -1:
        return re.escape("["), i + 1
    body = pattern[i + 1 : end]
    negate = body.startswith(("!", "^"))
    if negate:
        body = body[1:]
    inner = "".join("-" if ch == "-" else re.escape(ch) for ch in body)
    return f"[{'^' if negate else ''}{inner}]", end + 1


@lru_cache(maxsize=1024)
def _compile(pattern: str, separator: str) -> re.Pattern[str]:
    one = f"[^{re.escape(separator)}]" if separator else "."
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern.startswith("**", i):
                out.append(".*")
                i += 2
                continue
            out.append(f"{one}*")
        elif ch == "?":
            out.append(one)
        elif ch == "[":
            piece, i = _class(pattern, i)
            out.append(piece)
            continue
        elif ch == "{":
            depth += 1
            out.append("(?:")
        elif ch == "}" and depth:
            depth -= 1
            out.append(")")
        elif ch == "," and depth:
            out.append("|")
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    if depth:  # unbalanced braces: treat the pattern literally
        return re.compile(re.escape(pattern), re.DOTALL)
    return re.compile("".join(out), re.DOTALL)


def glob_match(
    pattern: str, value: str, *, allow_negation: bool = False, separator: str = ""
) -> bool:
    """Match ``value`` against ``pattern`` like Argo CD's ``globMatch``.

    With ``allow_negation`` a ``!pattern`` returns the inverse of matching ``pattern``.
    ``separator`` (``"/"`` for repository URLs) stops ``*`` and ``?`` but not ``**``.
    """
    if allow_negation and is_deny(pattern):
        return _compile(pattern[1:], separator).fullmatch(value) is None
    if pattern == "*":
        return True
    return _compile(pattern, separator).fullmatch(value) is not None


_SCP_LIKE = re.compile(r"^[\w.+-]+@[\w.-]+:(?!//)")


def normalize_git_url(url: str) -> str:
    """Normalize a repository URL the way Argo CD's ``git.NormalizeGitURL`` does.

    Lower-cases, trims, rewrites ``user@host:path`` SSH shorthand to ``user@host/path``,
    drops a ``ssh://`` prefix and a ``.git`` suffix.
    """
    repo = url.strip().lower()
    if _SCP_LIKE.match(repo) and not repo.startswith("ssh://"):
        repo = repo.replace(":", "/", 1)
    repo = repo.removeprefix("ssh://")
    return repo.removesuffix(".git")
