"""The ``status`` of an ``ImageUpdater`` resource after a pass of the image loop, in
argocd-image-updater's v1 shape.

Contract: :func:`status_of` builds ``{reconciledAt, conditions: [Ready], imageStatus: [...]}``
from the results of the apps the ImageUpdater configured: ``Ready`` is ``True``/``Reconciled``
when no image failed, else ``False``/``UpdateFailed`` with the failures (``app/image:
message``) as its message; ``lastTransitionTime`` moves only when the status changes.
``imageStatus`` lists each image version an app runs or was moved to, with the apps
(``<namespace>/<name>``) and, for updates of this pass, ``lastUpdatedAt``.
:func:`write_status` merge-patches the ``status`` subresource and logs (never raises) a failure.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError
from kapstan.services.applications import MERGE_PATCH
from kapstan.services.images.imageupdater import updaters_path
from kapstan.services.images.updater import ImageResult, Outcome
from kapstan.services.images.writeback import image_name_of

log = logging.getLogger(__name__)


def status_of(
    updater: Mapping[str, Any],
    results: Mapping[str, Sequence[ImageResult]],
    now: datetime | None = None,
) -> dict[str, Any]:
    """The new ``status`` (see the module contract); ``results``: app key → its results."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    failures = [
        f"{app}/{r.image}: {r.message}"
        for app, rs in sorted(results.items())
        for r in rs
        if r.outcome is Outcome.FAILED
    ]
    ready = "False" if failures else "True"
    old: Mapping[str, Any] = next(
        (
            c
            for c in (updater.get("status") or {}).get("conditions") or []
            if c.get("type") == "Ready"
        ),
        {},
    )
    condition = {
        "type": "Ready",
        "status": ready,
        "reason": "UpdateFailed" if failures else "Reconciled",
        "message": ("; ".join(failures) or f"{len(results)} applications checked")[:32768],
        "lastTransitionTime": old.get("lastTransitionTime", stamp)
        if old.get("status") == ready
        else stamp,
    }
    images: dict[tuple[str, str], list[dict[str, str]]] = {}
    for app, rs in sorted(results.items()):
        for r in rs:
            if r.new is None or r.outcome not in (Outcome.UPDATED, Outcome.UP_TO_DATE):
                continue
            name = image_name_of(r.new)
            version = r.new[len(name) :].lstrip(":@")
            entry = {"appName": app}
            if r.outcome is Outcome.UPDATED:
                entry["lastUpdatedAt"] = stamp
            images.setdefault((name, version), []).append(entry)
    return {
        "reconciledAt": stamp,
        "conditions": [condition],
        "imageStatus": [
            {"name": name, "version": version, "applications": apps}
            for (name, version), apps in sorted(images.items())
        ],
    }


async def write_status(
    kube: KubeClient, updater: Mapping[str, Any], status: dict[str, Any]
) -> None:
    """Merge-patch ``status`` onto the ImageUpdater (see the module contract)."""
    meta = updater.get("metadata") or {}
    path = f"{updaters_path(str(meta.get('namespace') or ''))}/{meta.get('name')}/status"
    try:
        await kube.request("PATCH", path, None, {"status": status}, MERGE_PATCH)
    except KubeError as err:
        log.warning("could not write the status of ImageUpdater %s: %s", meta.get("name"), err)


__all__ = ["status_of", "write_status"]
