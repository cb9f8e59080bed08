"""Health vocabulary shared by every layer (mirrors gitops-engine ``pkg/health/health.go``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class HealthStatus(StrEnum):
    """A resource or application health code; values are spelled exactly as Argo CD does."""

    HEALTHY = "Healthy"
    SUSPENDED = "Suspended"
    PROGRESSING = "Progressing"
    MISSING = "Missing"
    DEGRADED = "Degraded"
    UNKNOWN = "Unknown"

    @property
    def rank(self) -> int:
        """Position in the aggregation order; higher is worse."""
        return _ORDER.index(self)


# Argo CD's healthOrder: best first. Aggregation keeps the worst (highest index).
_ORDER: tuple[HealthStatus, ...] = (
    HealthStatus.HEALTHY,
    HealthStatus.SUSPENDED,
    HealthStatus.PROGRESSING,
    HealthStatus.MISSING,
    HealthStatus.DEGRADED,
    HealthStatus.UNKNOWN,
)


def is_worse(current: HealthStatus, new: HealthStatus) -> bool:
    """True when ``new`` is strictly worse than ``current`` (gitops-engine ``IsWorse``)."""
    return new.rank > current.rank


def worst(statuses: Iterable[HealthStatus]) -> HealthStatus:
    """Return the worst status; an empty input is ``Healthy`` (nothing to complain about)."""
    result = HealthStatus.HEALTHY
    for status in statuses:
        if is_worse(result, status):
            result = status
    return result


@dataclass(frozen=True, slots=True)
class ResourceHealth:
    """The verdict of one health assessment; ``message`` is empty when Argo CD gives none."""

    status: HealthStatus
    message: str = ""
