"""Built-in rule for Ingress (``networking.k8s.io`` and legacy ``extensions``)."""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, items
from kapstan.model.health import HealthStatus, ResourceHealth


def ingress(obj: Obj) -> ResourceHealth:
    """Mirror of ``getIngressHealth``: Healthy once the controller publishes an address.

    Controllers that never fill ``status.loadBalancer`` leave the Ingress Progressing
    forever; that is Argo CD's behaviour too (argo-cd #14607), fixable with a Lua override.
    """
    if items(obj, "status", "loadBalancer", "ingress"):
        return ResourceHealth(HealthStatus.HEALTHY)
    return ResourceHealth(HealthStatus.PROGRESSING)
