"""Every update strategy against the real ``docker-registry``: images pushed over its API, the
image configured with argocd-image-updater's annotations, the tag chosen by
:func:`~kapstan.services.images.select.select_tag` as the image loop chooses it; and the cost
of a check when nothing changed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kapstan.services.images.annotations import ImageSpec, read_annotations
from kapstan.services.images.select import select_tag
from kapstan.source.registry import RegistryClient, RegistryEndpoint
from kapstan.testing.registries import Pusher, Registry

P = "argocd-image-updater.argoproj.io/"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _spec(image: str, **settings: str) -> ImageSpec:
    annotations = {P + "image-list": f"app={image}"}
    annotations.update({f"{P}app.{k.replace('_', '-')}": v for k, v in settings.items()})
    got = read_annotations(annotations)
    assert got is not None
    return got.images[0]


def _select(registry: Registry, spec: ImageSpec) -> tuple[str | None, str | None, str]:
    async def go() -> tuple[str | None, str | None, str]:
        async with RegistryClient(RegistryEndpoint(registry.api_url)) as client:
            choice = await select_tag(client, spec)
            return choice.tag, choice.digest, choice.reason

    return asyncio.run(go())


def _fresh() -> str:
    return f"team/s-{uuid.uuid4().hex[:8]}"


def test_semver_constraint_skips_the_new_major(registry: Registry, pusher: Pusher) -> None:
    repo = _fresh()
    for tag in ("1.2.3", "1.2.4", "2.0.0", "1.3.0-rc.1", "latest"):
        pusher.image(repo, tag)
    assert _select(registry, _spec(f"{registry.host}/{repo}:1.2.x"))[0] == "1.2.4"
    with_pre = _spec(f"{registry.host}/{repo}:^1.2.0-0")
    assert _select(registry, with_pre)[0] == "1.3.0-rc.1"
    tag, _, reason = _select(registry, _spec(f"{registry.host}/{repo}:3.x"))
    assert tag is None
    assert "no tag satisfies 3.x" in reason


def test_newest_build_goes_by_creation_date(registry: Registry, pusher: Pusher) -> None:
    repo = _fresh()
    pusher.image(repo, "zzz", created=T0)
    pusher.image(repo, "aaa", created=T0 + timedelta(hours=2))
    pusher.image(repo, "mmm", created=T0 + timedelta(hours=1))
    spec = _spec(f"{registry.host}/{repo}", update_strategy="newest-build")
    assert _select(registry, spec)[0] == "aaa"
    old_name = _spec(f"{registry.host}/{repo}", update_strategy="latest")
    assert _select(registry, old_name)[0] == "aaa"


def test_alphabetical_and_numerical(registry: Registry, pusher: Pusher) -> None:
    repo = _fresh()
    for tag in ("2024.01.15", "2024.03.01", "2023.12.31", "9", "10"):
        pusher.image(repo, tag)
    calver = _spec(
        f"{registry.host}/{repo}", update_strategy="alphabetical", allow_tags=r"regexp:^\d{4}\."
    )
    assert _select(registry, calver)[0] == "2024.03.01"
    numbers = _spec(f"{registry.host}/{repo}", update_strategy="numerical")
    assert _select(registry, numbers)[0] == "10"  # 10 > 9 as numbers; calver tags are no number


def test_flux_pattern_extract_and_ignore_tags(registry: Registry, pusher: Pusher) -> None:
    repo = _fresh()
    for tag in ("main-abc1234-1700000300", "main-def5678-1700000100", "dev-0000000-1800000000"):
        pusher.image(repo, tag)
    spec = _spec(
        f"{registry.host}/{repo}",
        update_strategy="numerical",
        tag_pattern=r"^main-[a-f0-9]+-(?P<ts>[0-9]+)$",
        tag_extract="$ts",
    )
    assert _select(registry, spec)[0] == "main-abc1234-1700000300"
    ignoring = _spec(
        f"{registry.host}/{repo}", update_strategy="alphabetical", ignore_tags="main-*"
    )
    assert _select(registry, ignoring)[0] == "dev-0000000-1800000000"


def test_digest_follows_latest(registry: Registry, pusher: Pusher) -> None:
    repo = _fresh()
    first = pusher.image(repo, "latest", seed="one")
    spec = _spec(f"{registry.host}/{repo}:latest", update_strategy="digest")
    assert _select(registry, spec)[:2] == ("latest", first)
    second = pusher.image(repo, "latest", seed="two")
    assert _select(registry, spec)[:2] == ("latest", second)
    assert second != first


def test_platform_filter_reads_the_index(registry: Registry, pusher: Pusher) -> None:
    repo = _fresh()
    pusher.index(repo, "1.0.1", ["linux/amd64", "linux/arm64"])
    pusher.index(repo, "1.0.2", ["linux/amd64"])
    spec = _spec(f"{registry.host}/{repo}:1.0.x", platforms="linux/arm64")
    assert _select(registry, spec)[0] == "1.0.1"


@pytest.mark.parametrize("strategy", ["semver", "newest-build"])
def test_an_unchanged_registry_costs_one_request_per_check(
    registry: Registry, pusher: Pusher, strategy: str
) -> None:
    repo = _fresh()
    for i in range(5):
        pusher.image(repo, f"1.0.{i}", created=T0 + timedelta(minutes=i))
    spec = _spec(f"{registry.host}/{repo}:1.0.x", update_strategy=strategy)

    async def go() -> tuple[int, int, str | None]:
        async with RegistryClient(RegistryEndpoint(registry.api_url)) as client:
            first = await select_tag(client, spec)
            cost_first = client.requests
            second = await select_tag(client, spec)
            assert second.tag == first.tag
            return cost_first, client.requests - cost_first, first.tag

    first_cost, second_cost, tag = asyncio.run(go())
    assert tag == "1.0.4"
    assert second_cost == 1  # the tag list; tag details come from the cache
    assert first_cost == (1 if strategy == "semver" else 1 + 2 * 5)
