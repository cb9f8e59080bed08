"""Which resource kinds the cache watches: Argo CD ``resource.exclusions``/``inclusions``.

Contract: a kind is watched when it is listable and watchable, matches no exclusion rule and,
when inclusion rules exist, matches at least one. A rule matches when each of its non-empty
glob lists (``apiGroups``, ``kinds``, ``clusters``) has a glob matching the value; an empty
list matches everything (as in Argo CD). :data:`DEFAULT_EXCLUSIONS` mirrors the kinds Argo CD
never caches (events, leases, endpoints, metrics) because they churn without informing health.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any


def _globs(raw: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in raw) if isinstance(raw, list | tuple) else ()


@dataclass(frozen=True)
class FilterRule:
    """One ``resource.exclusions``/``inclusions`` entry."""

    api_groups: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> FilterRule:
        """From the argocd-cm YAML shape ``{apiGroups: [], kinds: [], clusters: []}``."""
        get = raw.get
        return cls(_globs(get("apiGroups")), _globs(get("kinds")), _globs(get("clusters")))

    def matches(self, group: str, kind: str, cluster: str) -> bool:
        def ok(globs: tuple[str, ...], value: str) -> bool:
            return not globs or any(fnmatchcase(value, g) for g in globs)

        return ok(self.api_groups, group) and ok(self.kinds, kind) and ok(self.clusters, cluster)


DEFAULT_EXCLUSIONS: tuple[FilterRule, ...] = (
    FilterRule(("", "discovery.k8s.io"), ("Endpoints", "EndpointSlice")),
    FilterRule(("coordination.k8s.io",), ("Lease",)),
    FilterRule(("",), ("Event",)),
    FilterRule(("events.k8s.io", "metrics.k8s.io")),
    FilterRule(("authentication.k8s.io", "authorization.k8s.io")),
    FilterRule(("certificates.k8s.io",), ("CertificateSigningRequest",)),
)


_MEMO = 4096


@dataclass(frozen=True)
class ResourceFilter:
    """Exclusion and inclusion rules (user rules are added to the defaults)."""

    exclusions: tuple[FilterRule, ...] = DEFAULT_EXCLUSIONS
    inclusions: tuple[FilterRule, ...] = ()
    # The answers so far: every comparison asks for each of its objects' kinds, and a
    # dozen glob rules per question was a measurable part of a periodic poll. Kinds come
    # from repository content too, so the memo is bounded (_MEMO entries, then restarted).
    _answers: dict[tuple[str, str, str], bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def parse(
        cls,
        exclusions: Iterable[Mapping[str, Any]] = (),
        inclusions: Iterable[Mapping[str, Any]] = (),
        *,
        defaults: bool = True,
    ) -> ResourceFilter:
        extra = tuple(FilterRule.parse(r) for r in exclusions)
        return cls(
            (DEFAULT_EXCLUSIONS if defaults else ()) + extra,
            tuple(FilterRule.parse(r) for r in inclusions),
        )

    def allows(self, group: str, kind: str, cluster: str = "") -> bool:
        key = (group, kind, cluster)
        answer = self._answers.get(key)
        if answer is None:
            if len(self._answers) >= _MEMO:
                self._answers.clear()
            answer = self._answers[key] = self._decide(group, kind, cluster)
        return answer

    def _decide(self, group: str, kind: str, cluster: str) -> bool:
        if any(r.matches(group, kind, cluster) for r in self.exclusions):
            return False
        return not self.inclusions or any(r.matches(group, kind, cluster) for r in self.inclusions)
