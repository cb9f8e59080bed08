"""Cascade deletion of an Application's resources, driven by Argo CD's finalizers.

An Application that carries ``resources-finalizer.argocd.argoproj.io`` (:data:`FINALIZER`,
foreground cascade) or ``resources-finalizer.argocd.argoproj.io/background``
(:data:`BACKGROUND`) takes its tracked resources with it when it is deleted. Without either,
deleting the Application orphans them and there is nothing for the controller to do.

API (the reconciler calls :func:`finalize` on every reconcile of an Application that has
``metadata.deletionTimestamp``, and requeues after about a second while ``done`` is False):

- :func:`cascade_policy` -- the :class:`~kapstan.kube.apply.Propagation` chosen by
  ``metadata.finalizers`` (foreground wins when both are present), or ``None``;
- :func:`plan_deletion` -- pure: which of the live objects to delete in this pass and which
  still count as remaining;
- :func:`finalize` -- one pass: delete, and once nothing remains remove the cascade
  finalizer(s) so the API server can drop the Application.

Contract of one pass:

- ``live`` holds the objects tracked by the app (hooks included), as last observed;
- objects with the sync option ``Delete=false`` (or ``helm.sh/resource-policy: keep``) are
  never deleted and never block;
- objects are deleted in tiers: namespaced (and unknown-scope) objects first, then
  cluster-scoped ones, ``Namespace`` objects last; a tier is started only when no object of a
  lower tier remains (so a pass deletes one tier at most);
- with foreground propagation an object that already has ``deletionTimestamp`` still remains
  (its dependents are being deleted first); with background it is considered handled;
- an object that is already gone (404, or its kind no longer served) does not remain;
- ``FinalizeResult.done`` is True only when no deletable object remains; the finalizers are
  then removed with a JSON patch whose first operation tests the current list (re-read and
  retried on a concurrent edit); other finalizers (pre/post-delete hooks) are kept;
- ``FinalizeResult.message`` is non-empty exactly when something failed; it is meant for the
  Application's ``DeletionError`` condition. API errors (:class:`~kapstan.kube.errors.KubeError`)
  are reported there, not raised; a 404 is never an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.engine.pairing import NamespacedLookup
from kapstan.kube.apply import JSON_PATCH, Action, Propagation, Writer
from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import Discovery, UnknownKind
from kapstan.kube.errors import Conflict, Invalid, KubeError, NotFound
from kapstan.model.annotations import resource_option_map
from kapstan.model.keys import ResourceKey, group_of

FINALIZER = "resources-finalizer.argocd.argoproj.io"
BACKGROUND = FINALIZER + "/background"
CASCADE_FINALIZERS = (FINALIZER, BACKGROUND)
RELEASE_ATTEMPTS = 3

# Tiers: lower tiers are deleted (and gone) before higher ones are started.
NAMESPACED, CLUSTER_SCOPED, NAMESPACES = 0, 1, 2


@dataclass(frozen=True)
class FinalizeResult:
    """The outcome of one :func:`finalize` pass.

    ``remaining`` names the deletable objects still present (``group/kind/namespace/name``),
    ``message`` is empty unless something failed (the ``DeletionError`` condition message).
    """

    done: bool
    remaining: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class DeletionPlan:
    """What one pass does: ``delete`` (in order), ``remaining`` and ``kept`` (Delete=false)."""

    delete: tuple[Mapping[str, Any], ...]
    remaining: tuple[ResourceKey, ...]
    kept: tuple[ResourceKey, ...]


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def cascade_policy(app: Mapping[str, Any]) -> Propagation | None:
    """Foreground for :data:`FINALIZER`, background for :data:`BACKGROUND`, else ``None``."""
    finalizers = [str(f) for f in _meta(app).get("finalizers") or []]
    if FINALIZER in finalizers:
        return Propagation.foreground
    if BACKGROUND in finalizers:
        return Propagation.background
    return None


def _tier(obj: Mapping[str, Any], is_namespaced: NamespacedLookup) -> int:
    group = group_of(str(obj.get("apiVersion") or ""))
    kind = str(obj.get("kind") or "")
    if group == "" and kind == "Namespace":
        return NAMESPACES
    return CLUSTER_SCOPED if is_namespaced(group, kind) is False else NAMESPACED


def _keep(obj: Mapping[str, Any]) -> bool:
    return resource_option_map(obj).get("Delete", "").lower() == "false"


def plan_deletion(
    live: Sequence[Mapping[str, Any]], policy: Propagation, is_namespaced: NamespacedLookup
) -> DeletionPlan:
    """Pure: the objects to delete now and those that still remain (see the module contract).

    ``is_namespaced`` answering ``None`` (unknown kind) counts as namespaced. Within a tier,
    objects are ordered by key; ``remaining`` is in tier order, then key order.
    """
    kept: list[ResourceKey] = []
    ranked: list[tuple[int, ResourceKey, Mapping[str, Any]]] = []
    for obj in live:
        key = ResourceKey.from_obj(obj)
        if _keep(obj):
            kept.append(key)
            continue
        pending = bool(_meta(obj).get("deletionTimestamp"))
        if pending and policy is not Propagation.foreground:
            continue  # background: the API server's garbage collector finishes the job
        ranked.append((_tier(obj, is_namespaced), key, obj))
    ranked.sort(key=lambda item: (item[0], str(item[1])))
    current = ranked[0][0] if ranked else NAMESPACED
    delete = tuple(
        obj
        for tier, _key, obj in ranked
        if tier == current and not _meta(obj).get("deletionTimestamp")
    )
    return DeletionPlan(delete, tuple(key for _t, key, _o in ranked), tuple(sorted(kept)))


async def finalize(
    kube: KubeClient,
    app_path: str,
    app: Mapping[str, Any],
    live: Sequence[Mapping[str, Any]],
    *,
    is_namespaced: NamespacedLookup,
    discovery: Discovery,
    app_kube: KubeClient | None = None,
) -> FinalizeResult:
    """One deletion pass for the Application at ``app_path`` (see the module contract).

    ``app`` is the Application as read (its finalizers pick the policy); ``discovery`` must
    belong to ``kube``. ``app_kube`` reaches the Application when it lives in another
    cluster than its resources (default ``kube``). Without a cascade finalizer this returns
    ``done`` at once and writes nothing.
    """
    policy = cascade_policy(app)
    if policy is None:
        return FinalizeResult(done=True)
    plan = plan_deletion(live, policy, is_namespaced)
    if not plan.remaining:
        return await _release(app_kube or kube, app_path)
    writer = Writer(kube, discovery)
    gone: set[ResourceKey] = set()
    errors: list[str] = []
    for obj in plan.delete:
        key = ResourceKey.from_obj(obj)
        try:
            await discovery.for_object(obj)  # a kind no longer served: its objects are gone
        except UnknownKind:
            gone.add(key)
            continue
        except KubeError as err:
            errors.append(f"failed to delete {key}: {err}")
            continue
        try:
            record = await writer.delete(obj, propagation=policy)
        except KubeError as err:
            errors.append(f"failed to delete {key}: {err}")
            continue
        if record.action is Action.skipped:
            gone.add(key)
    remaining = tuple(str(k) for k in plan.remaining if k not in gone)
    if not remaining and not errors:
        return await _release(app_kube or kube, app_path)
    return FinalizeResult(done=False, remaining=remaining, message="; ".join(errors))


async def _release(kube: KubeClient, app_path: str) -> FinalizeResult:
    """Remove the cascade finalizers from the live Application (test-then-replace patch)."""
    failure: KubeError | None = None
    for _attempt in range(RELEASE_ATTEMPTS):
        try:
            current = await kube.get(app_path)
        except NotFound:
            return FinalizeResult(done=True)
        except KubeError as err:
            failure = err
            break
        finalizers = [str(f) for f in _meta(current).get("finalizers") or []]
        others = [f for f in finalizers if f not in CASCADE_FINALIZERS]
        if others == finalizers:
            return FinalizeResult(done=True)  # removed by someone else meanwhile
        patch = [
            {"op": "test", "path": "/metadata/finalizers", "value": finalizers},
            {"op": "replace", "path": "/metadata/finalizers", "value": others},
        ]
        try:
            await kube.request("PATCH", app_path, None, patch, JSON_PATCH)
        except NotFound:
            return FinalizeResult(done=True)
        except (Invalid, Conflict) as err:  # the test failed: the list changed, read it again
            failure = err
            continue
        except KubeError as err:
            failure = err
            break
        return FinalizeResult(done=True)
    return FinalizeResult(done=False, message=f"failed to remove the finalizer: {failure}")


__all__ = [
    "BACKGROUND",
    "FINALIZER",
    "DeletionPlan",
    "FinalizeResult",
    "cascade_policy",
    "finalize",
    "plan_deletion",
]
