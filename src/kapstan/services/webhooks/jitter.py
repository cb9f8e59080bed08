"""Spreading a large webhook's refreshes (Argo CD 3.5's ``webhook.refresh.jitter``).

Contracts:

- :func:`jitter_of` reads argocd-cm: ``webhook.refresh.jitter`` (a duration, ``30s``, ``1m``;
  default ``0``: off) and ``webhook.refresh.jitter.threshold`` (default 10); an invalid value is
  logged and its default used;
- :func:`delays`: for ``count`` matching apps, in order, the first ``threshold`` are refreshed at
  once and each later one after a random delay in ``[0, jitter)`` — so a push touching a few
  apps is never slowed down, and one touching hundreds does not send them all to the controller
  (and Git, and the renderers) in the same instant.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kapstan.engine.sync.retry import DurationError, parse_duration

log = logging.getLogger(__name__)
JITTER_KEY = "webhook.refresh.jitter"
THRESHOLD_KEY = "webhook.refresh.jitter.threshold"
DEFAULT_THRESHOLD = 10


@dataclass(frozen=True)
class Jitter:
    max_delay: float = 0.0  # seconds; 0: off
    threshold: int = DEFAULT_THRESHOLD


def jitter_of(cm: Mapping[str, str]) -> Jitter:
    """See the module contract."""
    max_delay, threshold = 0.0, DEFAULT_THRESHOLD
    raw = cm.get(JITTER_KEY, "").strip()
    if raw:
        try:
            max_delay = max(parse_duration(raw), 0.0)
        except DurationError:
            log.warning("argocd-cm %s=%r is not a duration; jitter is off", JITTER_KEY, raw)
    raw = cm.get(THRESHOLD_KEY, "").strip()
    if raw:
        if raw.isdigit():
            threshold = int(raw)
        else:
            log.warning("argocd-cm %s=%r is not a count; using %d", THRESHOLD_KEY, raw, threshold)
    return Jitter(max_delay, threshold)


def delays(
    count: int, jitter: Jitter, uniform: Callable[[float, float], float] = random.uniform
) -> list[float]:
    """Seconds to wait before each of ``count`` refreshes (see the module contract)."""
    if jitter.max_delay <= 0:
        return [0.0] * count
    return [0.0 if i < jitter.threshold else uniform(0.0, jitter.max_delay) for i in range(count)]


__all__ = ["DEFAULT_THRESHOLD", "JITTER_KEY", "THRESHOLD_KEY", "Jitter", "delays", "jitter_of"]
