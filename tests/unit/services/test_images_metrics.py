"""Image automation metrics as a scrape shows them: an image check that moves an app counts
an update and its registry request, a registry that does not answer counts an error and a
failed request, a bad annotation counts an error; a polling pass sets the apps watched; and
``/metrics`` serves it all in the Prometheus text format (a real socket, a real HTTP GET).

The cluster is FakeKube; the registry is a tiny HTTP server on 127.0.0.1 answering the tag
list the way distribution does, so the real registry client does the counting.
"""

from __future__ import annotations

import asyncio
import socket

import httpx2
import pytest

from kapstan.controller.images import ImageLoop
from kapstan.controller.inventory import Inventory
from kapstan.localcluster.ports import free_port
from kapstan.runtime.metrics import metrics_endpoint
from kapstan.services.images.metrics import ImageMetrics
from kapstan.services.images.updater import ImageUpdater, Outcome
from kapstan.testing.fakekube import FakeKube, fake_client
from tests.unit.services.imagecluster import NS
from tests.unit.services.imagecluster import annotated_app as _app
from tests.unit.services.imagecluster import image_cluster as _cluster

UPDATED = "argocd_image_updater_images_updated_total"
ERRORS = "argocd_image_updater_images_errors_total"
WATCHED = "argocd_image_updater_images_watched_total"
APPS = "argocd_image_updater_applications_watched_total"
REQUESTS = "argocd_image_updater_registry_requests_total"
FAILED = "argocd_image_updater_registry_requests_failed_total"


async def _check(fake: FakeKube, name: str) -> tuple[ImageMetrics, list[Outcome]]:
    metrics = ImageMetrics()
    async with fake_client(fake) as kube:
        updater = ImageUpdater(kube, NS, metrics=metrics)
        try:
            app = fake.get_object("Application", name, namespace=NS) or {}
            results = await updater.check(app)
        finally:
            await updater.aclose()
    return metrics, [r.outcome for r in results]


def test_an_update_counts_one_image_updated_and_the_registry_request(registry: str) -> None:
    fake = _cluster(
        _app("web", f"web={registry}/team/web:1.2.x", f"{registry}/team/web:1.2.3"),
        registries=[registry],
    )
    metrics, outcomes = asyncio.run(_check(fake, "web"))
    assert outcomes == [Outcome.UPDATED]
    api = f"http://{registry}"
    assert metrics.value(UPDATED, application="web") == 1
    assert metrics.value(ERRORS, application="web") == 0
    assert metrics.value(WATCHED, application="web") == 1
    assert metrics.value(REQUESTS, registry=api) == 1  # semver: one tag list
    assert metrics.value(FAILED, registry=api) == 0
    text = metrics.exposition().decode()
    assert f'{UPDATED}{{application="web"}} 1.0' in text
    assert f'{REQUESTS}{{registry="{api}"}} 1.0' in text


def test_an_unreachable_registry_counts_an_error_and_a_failed_request(registry: str) -> None:
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there
    fake = _cluster(
        _app("down", f"web={dead}/team/web:1.2.x", f"{dead}/team/web:1.2.3"), registries=[dead]
    )
    metrics, outcomes = asyncio.run(_check(fake, "down"))
    assert outcomes == [Outcome.FAILED]
    assert metrics.value(ERRORS, application="down") == 1
    assert metrics.value(UPDATED, application="down") == 0
    assert metrics.value(REQUESTS, registry=f"http://{dead}") == 1
    assert metrics.value(FAILED, registry=f"http://{dead}") == 1


