"""One evaluation context and the decision tables that make repeated checks cheap.

A :class:`Scope` is what casbin holds for one request: the built-in and user policy, plus
the role policy of the project the request is about, if any. For a subject it answers
casbin's ``some(allow) && !some(deny)`` over every rule whose subject the subject reaches
through ``g`` links (itself included, at most :data:`MAX_ROLE_DEPTH` hops, cycles harmless).

Answers are precomputed per ``(subject, resource, action)`` into a :class:`Table` of the
object patterns left, so checking thousands of objects costs a set lookup or a regex each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kapstan.engine.rbac.patterns import Pattern, compile_pattern
from kapstan.engine.rbac.rules import Link, Rule
from kapstan.engine.rbac.vocabulary import MAX_ROLE_DEPTH

__all__ = ["CompiledRule", "Scope", "Table", "compile_rules"]

_CACHE_LIMIT = 16384


@dataclass(frozen=True, slots=True)
class CompiledRule:
    subject: str
    resource: Pattern
    action: Pattern
    object: Pattern
    deny: bool


def compile_rules(rules: Iterable[Rule], mode: str) -> tuple[CompiledRule, ...]:
    """Compile each rule's patterns under ``mode``."""
    return tuple(
        CompiledRule(
            r.subject,
            compile_pattern(r.resource, mode),
            compile_pattern(r.action, mode),
            compile_pattern(r.object, mode),
            r.deny,
        )
        for r in rules
    )


class Table:
    """The answer for one ``(subject, resource, action)``, as a function of the object."""

    __slots__ = ("allow", "allow_literals", "constant", "deny", "deny_literals")

    def __init__(self, poisoned: bool, allow: list[Pattern], deny: list[Pattern]) -> None:
        self.constant: bool | None = None
        if poisoned or not allow or any(p.always for p in deny):
            self.constant = False
        elif not deny and any(p.always for p in allow):
            self.constant = True
        self.allow_literals = frozenset(p.literal for p in allow if p.literal is not None)
        self.deny_literals = frozenset(p.literal for p in deny if p.literal is not None)
        self.allow: tuple[Callable[[str], bool], ...] = tuple(
            p.matches for p in allow if p.literal is None
        )
        self.deny: tuple[Callable[[str], bool], ...] = tuple(
            p.matches for p in deny if p.literal is None
        )

    def decide(self, obj: str) -> bool:
        """Whether the subject may act on ``obj`` (any allow matches and no deny does)."""
        # Plain loops: this runs once per object when filtering lists, and any() over a
        # generator costs more than the matching itself.
        if self.constant is not None:
            return self.constant
        if obj in self.deny_literals:
            return False
        for match in self.deny:
            if match(obj):
                return False
        if obj in self.allow_literals:
            return True
        for match in self.allow:  # noqa: SIM110 - a loop is faster than any() here
            if match(obj):
                return True
        return False


class Scope:
    """Rules indexed by subject, ``g`` links, and cached decision tables."""

    def __init__(self, rules: Iterable[CompiledRule], links: Iterable[Link]) -> None:
        self._rules: dict[str, list[CompiledRule]] = {}
        for rule in rules:
            self._rules.setdefault(rule.subject, []).append(rule)
        self._links: dict[str, list[str]] = {}
        for link in links:
            roles = self._links.setdefault(link.member, [])
            if link.role not in roles:
                roles.append(link.role)
        # Argo CD only evaluates a group that is the member side of some ``g`` line.
        self.members = frozenset(self._links)
        self._roles: dict[str, tuple[str, ...]] = {}
        self._tables: dict[tuple[str, str, str], Table] = {}

    def roles(self, subject: str) -> tuple[str, ...]:
        """``subject`` and every role it reaches within :data:`MAX_ROLE_DEPTH` hops."""
        found = self._roles.get(subject)
        if found is not None:
            return found
        seen = {subject: None}
        frontier = [subject]
        for _ in range(MAX_ROLE_DEPTH):
            frontier = [r for node in frontier for r in self._links.get(node, ()) if r not in seen]
            seen.update(dict.fromkeys(frontier))
            if not frontier:
                break
        if len(self._roles) >= _CACHE_LIMIT:
            self._roles.clear()
        self._roles[subject] = found = tuple(seen)
        return found

    def table(self, subject: str, resource: str, action: str) -> Table:
        """The decision table of ``subject`` for ``resource`` and ``action`` (cached)."""
        key = (subject, resource, action)
        table = self._tables.get(key)
        if table is not None:
            return table
        poisoned = False
        allow: list[Pattern] = []
        deny: list[Pattern] = []
        # Each pattern is only evaluated once the ones before it matched (casbin's matcher
        # short-circuits), so an invalid regex poisons only the evaluations that reach it.
        for role in self.roles(subject):
            for rule in self._rules.get(role, ()):
                for pattern, value in ((rule.resource, resource), (rule.action, action)):
                    if pattern.poison:
                        poisoned = True
                    if not pattern.matches(value):
                        break
                else:
                    poisoned = poisoned or rule.object.poison
                    (deny if rule.deny else allow).append(rule.object)
        table = Table(poisoned, allow, deny)
        if len(self._tables) >= _CACHE_LIMIT:
            self._tables.clear()
        self._tables[key] = table
        return table
