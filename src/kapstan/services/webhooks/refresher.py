"""From a parsed push to refresh requests: a bounded queue and the refresh itself.

Contracts:

- :meth:`WebhookQueue.offer` never waits: it queues the push (True) or, with ``maxsize``
  pushes already waiting, refuses it (False: the API answers 503, as Argo CD does); the
  ``workers`` tasks start with the first offer, on the running loop;
- :func:`refresh_matching` asks for a ``normal`` refresh (the ``argocd.argoproj.io/refresh``
  annotation, written through :class:`~kapstan.services.applications.Applications` in the
  app's own namespace) of every app :func:`~kapstan.services.webhooks.matching.matching_apps`
  selects; the controller resolves the new revision and renders again only for a new commit
  (the render cache is keyed by commit SHA, so nothing there needs dropping); an app deleted
  meanwhile, or a failed write, is logged and the others still go on;
- :meth:`WebhookQueue.join` returns once every queued push was handled (tests, shutdown).
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
from kapstan.services.webhooks.events import Push
from kapstan.services.webhooks.matching import matching_apps

log = logging.getLogger(__name__)
Handler = Callable[[Push], Awaitable[object]]
DEFAULT_QUEUE_SIZE = 1000


async def refresh_matching(
    kube: KubeClient, apps: Iterable[Mapping[str, Any]], push: Push, default_namespace: str
) -> list[str]:
    """Refresh the apps ``push`` concerns; their ``<namespace>/<name>`` in order."""
    done: list[str] = []
    for app in matching_apps(apps, push):
        meta = app.get("metadata") or {}
        namespace = str(meta.get("namespace") or default_namespace)
        name = str(meta.get("name") or "")
        try:
            await Applications(kube, namespace).request_refresh(name, RefreshType.NORMAL)
        except KubeError as err:
            log.warning("webhook: refreshing %s/%s failed: %s", namespace, name, err)
            continue
        done.append(f"{namespace}/{name}")
    log.info(
        "webhook: push of %s to %s refreshed %d application(s)",
        push.revision or "?",
        ", ".join(push.urls) or "?",
        len(done),
    )
    return done


class WebhookQueue:
    """Pushes waiting for :func:`refresh_matching` (see the module contract)."""

    def __init__(
        self, handle: Handler, maxsize: int = DEFAULT_QUEUE_SIZE, workers: int = 2
    ) -> None:
        self.handle = handle
        self.workers = workers
        self._queue: asyncio.Queue[Push] = asyncio.Queue(maxsize=maxsize)
        self._tasks: list[asyncio.Task[None]] = []

    def offer(self, push: Push) -> bool:
        if not self._tasks and self.workers:
            self._tasks = [asyncio.create_task(self._work()) for _ in range(self.workers)]
        try:
            self._queue.put_nowait(push)
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
            push = await self._queue.get()
            try:
                await self.handle(push)
            except Exception:  # one bad push must not stop the worker
                log.exception("webhook: handling a push failed")
            finally:
                self._queue.task_done()


__all__ = ["DEFAULT_QUEUE_SIZE", "WebhookQueue", "refresh_matching"]
