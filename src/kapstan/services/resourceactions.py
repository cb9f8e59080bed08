"""Writing what a resource action changed (Argo CD's ``RunResourceActionV2`` after the
script ran).

Contract of :func:`apply_action`:

- every impacted resource is checked first, before anything is written: a ``patch`` may only
  target the source resource itself; each resource (the patched one too, as in Argo CD) must
  be ``permitted`` by the app's project (``None`` when allowed, else the refusal) and a
  created one's kind served by the cluster; every ``create`` is tried as a server dry run;
- then the changes are written in order: a patch is the JSON merge patch from the live
  source to the changed object (nothing is sent when they are equal); when it touches
  ``status`` it first goes to the ``/status`` subresource (a 404 there means the kind has
  none, and the whole patch goes to the object) and the rest to the object; a create is a
  POST (a namespaced object without a namespace goes to the source's). Writing is not
  transactional, as in Argo CD: a failure leaves earlier writes in place;
- refusals raise :class:`~kapstan.engine.actions.ActionError`, API failures
  :class:`~kapstan.kube.errors.KubeError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kapstan.engine.actions import (
    ActionError,
    Impacted,
    Operation,
    create_merge_patch,
    split_status_patch,
)
from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import Discovery, UnknownKind
from kapstan.kube.errors import NotFound
from kapstan.model.keys import ResourceKey

MERGE_PATCH = "application/merge-patch+json"
# (group, kind, name, namespace, namespaced) -> why the project refuses it, or None.
Permit = Callable[[str, str, str, str, bool], str | None]


async def _check(
    item: Impacted, source: ResourceKey, discovery: Discovery, permitted: Permit
) -> tuple[Impacted, str]:
    key = ResourceKey.from_obj(item.obj)
    if item.operation is Operation.PATCH:
        if key != source:
            raise ActionError(f"an action may only patch the resource it runs on, not {key}")
        refusal = permitted(key.group, key.kind, key.name, key.namespace, bool(key.namespace))
        if refusal:
            raise ActionError(refusal)
        return item, ""
    try:
        info = await discovery.for_object(item.obj)
    except UnknownKind as err:
        raise ActionError(f"cannot create {key.group}/{key.kind}: {err}") from None
    obj = dict(item.obj)
    meta = dict(obj.get("metadata") or {})
    if info.namespaced and not meta.get("namespace"):
        meta["namespace"] = source.namespace
    if not info.namespaced:
        meta.pop("namespace", None)
    obj["metadata"] = meta
    namespace = str(meta.get("namespace") or "")
    refusal = permitted(key.group, key.kind, key.name, namespace, info.namespaced)
    if refusal:
        raise ActionError(refusal)
    return Impacted(item.operation, obj), info.path(namespace)


async def _patch(kube: KubeClient, path: str, live: Mapping[str, Any], new: Any) -> None:
    patch = create_merge_patch(live, new)
    if not patch:
        return
    rest, status = split_status_patch(patch)
    body: Mapping[str, Any] | None = patch
    if status is not None:
        try:
            await kube.request("PATCH", f"{path}/status", None, patch, MERGE_PATCH)
        except NotFound:
            pass  # no status subresource: the whole patch goes to the object
        else:
            body = rest
    if body:
        await kube.request("PATCH", path, None, body, MERGE_PATCH)


async def apply_action(
    source_kube: KubeClient,
    source_path: str,
    source: Mapping[str, Any],
    target_kube: KubeClient,
    target_discovery: Discovery,
    impacted: Sequence[Impacted],
    permitted: Permit,
) -> None:
    """Check and write ``impacted`` (see the module contract); ``source`` is the live object
    the action ran on, at ``source_path`` of ``source_kube``; created objects go to the
    target cluster."""
    key = ResourceKey.from_obj(source)
    checked = [await _check(item, key, target_discovery, permitted) for item in impacted]
    for item, path in checked:
        if item.operation is Operation.CREATE:
            await target_kube.request("POST", path, {"dryRun": "All"}, item.obj)
    for item, path in checked:
        if item.operation is Operation.PATCH:
            await _patch(source_kube, source_path, source, item.obj)
        else:
            await target_kube.request("POST", path, None, item.obj)


__all__ = ["Permit", "apply_action"]
