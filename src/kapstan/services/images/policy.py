"""Which tag an image should run: the update strategies of argocd-image-updater and Flux's
``ImagePolicy`` orderings, as pure functions over the tags a registry listed.

Contracts:

- :class:`TagFilter` keeps a tag when it passes ``allow`` (``regexp:<expr>`` searched in the
  tag, ``any`` or empty: every tag), matches none of the ``ignore`` globs (``*``, ``?``, as
  argocd-image-updater's ``ignore-tags``), and, when Flux's ``pattern`` is set, matches it
  (``re.search``); ``extract`` (``$ts``, ``${ts}``, ``$1``) is then the value sorted on
  instead of the tag. Bad regular expressions raise :class:`PolicyError` when the policy is
  built, not when a tag is met.
- ``semver``: the highest version satisfying the constraint (Masterminds syntax: ``1.2.x``,
  ``^1.2``, ``~1.2``, ``>=1.0 <2.0``, ``1.2`` as ``1.2.x``; commas mean AND). Tags may carry a
  ``v`` and miss parts (``v1.2``); tags that are no version are skipped. Pre-releases count
  only when the constraint names one (append ``-0``: ``1.2.x-0``, ``>=1.2.0-0``). No
  constraint: the highest release.
- ``newest-build`` (old name ``latest``): the most recently created image (needs each tag's
  config blob: :func:`needs_details`); ties go to the later tag name.
- ``alphabetical`` (old name ``name``) and Flux ``numerical``: the last tag in ascending order
  (``order: desc`` takes the first); ``numerical`` skips tags (or extracted values) that are
  no number.
- ``digest``: the tag the image names (``app:latest``), followed by its digest (the caller
  compares digests).
- platforms: with :attr:`Policy.platforms` set, a candidate whose platforms are known must
  offer one of them.

:func:`choose` returns a :class:`Choice`: the tag, or ``None`` with the reason in words
("no tag satisfies 1.2.x among 5 tags"), which the image loop shows on the Application.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import nodesemver  # type: ignore[import-untyped]  # ships no type information

from kapstan.source.registry.wire import Platform
from kapstan.source.revisions import parse_version


class PolicyError(ValueError):
    """A policy that cannot be used (unknown strategy, bad regular expression, bad range)."""


class Strategy(StrEnum):
    SEMVER = "semver"
    NEWEST_BUILD = "newest-build"
    ALPHABETICAL = "alphabetical"
    NUMERICAL = "numerical"
    DIGEST = "digest"


_ALIASES = {"latest": Strategy.NEWEST_BUILD, "name": Strategy.ALPHABETICAL}


def parse_strategy(text: str) -> Strategy:
    """A strategy name, including argocd-image-updater's old names ``latest`` and ``name``."""
    word = text.strip().lower()
    if word in _ALIASES:
        return _ALIASES[word]
    try:
        return Strategy(word)
    except ValueError:
        names = ", ".join([*(s.value for s in Strategy), *_ALIASES])
        raise PolicyError(f"unknown update strategy {text!r} (one of {names})") from None


class Order(StrEnum):
    ASC = "asc"
    DESC = "desc"


