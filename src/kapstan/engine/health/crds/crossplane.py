"""Crossplane managed resources, composite resources (XRs) and claims.

How Kapstan recognises them (there is no fixed group or kind to key on):

* any kind in a group ending ``.crossplane.io`` or ``.upbound.io`` - the providers'
  managed resources (``s3.aws.upbound.io``, ``*.m.upbound.io`` ...) - except the groups
  of Crossplane's own machinery (packages, XRDs, compositions), which use other
  conditions; provider configuration kinds there (``ProviderConfig`` ...) carry no
  conditions and are Healthy once they exist;
* in any other group, an object whose spec carries Crossplane's composition fields
  (``compositionRef``, ``compositionSelector``, ``compositionRevisionRef``,
  ``compositionUpdatePolicy``, ``compositeDeletePolicy``, or v2's ``spec.crossplane``) -
  XRs and claims get these from Crossplane as soon as it adopts them.

Crossplane reports two conditions: ``Synced`` (False: the last reconcile failed, reason
``ReconcileError``; ``ReconcilePaused`` when the ``crossplane.io/paused`` annotation stops
it) and ``Ready`` (True ``Available``; False ``Creating``, ``Deleting`` or
``Unavailable``). Upjet providers add ``LastAsyncOperation``, False when the last
asynchronous create/update failed.
"""

from __future__ import annotations

from collections.abc import Mapping

from kapstan.engine.health._fields import Obj, condition, describe, is_true, mapping, string
from kapstan.engine.health.crds._common import (
    annotation,
    degraded,
    healthy,
    progressing,
    suspended,
)
from kapstan.model.health import ResourceHealth

_GROUP_SUFFIXES = (".crossplane.io", ".upbound.io")
_MACHINERY_GROUPS = frozenset(
    {
        "pkg.crossplane.io",
        "apiextensions.crossplane.io",
        "ops.crossplane.io",
        "protection.crossplane.io",
    }
)
_CONFIG_KINDS = ("ProviderConfig", "ClusterProviderConfig", "ProviderConfigUsage", "StoreConfig")
_COMPOSITION_FIELDS = (
    "compositionRef",
    "compositionSelector",
    "compositionRevisionRef",
    "compositionUpdatePolicy",
    "compositeDeletePolicy",
)


def is_provider_group(group: str) -> bool:
    """Whether ``group`` holds Crossplane provider resources (not Crossplane's machinery)."""
    return group.endswith(_GROUP_SUFFIXES) and group not in _MACHINERY_GROUPS


def recognises(obj: Obj, group: str) -> bool:
    """Whether :func:`crossplane_resource` judges ``obj`` (see the module docstring)."""
    if is_provider_group(group):
        return True
    spec = mapping(obj, "spec")
    return any(field in spec for field in _COMPOSITION_FIELDS) or isinstance(
        spec.get("crossplane"), Mapping
    )


def crossplane_resource(obj: Obj) -> ResourceHealth:
    """Health of a managed resource, XR or claim from Synced and Ready."""
    if annotation(obj, "crossplane.io/paused") == "true":
        return suspended("Reconciliation is paused")
    synced = condition(obj, "Synced")
    if synced is not None and synced.get("status") == "False":
        if synced.get("reason") == "ReconcilePaused":
            return suspended(describe(synced))
        return degraded(describe(synced) or "Reconcile failed")
    last_async = condition(obj, "LastAsyncOperation")
    if last_async is not None and last_async.get("status") == "False":
        return degraded(describe(last_async) or "Asynchronous operation failed")
    ready = condition(obj, "Ready")
    if ready is None:
        if synced is None and string(obj, "kind").endswith(_CONFIG_KINDS):
            return healthy()
        return progressing("Waiting for Crossplane to reconcile")
    if is_true(ready):
        return healthy(string(ready, "message"))
    if ready.get("status") == "False" and ready.get("reason") == "Unavailable":
        return degraded(describe(ready))
    return progressing(describe(ready) or "Waiting for the resource to become ready")
