"""cobra's boolean flag forms, so existing ``argocd`` scripts work: ``--cascade=false``,
``--validate=false``, ``--exit-code=true``.

Contract of :func:`normalize`: walking ``argv`` down the command tree to the command it names,
each ``--NAME=true|false`` (any case, also ``1``/``0``) whose ``--NAME`` is a boolean flag
of that command becomes ``--NAME`` (true) or its negative (``--no-NAME``, false; a flag
without a negative given false is dropped, i.e. left at its default, which for such flags is
false). Everything else, and everything after ``--``, is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

TRUE, FALSE = frozenset({"true", "1", "t"}), frozenset({"false", "0", "f"})


def _leaf(command: Any, words: Sequence[str]) -> Any:
    """The command the leading words of ``words`` name (a group's ``commands``)."""
    for word in words:
        if word.startswith("-"):
            continue
        sub = (getattr(command, "commands", None) or {}).get(word)
        if sub is None:
            break
        command = sub
    return command


def _switches(command: Any) -> dict[str, str | None]:
    """``--flag`` → its negative option (``None`` when it has none), for boolean flags."""
    found: dict[str, str | None] = {}
    for param in getattr(command, "params", []):
        if not getattr(param, "is_bool_flag", False):
            continue
        negative = next((o for o in param.secondary_opts if o.startswith("--")), None)
        for opt in param.opts:
            if opt.startswith("--"):
                found[opt] = negative
    return found


def normalize(command: Any, argv: Sequence[str]) -> list[str]:
    words = list(argv)
    switches = _switches(_leaf(command, words))
    out: list[str] = []
    for i, word in enumerate(words):
        if word == "--":
            out.extend(words[i:])
            break
        name, eq, value = word.partition("=")
        if eq and name in switches and value.lower() in TRUE | FALSE:
            if value.lower() in TRUE:
                out.append(name)
            elif switches[name] is not None:
                out.append(str(switches[name]))
            continue
        out.append(word)
    return out


__all__ = ["normalize"]
