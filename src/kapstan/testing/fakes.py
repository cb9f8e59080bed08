"""In-memory stand-ins for controller unit tests on :class:`~kapstan.testing.fakekube.FakeKube`:
manifests without git or tools, and a running controller with its settings.

:class:`StaticManifests` answers every generation with the objects and revision last
:meth:`~StaticManifests.set` (or raises the error set with :meth:`~StaticManifests.fail`), as
the manifest generator would for a repository whose head moved. :func:`running` installs the
CRDs and the default project into the fake, runs a real
:class:`~kapstan.controller.appcontroller.Controller` on it and stops it on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from kapstan.controller.appcontroller import Controller
from kapstan.kube.client import KubeClient
from kapstan.render import Manifest
from kapstan.runtime.install import default_project, load_crds
from kapstan.services.manifests import GeneratedManifests, ManifestGenerationError
from kapstan.services.settings import Settings
from kapstan.services.watched import WatchedSettings, static_settings
from kapstan.testing.fakekube import FakeKube, fake_client


class StaticManifests:
    """Generated manifests from memory (see the module contract)."""

    def __init__(self, objects: Sequence[Mapping[str, Any]] = (), revision: str = "a" * 40) -> None:
        self.objects = [dict(o) for o in objects]
        self.revision = revision
        self.error = ""
        self.calls = 0

    def set(self, objects: Sequence[Mapping[str, Any]], revision: str) -> None:
        self.objects, self.revision, self.error = [dict(o) for o in objects], revision, ""

    def fail(self, message: str) -> None:
        self.error = message

    async def generate(
        self,
        *,
        app_name: str,
        namespace: str = "",
        source: Mapping[str, Any] | None = None,
        sources: Sequence[Mapping[str, Any]] | None = None,
        refresh_cache: bool = False,
        revision_max_age: float = 0.0,
    ) -> GeneratedManifests:
        self.calls += 1
        if self.error:
            raise ManifestGenerationError(self.error)
        return GeneratedManifests(
            manifests=tuple(Manifest(obj=dict(o), source="static.yaml") for o in self.objects),
            revisions=(self.revision,),
            source_types=("Directory",),
        )


def install_into(fake: FakeKube, namespace: str) -> None:
    """What ``kapstan install`` leaves behind: the CRDs (served at once) and the project."""
    for crd in load_crds():
        fake.put(crd)
    fake.put(default_project(namespace))


@contextlib.asynccontextmanager
async def running(
    fake: FakeKube,
    manifests: StaticManifests,
    *,
    namespace: str = "argocd",
    settings: Settings | None = None,
    watched: WatchedSettings | None = None,
) -> AsyncIterator[tuple[Controller, KubeClient]]:
    """A controller on ``fake`` until the block ends (settings fixed unless ``watched``)."""
    install_into(fake, namespace)
    async with fake_client(fake) as kube:
        controller = Controller(
            kube,
            manifests,
            namespace,
            watched or static_settings(settings or Settings()),
            resync=0,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(controller.run(stop))
        try:
            yield controller, kube
        finally:
            stop.set()
            await task


async def until(what: str, check: Any, timeout: float = 10.0) -> Any:
    """Poll ``check()`` (sync) every 20 ms until truthy; AssertionError after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while loop.time() < deadline:
        last = check()
        if last:
            return last
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


__all__ = ["StaticManifests", "install_into", "running", "until"]
