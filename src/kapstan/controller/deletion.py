"""One deletion pass of an Application with Argo CD's resources finalizer (the I/O half of
:mod:`kapstan.engine.deletion`, which decides what a pass deletes).

The controller calls :func:`finalize` on every reconcile of an Application that has
``metadata.deletionTimestamp``, and requeues after about a second while ``done`` is False.
Contract of one pass:

- ``live`` holds the objects tracked by the app (hooks included), as last observed;
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

from kapstan.engine.deletion import CASCADE_FINALIZERS, cascade_policy, plan_deletion
from kapstan.engine.pairing import NamespacedLookup
from kapstan.engine.tracking import Tracking
from kapstan.kube.apply import JSON_PATCH, Action, Writer
from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import Discovery, UnknownKind
from kapstan.kube.errors import Conflict, Invalid, KubeError, NotFound
from kapstan.model.application import Application
from kapstan.model.keys import ResourceKey
from kapstan.services.applications import Applications
from kapstan.services.clusters import Clusters, DestinationError
from kapstan.services.livestate import from_api

RELEASE_ATTEMPTS = 3


@dataclass(frozen=True)
class FinalizeResult:
    """The outcome of one :func:`finalize` pass.

    ``remaining`` names the deletable objects still present (``group/kind/namespace/name``),
    ``message`` is empty unless something failed (the ``DeletionError`` condition message).
    """

    done: bool
    remaining: tuple[str, ...] = ()
    message: str = ""


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


async def delete_pass(
    app: Mapping[str, Any], clusters: Clusters, applications: Applications, tracking: Tracking
) -> FinalizeResult:
    """One pass for a deleting Application: its destination, its tracked objects (listed
    through the API, not the cache: deletion must not miss one), then :func:`finalize`. An
    unknown destination is reported in the result's message."""
    try:
        target = clusters.resolve((app.get("spec") or {}).get("destination") or {})
    except DestinationError as err:
        return FinalizeResult(done=False, message=str(err))
    model = await target.discovery.model()
    live = await from_api(target.kube, model, app, [], tracking)
    return await finalize(
        target.kube,
        applications.path(str(app["metadata"]["name"])),
        app,
        live,
        is_namespaced=model.namespaced,
        discovery=target.discovery,
        app_kube=applications.kube,
    )


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
        finalizers = list(Application.of(current).finalizers)
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


__all__ = ["FinalizeResult", "delete_pass", "finalize"]
