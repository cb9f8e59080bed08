"""The controller's image automation loop (``kapstan controller``, ``kapstan server
--with-controller``).

Contract of :class:`ImageLoop`: every ``interval`` seconds (default 120) plus up to ``jitter``
seconds (default a quarter of the interval) it checks every Application of the namespace that
carries ``argocd-image-updater.argoproj.io/image-list`` or is selected by an ``ImageUpdater``,
one at a time per app and at most ``concurrency`` apps at once; ``interval <= 0`` disables
polling. It also watches the Applications: an app whose
:data:`~kapstan.services.images.trigger.CHECK_REQUESTED` annotation appears or changes (set by
:func:`~kapstan.services.images.trigger.request_check`, e.g. from a registry webhook received by
``kapstan server``) is checked at once, and the annotation is removed afterwards. A requested
check of an app whose ``operation`` is set waits until the operation's end is written: the
images an app runs (``status.summary.images``) are those of the comparison after its sync, and a
check reading them mid-sync would skip an image the sync is deploying and lose the request.
Given an :class:`AppFeed` (in ``kapstan controller``, the reconciler's own Application watch),
it reads the Applications from there instead of listing and watching them itself. Watch failures
are retried with a back-off; nothing here stops the controller. Everything it opened is closed
when ``stop`` is set. Its counts are in ``metrics``
(:class:`~kapstan.services.images.metrics.ImageMetrics`, the updater's): each polling pass sets
the number of apps watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from typing import Any, Protocol

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import Gone, KubeError
from kapstan.services.applications import Applications
from kapstan.services.images.annotations import IMAGE_LIST, ConfigError
from kapstan.services.images.imageupdater import app_settings, list_updaters
from kapstan.services.images.metrics import ImageMetrics
from kapstan.services.images.trigger import CHECK_REQUESTED
from kapstan.services.images.updater import ImageResult, ImageUpdater
from kapstan.services.images.updaterstatus import status_of, write_status
from kapstan.services.repositories import Repositories

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = 120.0


class AppFeed(Protocol):
    """Applications kept current by another watch of the same process."""

    def items(self) -> list[dict[str, Any]]: ...

    def subscribe(self, listener: Callable[[dict[str, Any]], None]) -> Callable[[], None]: ...

    async def synced(self) -> None: ...


class ImageLoop:
    """See the module contract."""

    def __init__(
        self,
        kube: KubeClient,
        namespace: str,
        *,
        interval: float | None = None,
        jitter: float | None = None,
        concurrency: int = 4,
        updater: ImageUpdater | None = None,
        repositories: Callable[[], Repositories] | None = None,
        metrics: ImageMetrics | None = None,
        feed: AppFeed | None = None,
    ) -> None:
        self.kube = kube
        self.feed = feed
        self.namespace = namespace
        self.apps = Applications(kube, namespace)
        self.interval = DEFAULT_INTERVAL if interval is None else interval
        self.jitter = self.interval / 4 if jitter is None else jitter
        self.updater = updater or ImageUpdater(
            kube, namespace, repositories=repositories, metrics=metrics
        )
        self.metrics = self.updater.metrics
        self._gate = asyncio.Semaphore(concurrency)
        self._locks: dict[str, asyncio.Lock] = {}
        self._handled: dict[str, str] = {}  # app -> check-requested value already handled
        self._waiting: dict[str, str] = {}  # app -> requested value waiting for an operation
        self.checks = 0

    async def check(
        self, app: dict[str, Any], updaters: list[dict[str, Any]] | None = None
    ) -> list[ImageResult]:
        """Check one app now (serialised per app); ``updaters``: the ImageUpdater resources
        (listed here when not given)."""
        name = str((app.get("metadata") or {}).get("name") or "")
        if updaters is None:
            updaters = await list_updaters(self.kube, self.namespace)
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock, self._gate:
            self.checks += 1
            return await self.updater.check(app, updaters)

    async def check_all(self) -> None:
        """One pass over every app with image settings (annotations or an ImageUpdater);
        each ImageUpdater's ``status`` then says what its apps' checks found."""
        items = self.feed.items() if self.feed is not None else (await self.apps.list()).items
        updaters = await list_updaters(self.kube, self.namespace)
        chosen = [(a, _source(a, updaters)) for a in items]
        chosen = [(a, src) for a, src in chosen if src]
        self.metrics.applications_watched(
            str((a.get("metadata") or {}).get("name") or "") for a, _ in chosen
        )
        found = await asyncio.gather(*(self.check(a, updaters) for a, _ in chosen))
        per_updater: dict[str, dict[str, list[ImageResult]]] = {}
        for (app, src), results in zip(chosen, found, strict=True):
            if src.startswith("ImageUpdater "):
                meta = app.get("metadata") or {}
                key = f"{meta.get('namespace')}/{meta.get('name')}"
                per_updater.setdefault(src.removeprefix("ImageUpdater "), {})[key] = results
        for updater in updaters:
            name = str((updater.get("metadata") or {}).get("name") or "")
            await write_status(self.kube, updater, status_of(updater, per_updater.get(name, {})))

    async def run(self, stop: asyncio.Event) -> None:
        log.info(
            "image automation: checking annotated apps %s",
            f"every {self.interval:g}s (+ up to {self.jitter:g}s)"
            if self.interval > 0
            else "on request only",
        )
        tasks = [asyncio.create_task(self._watch(stop), name="images-watch")]
        if self.interval > 0:
            tasks.append(asyncio.create_task(self._poll(stop), name="images-poll"))
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.updater.aclose()

    async def _poll(self, stop: asyncio.Event) -> None:
        if self.feed is not None:
            await self.feed.synced()
        while not stop.is_set():
            try:
                await self.check_all()
            except KubeError as err:
                log.warning("image automation: could not list Applications: %s", err)
            except Exception:  # a bug in one check must not end polling for every app
                log.exception("image automation: a check failed")
            delay = self.interval + random.uniform(0, self.jitter)  # noqa: S311  # not crypto
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    async def _requested(self, app: dict[str, Any]) -> None:
        meta = app.get("metadata") or {}
        name = str(meta.get("name") or "")
        value = str((meta.get("annotations") or {}).get(CHECK_REQUESTED) or "")
        if not value or self._handled.get(name) == value:
            return
        if app.get("operation"):
            # The app comes back through the watch once the operation's end removes it.
            if self._waiting.get(name) != value:
                self._waiting[name] = value
                log.info(
                    "image automation: check of app %s requested (%s); waits for its operation"
                    " to end",
                    name,
                    value,
                )
            return
        self._waiting.pop(name, None)
        self._handled[name] = value
        log.info("image automation: check of app %s requested (%s)", name, value)
        try:
            await self.check(app)
        except Exception:  # a bug in one check must not end the watch
            log.exception("image automation: the requested check of app %s failed", name)
        try:
            await self.apps.merge(name, {"metadata": {"annotations": {CHECK_REQUESTED: None}}})
        except KubeError as err:
            log.warning(
                "image automation: could not clear %s on %s: %s", CHECK_REQUESTED, name, err
            )

    async def _watch(self, stop: asyncio.Event) -> None:
        backoff = 1.0
        pending: set[asyncio.Task[None]] = set()
        if self.feed is not None:
            unsubscribe = self.feed.subscribe(lambda app: self._spawn(pending, app))
            try:
                await stop.wait()
            finally:
                unsubscribe()
            return
        while not stop.is_set():
            try:
                listed = await self.apps.list()
                for app in listed.items:
                    self._spawn(pending, app)
                version = listed.resource_version
                while not stop.is_set():
                    async for event in self.apps.watch(version):
                        meta = event.object.get("metadata") or {}
                        version = str(meta.get("resourceVersion") or version)
                        if event.type in ("ADDED", "MODIFIED"):
                            self._spawn(pending, event.object)
                        elif event.type == "DELETED":
                            self._handled.pop(str(meta.get("name") or ""), None)
                            self._waiting.pop(str(meta.get("name") or ""), None)
                    backoff = 1.0
            except Gone:
                continue
            except Exception as err:  # KubeError, or a stream cut mid-line: watch again
                log.warning("image automation: watching Applications failed: %s", err)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, 30.0)

    def _spawn(self, pending: set[asyncio.Task[None]], app: dict[str, Any]) -> None:
        annotations = (app.get("metadata") or {}).get("annotations") or {}
        if CHECK_REQUESTED not in annotations:
            return
        task = asyncio.create_task(self._requested(app))
        pending.add(task)
        task.add_done_callback(pending.discard)


def _source(app: dict[str, Any], updaters: list[dict[str, Any]]) -> str:
    """Where ``app``'s image settings come from ("" when none)."""
    if IMAGE_LIST in ((app.get("metadata") or {}).get("annotations") or {}):
        return "annotations"
    try:
        return app_settings(app, updaters)[1]
    except ConfigError:
        return "invalid"  # checked, so the error is reported on the app


__all__ = ["DEFAULT_INTERVAL", "ImageLoop"]
