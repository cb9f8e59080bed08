"""Prometheus metrics of image automation, named and labelled as argocd-image-updater names
them, so its dashboards and alerts keep working after a switch.

Contract of :class:`ImageMetrics`: one per process (the image loop's), each with its own
:class:`~prometheus_client.CollectorRegistry` rather than the library's global one, so
several loops in one test process never share or collide on series. Counting is cheap and
always on; whether anything serves :meth:`~ImageMetrics.exposition` is the process's choice
(``--metrics-port``). The series:

- ``argocd_image_updater_applications_watched_total`` (gauge): apps with image settings in
  the last polling pass;
- ``argocd_image_updater_images_watched_total{application}`` (gauge): images of the app's
  settings at its last check (the series of an app no longer watched is dropped);
- ``argocd_image_updater_images_updated_total{application}`` (counter): images moved to a
  new tag (written back);
- ``argocd_image_updater_images_errors_total{application}`` (counter): images whose check
  failed (registry, credentials, write-back, or the app's configuration as one error);
- ``argocd_image_updater_registry_requests_total{registry}`` (counter): HTTP requests to a
  registry (token requests included), ``registry`` its API URL;
- ``argocd_image_updater_registry_requests_failed_total{registry}`` (counter): those that got
  no HTTP answer (unreachable, timed out), as argocd-image-updater counts a failed round
  trip; an error status is an answer and counts only in the total.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

# What generate_latest writes, under the content type every Prometheus version parses (the
# library's own default when a scraper asks for nothing else).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
_PREFIX = "argocd_image_updater_"


class ImageMetrics:
    """See the module contract."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._apps = Gauge(
            _PREFIX + "applications_watched_total",
            "The number of applications with image settings in the last polling pass",
            registry=r,
        )
        self._images = Gauge(
            _PREFIX + "images_watched_total",
            "The number of images of an application's image settings",
            ["application"],
            registry=r,
        )
        self._updated = Counter(
            _PREFIX + "images_updated_total",
            "The number of images moved to a new tag",
            ["application"],
            registry=r,
        )
        self._errors = Counter(
            _PREFIX + "images_errors_total",
            "The number of image checks that failed",
            ["application"],
            registry=r,
        )
        self._requests = Counter(
            _PREFIX + "registry_requests_total",
            "The number of HTTP requests to a registry",
            ["registry"],
            registry=r,
        )
        self._failed = Counter(
            _PREFIX + "registry_requests_failed_total",
            "The number of registry requests that got no HTTP answer",
            ["registry"],
            registry=r,
        )
        self._watched: set[str] = set()

    def applications_watched(self, names: Iterable[str]) -> None:
        """A polling pass checked ``names``: the gauge, and no image series for the others."""
        current = set(names)
        self._apps.set(len(current))
        for gone in self._watched - current:
            with contextlib.suppress(KeyError):  # never set: nothing to drop
                self._images.remove(gone)
        self._watched = current

    def images_watched(self, application: str, count: int) -> None:
        self._images.labels(application).set(count)
        self._watched.add(application)

    def checked(self, application: str, *, updated: int, errors: int) -> None:
        """One check of ``application`` ended: ``updated`` images moved, ``errors`` failed."""
        # Touch both series so a dashboard sees 0 rather than no data for a healthy app.
        self._updated.labels(application).inc(updated)
        self._errors.labels(application).inc(errors)

    def registry_request(self, registry: str, failed: bool) -> None:
        """One HTTP request to ``registry`` (its API URL); ``failed``: no answer came."""
        self._requests.labels(registry).inc()
        failures = self._failed.labels(registry)
        if failed:
            failures.inc()

    def value(self, name: str, **labels: str) -> float:
        """The current value of one series (0 when it does not exist yet)."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def exposition(self) -> bytes:
        """Every series in the Prometheus text format (:data:`CONTENT_TYPE`)."""
        return generate_latest(self.registry)


__all__ = ["CONTENT_TYPE", "ImageMetrics"]
