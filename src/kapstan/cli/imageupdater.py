"""``kapstan image-updater``: image automation as its own process, as argocd-image-updater
runs beside Argo CD. It runs the controller's image loop (same services, same settings:
annotations, ``ImageUpdater`` resources, ``argocd-image-updater-config``) and reconciles
nothing; run ``kapstan controller --image-interval off`` beside it so one loop checks the apps.
"""

from __future__ import annotations

from typing import Annotated

import typer

from kapstan.cli.common import (
    KubeconfigOpt,
    MetricsAddressOpt,
    MetricsPortOpt,
    NamespaceOpt,
    err,
    fail,
    quiet_logs,
    run_until_signal,
)
from kapstan.cli.intervals import duration


def image_updater(
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = "argocd",
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            parser=duration,
            metavar="DURATION",
            help="How often every app with image settings is checked, as argocd-image-updater "
            "takes it (2m, 30s, 1m30s), plus up to a quarter of it as jitter; 0 checks only on "
            "request (registry webhooks received by `kapstan server`).",
        ),
    ] = "2m",  # type: ignore[assignment]  # click parses the default with `duration`
    metrics_port: MetricsPortOpt = None,
    metrics_address: MetricsAddressOpt = "0.0.0.0",  # noqa: S104  # scraped from outside the pod
) -> None:
    """Check the images of the Applications of NAMESPACE and write new tags back, until
    Ctrl-C (or SIGTERM). Run `kapstan controller --image-interval off` beside it."""
    from kapstan.kube.config import ConfigError
    from kapstan.kube.errors import KubeError
    from kapstan.runtime.imageupdater import ImageUpdaterOptions, connect, run_image_updater

    quiet_logs()
    options = ImageUpdaterOptions(
        kubeconfig=kubeconfig,
        namespace=namespace,
        interval=interval,
        metrics_port=metrics_port,
        metrics_address=metrics_address,
    )
    try:
        config = connect(options)
    except (ConfigError, OSError) as e:
        fail(f"kubeconfig: {e}")
    try:
        run_until_signal(lambda stop: run_image_updater(options, stop, config=config))
    except (KubeError, OSError, TimeoutError) as e:  # OSError: the metrics port is taken
        fail(str(e))
    err.print("image-updater stopped")


__all__ = ["image_updater"]
