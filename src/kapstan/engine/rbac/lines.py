"""Policy text to :class:`Rule` and :class:`Link` values, line by line, as Argo CD loads it.

Each line is trimmed; blank lines and lines starting with ``#`` are skipped; the rest is one
CSV record (:mod:`kapstan.engine.rbac.csvline`). A ``p`` record has exactly six fields
(``p, subject, resource, action, object, effect``: since Argo CD 2.6 a missing effect is an
error, not an implicit allow), a ``g`` record exactly three. Records whose first field names
another section of casbin's model (``r``, ``e``, ``m``) load as no-ops in Argo CD; Kapstan
skips them with a warning. Anything else is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kapstan.engine.rbac.csvline import CSVLineError, go_trim_space, split_csv_line
from kapstan.engine.rbac.rules import Link, RBACConfigError, Rule
from kapstan.engine.rbac.vocabulary import EFFECT_ALLOW, EFFECT_DENY

__all__ = ["ParsedLines", "parse_lines"]

_POLICY_FIELDS = 6
_GROUPING_FIELDS = 3
_IGNORED_SECTIONS = frozenset("rem")


@dataclass
class ParsedLines:
    """What one policy text holds: rules and links in order, plus warnings."""

    rules: list[Rule] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _record(fields: list[str], where: str, parsed: ParsedLines, text: str) -> str | None:
    """File one record; return an error message if Argo CD would reject it."""
    kind = fields[0]
    if kind == "p":
        if len(fields) != _POLICY_FIELDS:
            return "a policy line has six fields: p, subject, resource, action, object, effect"
        _, subject, resource, action, obj, effect = fields
        if effect not in (EFFECT_ALLOW, EFFECT_DENY):
            parsed.warnings.append(
                f"{where}: effect {effect!r} is neither allow nor deny; "
                f"the rule never applies (as in Argo CD): {text!r}"
            )
            return None
        parsed.rules.append(Rule(subject, resource, action, obj, effect, where))
    elif kind == "g":
        if len(fields) != _GROUPING_FIELDS:
            return "a role line has three fields: g, user-or-group, role"
        parsed.links.append(Link(fields[1], fields[2], where))
    elif kind in _IGNORED_SECTIONS:
        parsed.warnings.append(f"{where}: a {kind!r} line has no effect: {text!r}")
    else:
        return f"unknown line type {kind!r} (a line starts with p or g)"
    return None


def parse_lines(text: str, key: str, parsed: ParsedLines | None = None) -> ParsedLines:
    """Parse ``text`` (the value of ``key``) into ``parsed`` (a new one by default).

    Raises :class:`RBACConfigError` naming ``key`` and the 1-based line at the first line
    Argo CD would not load.
    """
    parsed = ParsedLines() if parsed is None else parsed
    for number, raw in enumerate(text.split("\n"), start=1):
        line = go_trim_space(raw)
        if not line or line.startswith("#"):
            continue
        try:
            fields = split_csv_line(line)
        except CSVLineError as err:
            raise RBACConfigError(key, str(err), number, line) from err
        where = f"{key}:{number}"
        problem = _record(fields, where, parsed, line) if fields[0] else "no line type"
        if problem is not None:
            raise RBACConfigError(key, problem, number, line)
    return parsed
