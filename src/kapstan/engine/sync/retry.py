"""Retry backoff of failed sync operations (``spec.syncPolicy.retry``).

Wait before retry ``n`` (0-based) = ``min(maxDuration, duration * factor**n)``. Durations
are integers (seconds) or Go duration strings such as ``"1m30s"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,  # Go accepts both micro signs
    "\u03bcs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


class DurationError(ValueError):
    """A duration that is neither a number of seconds nor a Go duration string."""


def parse_duration(value: int | float | str) -> float:
    """Seconds in ``value``: ``30``, ``"30"``, ``"5s"``, ``"1m30s"``, ``"1.5h"``, ``"-2s"``."""
    if isinstance(value, bool):
        raise DurationError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = value.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return float(int(text))
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body == "0":
        return 0.0
    total = 0.0
    position = 0
    for match in _PART.finditer(body):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not body or position != len(body):
        raise DurationError(f"invalid duration {value!r}: use seconds or a Go duration like 1m30s")
    return sign * total


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``limit`` < 0 means unlimited retries; 0 means none."""

    limit: int = 0
    duration: float = 5.0
    factor: float = 2.0
    max_duration: float = 180.0

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> RetryPolicy:
        """Build from ``spec.syncPolicy.retry`` (``limit``, ``backoff``)."""
        spec = spec or {}
        backoff = spec.get("backoff") or {}
        factor = backoff.get("factor")
        return cls(
            limit=int(spec.get("limit") or 0),
            duration=parse_duration(backoff.get("duration") or 5),
            factor=2.0 if factor is None else float(factor),
            max_duration=parse_duration(backoff.get("maxDuration") or 180),
        )

    def allows(self, retry_count: int) -> bool:
        """Whether another attempt may follow ``retry_count`` retries already made."""
        return self.limit < 0 or retry_count < self.limit

    def delay(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (0-based)."""
        if retry_number < 0:
            raise ValueError("retry_number must not be negative")
        wait = self.duration
        for _ in range(retry_number):
            wait *= self.factor
            if wait >= self.max_duration:
                break
        return min(self.max_duration, wait)
