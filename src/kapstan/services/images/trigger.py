"""Asking for an image check at once, across processes (a registry webhook received by
``kapstan server`` → the image loop of ``kapstan controller``).

The API never imports the controller, so the request travels through Kubernetes:
:func:`request_check` sets the annotation :data:`CHECK_REQUESTED`
(``image-automation.kapstan.io/check-requested: <UTC timestamp>``) on every Application of the
namespace whose image settings (``image-list`` annotation or an ``ImageUpdater``) name an image
of the pushed ``repository``. The controller's
image loop watches Applications; when the annotation appears (or changes) it checks that app
at once and removes the annotation. Apps whose images do not match are not touched.

``kapstan server`` subscribes :func:`on_registry_push` to its registry webhooks, so a push
reaches the controller's image loop within a watch event, in one-process and split mode alike.

``repository`` is what registry webhooks send: ``host[:port]/path`` (GHCR, Quay, Harbor,
generic) compares registry and path; a bare ``path`` (Docker Hub's ``namespace/name``, or
``nginx`` for ``library/nginx``) compares the path on Docker Hub images only, unless
``any_registry`` (when the sender does not know the host name its users pull from).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from kapstan.kube.client import KubeClient
from kapstan.services.applications import Applications
from kapstan.services.images.annotations import ConfigError
from kapstan.services.images.imageupdater import app_settings, list_updaters
from kapstan.services.webhooks.events import RegistryPush
from kapstan.source.registry.reference import DOCKER_HUB, ImageRef, parse_image

log = logging.getLogger(__name__)
CHECK_REQUESTED = "image-automation.kapstan.io/check-requested"


def repository_matches(image: ImageRef, repository: str, *, any_registry: bool = False) -> bool:
    """True when a push to ``repository`` concerns ``image`` (see the module contract)."""
    try:
        pushed = parse_image(repository)
    except ValueError:
        return False
    explicit = "/" in repository and pushed.registry != DOCKER_HUB
    if explicit or repository.startswith(("docker.io/", "index.docker.io/")):
        return (pushed.registry, pushed.repository) == (image.registry, image.repository)
    if any_registry:
        return image.repository in (pushed.repository, repository)
    return image.registry == DOCKER_HUB and pushed.repository == image.repository


async def request_check(
    kube: KubeClient, namespace: str, repository: str, *, any_registry: bool = False
) -> list[str]:
    """Mark the apps using ``repository`` for an immediate check; returns their names."""
    apps = Applications(kube, namespace)
    listed = await apps.list()
    updaters = await list_updaters(kube, namespace)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    marked: list[str] = []
    for app in listed.items:
        meta = app.get("metadata") or {}
        try:
            settings, _ = app_settings(app, updaters)
        except ConfigError:
            continue  # the loop reports it on the app at its next check
        if settings is None or not any(
            repository_matches(s.image, repository, any_registry=any_registry)
            for s in settings.images
        ):
            continue
        name = str(meta.get("name") or "")
        await apps.merge(name, {"metadata": {"annotations": {CHECK_REQUESTED: stamp}}})
        marked.append(name)
    log.info("image check requested for %s: apps %s", repository, ", ".join(marked) or "none")
    return marked


def on_registry_push(kube: KubeClient, namespace: str) -> Callable[[RegistryPush], Awaitable[None]]:
    """The subscriber ``kapstan server`` gives its webhook receiver: every verified registry
    push (GHCR, Harbor, Docker Hub, Quay, the generic form) asks for a check of the apps of
    ``namespace`` that use the pushed repository (:func:`request_check`)."""

    async def check(push: RegistryPush) -> None:
        await request_check(kube, namespace, f"{push.registry}/{push.repository}")

    return check


__all__ = ["CHECK_REQUESTED", "on_registry_push", "repository_matches", "request_check"]
