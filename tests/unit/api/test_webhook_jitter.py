"""``webhook.refresh.jitter``: a push matching more apps than the threshold refreshes the first
ones at once and spreads the rest over at most the jitter; a small push is never delayed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kapstan.model.vocabulary import REFRESH
from kapstan.services.webhooks.events import Push
from kapstan.services.webhooks.jitter import Jitter, jitter_of
from kapstan.services.webhooks.refresher import refresh_matching
from kapstan.testing.fakekube import FakeKube, fake_client
from kapstan.testing.fakes import install_into

NS = "argocd"
REPO = "https://github.com/acme/mono"
PUSH = Push(urls=(REPO,), revision="main", touched_head=True, changed_files=None)


def cluster(count: int) -> FakeKube:
    fake = FakeKube()
    install_into(fake, NS)
    for i in range(count):
        fake.put(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": f"app-{i:02d}", "namespace": NS},
                "spec": {"source": {"repoURL": REPO, "targetRevision": "main", "path": f"a{i}"}},
            }
        )
    return fake


def annotated(fake: FakeKube) -> int:
    apps = fake.objects("Application", namespace=NS)
    return sum(REFRESH in (a["metadata"].get("annotations") or {}) for a in apps)


def spread(count: int, jitter: Jitter) -> tuple[list[str], list[tuple[float, int]]]:
    """The refreshed apps and each wait (seconds, apps already refreshed when it began)."""
    fake = cluster(count)
    waits: list[tuple[float, int]] = []

    async def sleep(seconds: float) -> None:
        waits.append((seconds, annotated(fake)))

    async def run() -> list[str]:
        async with fake_client(fake) as kube:
            apps: list[dict[str, Any]] = fake.objects("Application", namespace=NS)
            return await refresh_matching(kube, apps, PUSH, NS, jitter, sleep)

    return asyncio.run(run()), waits


def test_apps_past_the_threshold_are_spread_over_the_jitter() -> None:
    done, waits = spread(15, Jitter(max_delay=30.0, threshold=10))
    assert len(done) == len(set(done)) == 15
    assert waits, "the five apps past the threshold wait"
    assert waits[0][1] == 10  # the first ten were refreshed before any wait
    assert all(seconds > 0 for seconds, _ in waits)
    assert sum(seconds for seconds, _ in waits) < 30.0


@pytest.mark.parametrize(
    ("count", "jitter"),
    [(10, Jitter(max_delay=30.0, threshold=10)), (15, Jitter(max_delay=0.0, threshold=10))],
    ids=["no more apps than the threshold", "jitter off (the default)"],
)
def test_no_wait(count: int, jitter: Jitter) -> None:
    done, waits = spread(count, jitter)
    assert len(done) == count
    assert waits == []


@pytest.mark.parametrize(
    ("jitter", "threshold", "expected"),
    [
        (None, None, Jitter(0.0, 10)),
        ("1m30s", None, Jitter(90.0, 10)),
        ("20s", "3", Jitter(20.0, 3)),
        ("soon", "many", Jitter(0.0, 10)),  # invalid: logged, the defaults
    ],
)
def test_settings(jitter: str | None, threshold: str | None, expected: Jitter) -> None:
    keys = {"webhook.refresh.jitter": jitter, "webhook.refresh.jitter.threshold": threshold}
    assert jitter_of({k: v for k, v in keys.items() if v is not None}) == expected
