"""Composition root of ``kapstan image-updater``: image automation as its own process.

Contract of :func:`run_image_updater`: connects with the kubeconfig (or in-cluster config),
starts the watched settings of ``namespace`` (repository credentials, for write-back ``git``),
and runs the same :class:`~kapstan.controller.images.ImageLoop` that ``kapstan controller``
runs (every ``interval`` seconds, jittered; ``0``: only on request, i.e. registry webhooks
received by ``kapstan server``) until ``stop`` is set. It reconciles nothing: the controller
deploys what the loop writes. Run the controller with ``--image-interval off`` beside it, so
that one loop, not two, checks the apps. Everything it opened is closed on the way out.
With ``metrics_port``, the loop's metrics are served on ``metrics_address:metrics_port``
``/metrics`` (:mod:`kapstan.runtime.metrics`; bound first, so a taken port fails at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from kapstan.controller.images import DEFAULT_INTERVAL, ImageLoop
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig, load_kubeconfig
from kapstan.runtime.metrics import metrics_endpoint
from kapstan.services.images.metrics import ImageMetrics
from kapstan.services.watched import WatchedSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageUpdaterOptions:
    """What ``kapstan image-updater``'s flags say."""

    kubeconfig: Path | None = None
    namespace: str = "argocd"
    interval: float = DEFAULT_INTERVAL  # seconds; 0: on request only
    metrics_port: int | None = None  # None: no /metrics endpoint
    metrics_address: str = "0.0.0.0"  # noqa: S104  # scraped from outside the pod


def connect(options: ImageUpdaterOptions) -> ClusterConfig:
    """The cluster config (raises ``ConfigError``/``OSError`` with a readable message)."""
    return load_kubeconfig(options.kubeconfig)


async def run_image_updater(
    options: ImageUpdaterOptions, stop: asyncio.Event, *, config: ClusterConfig | None = None
) -> None:
    """Run the image loop alone until ``stop`` is set (see the module contract)."""
    metrics = ImageMetrics()
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(
            metrics_endpoint(metrics, options.metrics_address, options.metrics_port)
        )
        kube = await stack.enter_async_context(KubeClient(config or connect(options)))
        watched = WatchedSettings(kube, options.namespace)
        await watched.start()
        stack.push_async_callback(watched.stop)
        log.info("image-updater: Applications of %s (no reconciling)", options.namespace)
        loop = ImageLoop(
            kube,
            options.namespace,
            interval=options.interval,
            repositories=lambda: watched.current.repositories,
            metrics=metrics,
        )
        await loop.run(stop)


__all__ = ["ImageUpdaterOptions", "connect", "run_image_updater"]
