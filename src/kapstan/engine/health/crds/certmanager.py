"""cert-manager ``Certificate``, ``Issuer`` and ``ClusterIssuer`` (``cert-manager.io``).

A Certificate is ``Ready`` when its Secret holds a valid, unexpired key pair matching the
spec; ``Issuing`` is True while a new certificate is being requested and turns False with
reason ``Failed`` when issuance failed (cert-manager then retries with back-off). Issuers
report a single ``Ready`` condition. Every condition carries the generation it was
computed for (``observedGeneration``).
"""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, condition, describe, is_true, optional_int
from kapstan.engine.health.crds._common import by_ready, degraded, progressing, stale_generation
from kapstan.model.health import ResourceHealth


def _stale(obj: Obj, cond: Obj | None) -> ResourceHealth | None:
    if cond is None:
        return None
    return stale_generation(obj, optional_int(cond, "observedGeneration"))


def certificate(obj: Obj) -> ResourceHealth:
    """Issuing first (a renewal in flight is not a failure), then Ready."""
    ready = condition(obj, "Ready")
    issuing = condition(obj, "Issuing")
    if is_true(issuing):
        return progressing(describe(issuing) or "Issuing certificate")
    if (
        issuing is not None
        and issuing.get("status") == "False"
        and issuing.get("reason") == "Failed"
    ):
        return degraded(describe(issuing))
    stale = _stale(obj, ready)
    if stale is not None:
        return stale
    return by_ready(ready, "Waiting for certificate to be issued")


def issuer(obj: Obj) -> ResourceHealth:
    """Issuer and ClusterIssuer: the Ready condition, once it describes the current spec."""
    ready = condition(obj, "Ready")
    stale = _stale(obj, ready)
    if stale is not None:
        return stale
    return by_ready(ready, "Waiting for issuer to be registered")