@pytest.mark.parametrize(
    ("image_list", "running", "updated", "errors", "requests"),
    [
        ("web={r}/team/web:1.2.x", "{r}/team/web:1.2.4", 0, 0, 1),  # up to date
        ("web={r}/team/web:9.x", "{r}/team/web:1.2.3", 0, 0, 1),  # no tag matches: a skip
        ("web={r}/team/missing:1.2.x", "{r}/team/missing:1.2.3", 0, 1, 1),  # 404
        ("web={r}/team/web:1.2.x,web={r}/team/web:1.x", "{r}/team/web:1.2.3", 0, 1, 0),  # config
    ],
    ids=["up-to-date", "skipped", "not-found", "duplicate-alias"],
)
def test_what_is_not_an_update_is_not_counted_as_one(
    registry: str, image_list: str, running: str, updated: int, errors: int, requests: int
) -> None:
    fake = _cluster(
        _app("other", image_list.format(r=registry), running.format(r=registry)),
        registries=[registry],
    )
    metrics, _ = asyncio.run(_check(fake, "other"))
    assert metrics.value(UPDATED, application="other") == updated
    assert metrics.value(ERRORS, application="other") == errors
    assert metrics.value(REQUESTS, registry=f"http://{registry}") == requests


def test_a_polling_pass_sets_the_apps_watched_and_drops_apps_that_are_gone(registry: str) -> None:
    image = f"{registry}/team/web"
    fake = _cluster(
        _app("a", f"web={image}:1.2.x", f"{image}:1.2.4"),
        _app("b", f"web={image}:1.2.x", f"{image}:1.2.4"),
        registries=[registry],
    )

    async def body() -> tuple[float, float, float, float]:
        async with fake_client(fake) as kube:
            loop = ImageLoop(kube, NS, interval=0)
            try:
                await loop.check_all()
                first = loop.metrics.value(APPS), loop.metrics.value(WATCHED, application="b")
                fake.delete("Application", "b", namespace=NS)
                await loop.check_all()
                second = loop.metrics.value(APPS), loop.metrics.value(WATCHED, application="b")
            finally:
                await loop.updater.aclose()
        return (*first, *second)

    assert asyncio.run(body()) == (2, 1, 1, 0)


def test_the_endpoint_serves_metrics_and_nothing_else() -> None:
    metrics = ImageMetrics()
    metrics.checked("web", updated=2, errors=0)
    port = free_port()

    async def body() -> tuple[httpx2.Response, httpx2.Response, httpx2.Response]:
        async with (
            metrics_endpoint(metrics, "127.0.0.1", port),
            httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
        ):
            return (
                await http.get("/metrics"),
                await http.get("/"),
                await http.post("/metrics"),
            )

    scrape, other, post = asyncio.run(body())
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert f'{UPDATED}{{application="web"}} 2.0' in scrape.text
    assert (other.status_code, post.status_code) == (404, 405)
    with socket.socket() as s:  # closed with the block: nothing listens there any more
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_healthz_answers_503_until_ready_then_200() -> None:
    port = free_port()
    ready = False

    async def body() -> tuple[int, int, str]:
        nonlocal ready
        async with (
            metrics_endpoint(ImageMetrics(), "127.0.0.1", port, ready=lambda: ready),
            httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
        ):
            starting = await http.get("/healthz")
            ready = True
            up = await http.get("/healthz")
            return starting.status_code, up.status_code, up.text

    assert asyncio.run(body()) == (503, 200, "ok\n")


def test_a_taken_metrics_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        async def body() -> None:
            async with metrics_endpoint(ImageMetrics(), "127.0.0.1", port):
                pass

        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            asyncio.run(body())


def test_in_the_controller_a_polling_pass_reads_the_reconcilers_applications(
    registry: str,
) -> None:
    # The controller's own Application watch feeds the image loop: a pass lists nothing itself.
    image = f"{registry}/team/web"
    fake = _cluster(registries=[registry])
    known = [_app(n, f"web={image}:1.2.x", f"{image}:1.2.4") for n in ("a", "b", "c")]
    for app in known:
        app["metadata"]["resourceVersion"] = "1"
    inventory = Inventory(lambda _: None, lambda _: None, lambda _: None)
    inventory.apps_listed(known)

    async def body() -> float:
        async with fake_client(fake) as kube:
            loop = ImageLoop(kube, NS, interval=0, feed=inventory)
            try:
                await loop.check_all()
            finally:
                await loop.updater.aclose()
        return loop.metrics.value(APPS)

    assert asyncio.run(body()) == 3
