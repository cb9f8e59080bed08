"""Composition root of ``kapstan controller``: settings, clients and services, wired once.

Contract of :func:`run_controller`: connects with the kubeconfig (or in-cluster config), starts
the watched settings of ``namespace`` (argocd-cm, argocd-cmd-params-cm, repository Secrets,
known hosts, TLS certificates…), finds the manifest tools
(:func:`kapstan.services.tools.find_tools`; a missing one is logged once here, and each app
needing it gets a ``ComparisonError`` saying what to do), builds the manifest generator with
the watched repository credentials, and runs the
:class:`~kapstan.controller.appcontroller.Controller` until ``stop`` is set. Everything it opened
is closed on the way out. ``on_ready`` (tests) receives the controller once it is built.
``kube``/``watched`` given (one-process mode: ``kapstan server --with-controller``) are shared
with the caller, who owns them; ``snapshots`` is where comparisons are published (in memory by
default; Redis with ``--redis``, for API servers in other processes). The image automation
loop (:class:`~kapstan.controller.images.ImageLoop`, every ``image_interval``) runs beside it,
unless ``image_interval`` is negative (``--image-interval off``: ``kapstan image-updater`` runs
it instead). With ``metrics_port``, the image loop's metrics are served on
``metrics_address:metrics_port`` ``/metrics`` (:mod:`kapstan.runtime.metrics`; bound before
anything starts, so a taken port fails at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kapstan.controller.appcontroller import Controller
from kapstan.controller.images import ImageLoop
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig, load_kubeconfig
from kapstan.paths import cache_root
from kapstan.runtime.metrics import metrics_endpoint
from kapstan.services.images.metrics import ImageMetrics
from kapstan.services.manifests import ManifestGenerator
from kapstan.services.redissnapshots import RedisSnapshots, redis_settings
from kapstan.services.settings import SERVER_SIDE_DIFF_KEY
from kapstan.services.snapshots import PublishedSnapshots, SnapshotStore
from kapstan.services.tools import MISSING_HINT, find_tools
from kapstan.services.watched import WatchedSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ControllerOptions:
    """What ``kapstan controller``'s flags say (``None``: take the setting or the default)."""

    kubeconfig: Path | None = None
    namespace: str = "argocd"
    resync: float | None = None
    jitter: float | None = None
    status_processors: int = 4
    operation_processors: int = 8
    cache_dir: Path | None = None
    helm_path: str | None = None
    kustomize_path: str | None = None
    server_side_diff: bool | None = None
    redis: str | None = None  # host:port (else $REDIS_SERVER, argocd-cmd-params-cm redis.server)
    redis_password: str | None = field(default=None, repr=False)
    # image automation (None: 120 s; 0: on request only; < 0: off, for `kapstan image-updater`)
    image_interval: float | None = None
    metrics_port: int | None = None  # None: no /metrics endpoint
    metrics_address: str = "0.0.0.0"  # noqa: S104  # scraped from outside the pod

    @property
    def cache(self) -> Path:
        return self.cache_dir or cache_root() / "controller"


def connect(options: ControllerOptions) -> ClusterConfig:
    """The cluster config (raises ``ConfigError``/``OSError`` with a readable message)."""
    return load_kubeconfig(options.kubeconfig)


def settings_overrides(options: ControllerOptions) -> dict[str, str]:
    """The settings the controller's flags override (argocd-cmd-params-cm keys)."""
    if options.server_side_diff is None:
        return {}
    return {SERVER_SIDE_DIFF_KEY: "true" if options.server_side_diff else "false"}


async def run_controller(
    options: ControllerOptions,
    stop: asyncio.Event,
    *,
    config: ClusterConfig | None = None,
    snapshots: SnapshotStore | None = None,
    kube: KubeClient | None = None,
    watched: WatchedSettings | None = None,
    on_ready: Callable[[Controller], None] | None = None,
) -> None:
    """Run the controller until ``stop`` is set (see the module contract)."""
    lookup = find_tools({"helm": options.helm_path, "kustomize": options.kustomize_path})
    for tool in lookup.missing:
        log.warning(
            "%s not found: %s apps will fail until it is; %s",
            tool,
            tool,
            MISSING_HINT.format(tool=tool),
        )
    overrides = settings_overrides(options)
    metrics = ImageMetrics()
    running: list[Controller] = []  # /healthz answers 200 once it has listed its apps
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(
            metrics_endpoint(
                metrics,
                options.metrics_address,
                options.metrics_port,
                ready=lambda: bool(running) and running[0].ready,
            )
        )
        if kube is None:
            kube = await stack.enter_async_context(KubeClient(config or connect(options)))
        if watched is None:
            watched = WatchedSettings(kube, options.namespace, overrides=overrides)
            await watched.start()
            stack.push_async_callback(watched.stop)
        address, password = redis_settings(
            options.redis, watched.current.params, options.redis_password
        )
        if snapshots is None and address:
            remote = RedisSnapshots(address, password)
            stack.push_async_callback(remote.close)
            snapshots = PublishedSnapshots(remote)
            log.info("publishing comparison snapshots to redis %s", remote.address)
        generator = ManifestGenerator(
            cache_root=options.cache,
            tools=lookup.apply(),
            repositories=lambda: watched.current.repositories,
        )
        controller = Controller(
            kube,
            generator,
            options.namespace,
            watched,
            snapshots=snapshots,
            resync=options.resync,
            jitter=options.jitter,
            status_processors=options.status_processors,
            operation_processors=options.operation_processors,
        )
        running.append(controller)
        if on_ready is not None:
            on_ready(controller)
        every = f"every {controller.resync:g}s" if controller.resync > 0 else "on changes only"
        log.info("reconciling Applications in %s (Git polls %s)", options.namespace, every)
        image_task: asyncio.Task[None] | None = None
        if options.image_interval is not None and options.image_interval < 0:
            log.info("image automation off in this process (--image-interval off)")
        else:
            images = ImageLoop(
                kube,
                options.namespace,
                interval=options.image_interval,
                repositories=lambda: watched.current.repositories,
                metrics=metrics,
                feed=controller.inventory,
            )
            image_task = asyncio.create_task(images.run(stop), name="image-automation")
        try:
            await controller.run(stop)
        finally:
            if image_task is not None:  # stop is the caller's: the API may outlive us
                image_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await image_task


__all__ = ["ControllerOptions", "connect", "run_controller"]
