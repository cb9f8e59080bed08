"""A poll of an app whose inputs did not change (a discovery refresh that found nothing new
included) reuses its last comparison; any change of an input (a live object, the manifests,
the spec) computes it again."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import kapstan.controller.reconciler as reconciler
from kapstan.controller.queue import Level
from kapstan.services.manifests import GeneratedManifests, Manifest
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import StaticManifests, running, until
from tests.unit.controller.test_controller_fake import DEST, NS, application

CONFIG = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1"}}
APP = application(syncPolicy={"automated": {"prune": True}})


class CachedManifests(StaticManifests):
    """As a render-cache hit: the same manifest objects until the content changes."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        super().__init__(objects)
        self._made: tuple[Manifest, ...] | None = None

    def set(self, objects: list[dict[str, Any]], revision: str | None = None) -> None:
        self._made = None
        if revision is None:
            self.objects = [dict(o) for o in objects]
        else:
            super().set(objects, revision)

    async def generate(self, **kwargs: Any) -> GeneratedManifests:
        made = await super().generate(**kwargs)
        if self._made is None:
            self._made = made.manifests
        return GeneratedManifests(self._made, made.revisions, made.source_types)


def test_unchanged_inputs_are_not_compared_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    computed = 0
    original = reconciler.compute_status

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        nonlocal computed
        computed += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(reconciler, "compute_status", counting)
    fake = FakeKube(namespaces=("default", NS, DEST))

    def status() -> dict[str, Any]:
        app = fake.get_object("Application", "demo", NS, group="argoproj.io") or {}
        return dict(app.get("status") or {})

    def synced() -> bool:
        return (status().get("sync") or {}).get("status") == "Synced"

    async def poll(controller: Any) -> dict[str, Any]:
        before = status().get("reconciledAt")
        app = controller.apps["demo"]
        await asyncio.sleep(1.1)  # reconciledAt has a resolution of one second
        await controller.reconciler.refresh(app, Level.NORMAL)
        after = status()
        assert after["reconciledAt"] != before
        return after

    async def body() -> tuple[int, int, int]:
        manifests = CachedManifests([CONFIG])
        async with running(fake, manifests) as (controller, _kube):
            fake.put(APP)
            await until("Synced", synced)
            await until("Healthy", lambda: status()["health"]["status"] == "Healthy")
            await asyncio.sleep(0.5)  # the last live re-compares
            start = computed
            first = await poll(controller)
            again = await poll(controller)
            # The periodic discovery refresh (a new CRD would show there) finds nothing new.
            spec = controller.apps["demo"]["spec"]
            await controller.clusters.resolve(spec["destination"]).discovery.refresh()
            await poll(controller)
            unchanged = computed - start
            assert {k: v for k, v in again.items() if k not in ("reconciledAt", "observedAt")} == {
                k: v for k, v in first.items() if k not in ("reconciledAt", "observedAt")
            }
            # A live change (a label git does not set) is a new input: compared again (by
            # the live re-compare it triggers, or else by the poll).
            mark = computed
            fake.edit("ConfigMap", "cfg", DEST, change={"metadata": {"labels": {"x": "y"}}})
            await asyncio.sleep(0.5)
            await poll(controller)
            live_changed = computed - mark
            # New manifests at the same revision (a new render): compared again, OutOfSync.
            manifests.set([{**CONFIG, "data": {"a": "2"}}])
            mark = computed
            await poll(controller)
            rendered = computed - mark
            return unchanged, live_changed, rendered

    unchanged, live_changed, rendered = asyncio.run(body())
    assert unchanged == 0
    assert live_changed >= 1
    assert rendered == 1
