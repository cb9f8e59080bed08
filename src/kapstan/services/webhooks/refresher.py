"""From parsed webhook events to refresh requests: a bounded queue and the refresh itself.

Contracts:

- :meth:`WebhookQueue.offer` never waits: it queues the event (True) or, with ``maxsize``
  events already waiting, refuses it (False: the API answers 503, as Argo CD does); the
  ``workers`` tasks start with the first offer, on the running loop;
- :func:`refresh_matching` asks for a refresh (the ``argocd.argoproj.io/refresh`` annotation,
  written through :class:`~kapstan.services.applications.Applications` in the app's own
  namespace) of every app the event concerns
  (:func:`~kapstan.services.webhooks.matching.matching_apps` for a Git push,
  :func:`~kapstan.services.webhooks.matching.registry_matching_apps` for a registry push):
  ``normal`` for a Git push — the controller resolves the new revision and renders again only
  for a new commit (the render cache is keyed by commit SHA, so nothing there needs dropping);
  ``hard`` for a registry push — a chart's cache entry is keyed by its version, and a tag can
  be pushed again with other content, so the controller must render the chart again instead of
  answering from its render cache (it runs in another process in split mode: the annotation
  is how the API reaches it). With ``webhook.refresh.jitter`` set, the apps past the threshold
  are refreshed after their random delays (:mod:`kapstan.services.webhooks.jitter`), in order
  of delay, by the same worker (which is busy at most that long). An app deleted meanwhile, or
  a failed write, is logged and the others still go on;
- :meth:`WebhookQueue.join` returns once every queued event was handled (tests, shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError
from kapstan.model.application import RefreshType
from kapstan.services.applications import Applications
from kapstan.services.webhooks.events import Event, Push
from kapstan.services.webhooks.jitter import Jitter, delays
from kapstan.services.webhooks.matching import matching_apps, registry_matching_apps

log = logging.getLogger(__name__)
Handler = Callable[[Event], Awaitable[object]]
DEFAULT_QUEUE_SIZE = 1000


def _describe(event: Event) -> str:
    if isinstance(event, Push):
        return f"push of {event.revision or '?'} to {', '.join(event.urls) or '?'}"
    return f"registry push of {event.oci_url}:{event.tag}"


async def refresh_matching(
    kube: KubeClient,
    apps: Iterable[Mapping[str, Any]],
    event: Event,
    default_namespace: str,
    jitter: Jitter | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[str]:
    """Refresh the apps ``event`` concerns; their ``<namespace>/<name>`` in refresh order."""
    if isinstance(event, Push):
        matched, level = matching_apps(apps, event), RefreshType.NORMAL
    else:
        matched, level = registry_matching_apps(apps, event), RefreshType.HARD
    planned = sorted(
        zip(delays(len(matched), jitter or Jitter()), range(len(matched)), strict=True)
    )
    done: list[str] = []
    waited = 0.0
    for delay, index in planned:
        if delay > waited:
            await sleep(delay - waited)
            waited = delay
        app = matched[index]
        meta = app.get("metadata") or {}
        namespace = str(meta.get("namespace") or default_namespace)
        name = str(meta.get("name") or "")
        try:
            await Applications(kube, namespace).request_refresh(name, level)
        except KubeError as err:
            log.warning("webhook: refreshing %s/%s failed: %s", namespace, name, err)
            continue
        done.append(f"{namespace}/{name}")
    log.info("webhook: %s refreshed %d application(s)", _describe(event), len(done))
    return done


class WebhookQueue:
    """Events waiting for their handler (see the module contract)."""

    def __init__(
        self, handle: Handler, maxsize: int = DEFAULT_QUEUE_SIZE, workers: int = 2
    ) -> None:
        self.handle = handle
        self.workers = workers
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=maxsize)
        self._tasks: list[asyncio.Task[None]] = []

    def offer(self, event: Event) -> bool:
        if not self._tasks and self.workers:
            self._tasks = [asyncio.create_task(self._work()) for _ in range(self.workers)]
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    async def join(self) -> None:
        await self._queue.join()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _work(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self.handle(event)
            except Exception:  # one bad event must not stop the worker
                log.exception("webhook: handling an event failed")
            finally:
                self._queue.task_done()


__all__ = ["DEFAULT_QUEUE_SIZE", "WebhookQueue", "refresh_matching"]
