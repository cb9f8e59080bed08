"""Flux ``Kustomization``, ``HelmRelease``, ``GitRepository``, ``HelmRepository`` and
``OCIRepository`` (``*.toolkit.fluxcd.io``).

Flux objects follow kstatus: ``spec.suspend`` stops reconciliation; the status is only
current once ``status.observedGeneration`` reaches ``metadata.generation``; ``Stalled``
means the controller gave up until the spec changes, ``Reconciling`` that it is working,
and ``Ready`` summarises the last attempt - False there is a failed attempt that Flux
retries on its interval, shown as Degraded because it needs attention. The one expected
wait, ``DependencyNotReady``, is Progressing.
"""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, condition, describe, is_true, mapping, string
from kapstan.engine.health.crds._common import (
    degraded,
    healthy,
    progressing,
    stale_generation,
    suspended,
)
from kapstan.model.health import ResourceHealth


def flux_object(obj: Obj) -> ResourceHealth:
    """Health of any Flux toolkit object from suspend, generation and kstatus conditions."""
    if mapping(obj, "spec").get("suspend") is True:
        return suspended("Reconciliation is suspended")
    stale = stale_generation(obj)
    if stale is not None:
        return stale
    stalled = condition(obj, "Stalled")
    if is_true(stalled):
        return degraded(describe(stalled) or "Reconciliation stalled")
    reconciling = condition(obj, "Reconciling")
    if is_true(reconciling):
        return progressing(describe(reconciling) or "Reconciliation in progress")
    ready = condition(obj, "Ready")
    if ready is None:
        return progressing("Waiting for the first reconciliation")
    if ready.get("status") == "True":
        return healthy(string(ready, "message"))
    if ready.get("status") == "False" and ready.get("reason") != "DependencyNotReady":
        return degraded(describe(ready) or "Reconciliation failed")
    return progressing(describe(ready) or "Reconciliation in progress")
