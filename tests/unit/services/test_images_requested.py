"""A requested image check (the ``check-requested`` annotation a registry webhook sets) as
``kapstan controller`` runs it, fed by the reconciler's own Application watch: an app in the
middle of a sync (``operation`` set, its summary not yet listing the image the sync deploys)
keeps the request until the operation's end is written, then the check updates it and the
annotation goes. Checking it mid-sync would skip the image and drop the request.

The cluster is FakeKube; the registry the tag server of ``imagecluster``.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from kapstan.controller.images import ImageLoop
from kapstan.controller.inventory import Inventory
from kapstan.kube.client import WatchEvent
from kapstan.services.images.trigger import CHECK_REQUESTED
from kapstan.testing.fakekube import FakeKube, fake_client
from tests.unit.services.imagecluster import NS, annotated_app, image_cluster


def _annotations(fake: FakeKube, name: str) -> dict[str, Any]:
    app = fake.get_object("Application", name, namespace=NS) or {}
    return dict(app["metadata"].get("annotations") or {})


def _kustomize_images(fake: FakeKube, name: str) -> list[str]:
    app = fake.get_object("Application", name, namespace=NS) or {}
    return list(app["spec"]["source"].get("kustomize", {}).get("images") or [])


async def _settled(rounds: int = 20) -> None:
    """Let the loop's spawned checks run (the tag server answers on another thread)."""
    for _ in range(rounds):
        await asyncio.sleep(0.05)


def test_a_requested_check_waits_for_the_apps_operation_to_end(registry: str) -> None:
    image = f"{registry}/team/web"
    syncing = annotated_app("web", f"web={image}:1.2.x", "")
    syncing["metadata"]["annotations"][CHECK_REQUESTED] = "2026-12-03T16:06:27Z"
    syncing["metadata"]["resourceVersion"] = "1"
    syncing["status"]["summary"] = {}  # the first comparison: nothing ran yet
    syncing["operation"] = {"sync": {"revision": "abc"}, "initiatedBy": {"automated": True}}
    fake = image_cluster(syncing, registries=[registry])
    inventory = Inventory(lambda _: None, lambda _: None, lambda _: None)
    inventory.apps_listed([copy.deepcopy(syncing)])

    async def body() -> tuple[dict[str, Any], list[str], dict[str, Any], list[str]]:
        async with fake_client(fake) as kube:
            loop = ImageLoop(kube, NS, interval=0, feed=inventory)
            stop = asyncio.Event()
            task = asyncio.create_task(loop.run(stop))
            try:
                await _settled()
                inventory.app_event(WatchEvent("MODIFIED", copy.deepcopy(syncing)))
                await _settled()
                during = (_annotations(fake, "web"), _kustomize_images(fake, "web"))
                # The end of the sync: operation removed, the comparison lists what runs.
                ended = copy.deepcopy(syncing)
                del ended["operation"]
                ended["status"]["summary"] = {"images": [f"{image}:1.2.3"]}
                ended["metadata"]["resourceVersion"] = "2"
                inventory.app_event(WatchEvent("MODIFIED", ended))
                await _settled()
                after = (_annotations(fake, "web"), _kustomize_images(fake, "web"))
            finally:
                stop.set()
                await task
        return (*during, *after)

    during_annotations, during_images, after_annotations, after_images = asyncio.run(body())
    assert CHECK_REQUESTED in during_annotations, "the request was dropped mid-sync"
    assert during_images == []
    assert after_images == [f"{image}:1.2.4"]
    assert CHECK_REQUESTED not in after_annotations