_GO_GROUP = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def _compile(expr: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(expr)
    except re.error as err:
        raise PolicyError(f"{what} {expr!r} is not a valid regular expression: {err}") from None


@dataclass(frozen=True)
class TagFilter:
    """Which tags are considered at all (see the module contract)."""

    allow: str = ""
    ignore: tuple[str, ...] = ()
    pattern: str = ""
    extract: str = ""
    _allow_re: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _pattern_re: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        allow = self.allow.strip()
        if allow and allow != "any":
            if not allow.startswith("regexp:"):
                raise PolicyError(f"allow-tags {allow!r} must be 'any' or 'regexp:<expression>'")
            object.__setattr__(
                self, "_allow_re", _compile(allow.removeprefix("regexp:"), "allow-tags")
            )
        if self.pattern:
            object.__setattr__(self, "_pattern_re", _compile(self.pattern, "filterTags.pattern"))
        elif self.extract:
            raise PolicyError("filterTags.extract needs filterTags.pattern")

    def key(self, tag: str) -> str | None:
        """The value to sort ``tag`` on, or None when the filter drops it."""
        if self._allow_re is not None and not self._allow_re.search(tag):
            return None
        if any(fnmatch.fnmatchcase(tag, glob) for glob in self.ignore):
            return None
        if self._pattern_re is None:
            return tag
        m = self._pattern_re.search(tag)
        if m is None:
            return None
        if not self.extract:
            return tag
        try:
            return _GO_GROUP.sub(lambda g: m.group(g.group(1) or g.group(2) or ""), self.extract)
        except (IndexError, re.error):
            raise PolicyError(
                f"filterTags.extract {self.extract!r} names a group the pattern does not have"
            ) from None


@dataclass(frozen=True)
class Policy:
    """How to pick a tag for one image."""

    strategy: Strategy = Strategy.SEMVER
    constraint: str = ""  # semver: the range; digest: the tag to follow
    filter: TagFilter = field(default_factory=TagFilter)
    platforms: tuple[Platform, ...] = ()
    order: Order = Order.ASC

    def __post_init__(self) -> None:
        if self.strategy is Strategy.SEMVER and self.constraint:
            _semver_range(self.constraint)
        if self.strategy is Strategy.DIGEST and not self.constraint:
            raise PolicyError("the digest strategy needs the tag to follow (e.g. app:latest)")


@dataclass(frozen=True)
class Candidate:
    """A tag with what the registry said about it (``created``/``platforms`` when fetched)."""

    tag: str
    created: datetime | None = None
    platforms: tuple[Platform, ...] = ()
    digest: str | None = None


@dataclass(frozen=True)
class Choice:
    """The chosen tag, or None with ``reason``; ``considered``: tags left after filtering."""

    tag: str | None
    reason: str = ""
    considered: int = 0
    digest: str | None = None


_PRERELEASE = re.compile(r"[\dxX*]-[0-9A-Za-z]")


def _semver_range(constraint: str) -> str:
    text = constraint.replace(",", " ").strip()
    try:
        nodesemver.make_range(text, True)
    except ValueError:
        raise PolicyError(f"{constraint!r} is not a semver constraint") from None
    return text


def needs_details(policy: Policy) -> bool:
    """True when choosing needs each tag's manifest and config (creation date, platforms)."""
    return policy.strategy is Strategy.NEWEST_BUILD or bool(policy.platforms)


def candidates_of(policy: Policy, tags: Iterable[str]) -> list[str]:
    """The tags that pass the policy's filter (before any registry detail is fetched)."""
    return [t for t in tags if policy.filter.key(t) is not None]


def _on_platform(policy: Policy, c: Candidate) -> bool:
    if not policy.platforms or not c.platforms:
        return True
    return any(p.matches(w) for p in c.platforms for w in policy.platforms)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def choose(policy: Policy, candidates: Sequence[Candidate]) -> Choice:
    """Pick a tag among ``candidates`` (see the module contract)."""
    total = len(candidates)
    keyed = [
        (key, c)
        for c in candidates
        if (key := policy.filter.key(c.tag)) is not None and _on_platform(policy, c)
    ]
    if not keyed:
        return Choice(None, f"no tag passes the tag filters among {total} tags")
    n = len(keyed)
    if policy.strategy is Strategy.DIGEST:
        for _, c in keyed:
            if c.tag == policy.constraint:
                return Choice(c.tag, considered=n, digest=c.digest)
        return Choice(None, f"tag {policy.constraint!r} not found", n)
    if policy.strategy is Strategy.SEMVER:
        return _semver(policy, keyed, n)
    if policy.strategy is Strategy.NEWEST_BUILD:
        dated = [(c.created, c.tag) for _, c in keyed if c.created is not None]
        if not dated:
            return Choice(None, f"none of {n} tags has a creation date", n)
        return Choice(max(dated)[1], considered=n)
    if policy.strategy is Strategy.NUMERICAL:
        numbers = [(v, c.tag) for k, c in keyed if (v := _number(k)) is not None]
        if not numbers:
            return Choice(None, f"none of {n} tags is a number", n)
        number = max(numbers) if policy.order is Order.ASC else min(numbers)
        return Choice(number[1], considered=n)
    ordered = sorted((k, c.tag) for k, c in keyed)  # alphabetical
    pick = ordered[-1] if policy.order is Order.ASC else ordered[0]
    return Choice(pick[1], considered=n)


def _semver(policy: Policy, keyed: list[tuple[str, Candidate]], n: int) -> Choice:
    # The range is compiled once and versions parsed once: 100k tags must stay cheap.
    text = _semver_range(policy.constraint) if policy.constraint else None
    rng = nodesemver.make_range(text, True) if text else None
    allow_pre = bool(rng and _PRERELEASE.search(policy.constraint))
    best: tuple[Any, str] | None = None  # (SemVer, tag)
    versions = 0
    for key, c in keyed:
        version = parse_version(key)
        if version is None:
            continue
        versions += 1
        if "-" in version.split("+")[0] and not allow_pre:
            continue
        parsed = nodesemver.make_semver(version, True)
        if rng is not None and not rng.test(parsed, include_prerelease=allow_pre):
            continue
        if best is None or parsed.compare(best[0]) > 0:
            best = (parsed, c.tag)
    if best is not None:
        return Choice(best[1], considered=n)
    if versions == 0:
        return Choice(None, f"none of {n} tags is a semantic version", n)
    return Choice(None, f"no tag satisfies {policy.constraint} among {n} tags", n)


__all__ = [
    "Candidate",
    "Choice",
    "Order",
    "Policy",
    "PolicyError",
    "Strategy",
    "TagFilter",
    "candidates_of",
    "choose",
    "needs_details",
    "parse_strategy",
]
