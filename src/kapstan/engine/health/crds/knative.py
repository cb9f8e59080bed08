"""Knative Serving ``serving.knative.dev/Service``.

A Service is Ready when both its Configuration (a ready latest Revision) and its Route
(traffic programmed) are; ``ConfigurationsReady`` and ``RoutesReady`` say which part
lags. Knative reports Unknown while it works and False on failure, and
``status.observedGeneration`` tells whether the conditions describe the current spec.
"""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, condition
from kapstan.engine.health.crds._common import by_ready, stale_generation
from kapstan.model.health import ResourceHealth


def service(obj: Obj) -> ResourceHealth:
    """The Ready condition of a Knative Service, once it describes the current spec."""
    return stale_generation(obj) or by_ready(
        condition(obj, "Ready"), "Waiting for the service to become ready"
    )
