"""The registry client against a real ``docker-registry``: images pushed over its HTTP API by
:class:`kapstan.testing.registries.Pusher`, read back as the image loop reads them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from kapstan.source.registry import (
    Platform,
    RegistryAuthFailed,
    RegistryClient,
    RegistryEndpoint,
    RegistryError,
    RegistryNotFound,
)
from kapstan.testing.registries import DOCKER_MANIFEST, Pusher, Registry

from .conftest import PASSWORD, USER


def _repo() -> str:
    return f"team/app-{uuid.uuid4().hex[:8]}"


def test_tags_are_listed_in_one_request(registry: Registry, pusher: Pusher) -> None:
    """distribution v2.8 ignores ``n`` and answers every tag at once (paging through ``Link``
    is proven against a paging fake in the unit tests)."""
    repo = _repo()
    names = [f"1.0.{i}" for i in range(4)]
    for name in names:
        pusher.image(repo, name)

    async def go() -> tuple[tuple[str, ...], int]:
        async with RegistryClient(RegistryEndpoint(registry.api_url)) as client:
            listed = await client.tags(repo, page_size=3)
            return listed.tags, client.requests

    tags, requests = asyncio.run(go())
    assert sorted(tags) == sorted(names)
    assert requests == 1


def test_details_give_digest_creation_date_and_platform(registry: Registry, pusher: Pusher) -> None:
    repo = _repo()
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    oci = pusher.image(repo, "oci", created=when, platform="linux/arm64/v8")
    docker = pusher.image(repo, "docker", created=when, media_type=DOCKER_MANIFEST)
    index = pusher.index(repo, "multi", ["linux/amd64", "linux/arm64"], created=when)

    async def go() -> None:
        async with RegistryClient(RegistryEndpoint(registry.api_url)) as client:
            a = await client.details(repo, "oci")
            assert (a.digest, a.created) == (oci, when)
            assert [str(p) for p in a.platforms] == ["linux/arm64/v8"]
            b = await client.details(repo, "docker")
            assert (b.digest, b.created) == (docker, when)
            c = await client.details(repo, "multi", (Platform("linux", "arm64"),))
            assert (c.digest, c.created) == (index, when)
            assert [str(p) for p in c.platforms] == ["linux/amd64", "linux/arm64"]
            before = client.requests
            await client.details(repo, "oci")
            assert client.requests == before  # tag details are cached
            assert await client.digest(repo, "docker") == docker

    asyncio.run(go())


def test_digest_follows_a_moved_tag(registry: Registry, pusher: Pusher) -> None:
    repo = _repo()
    first = pusher.image(repo, "latest", seed="one")

    async def go() -> tuple[str, str]:
        async with RegistryClient(RegistryEndpoint(registry.api_url)) as client:
            before = await client.digest(repo, "latest")
            pusher.image(repo, "latest", seed="two")
            return before, await client.digest(repo, "latest")

    before, after = asyncio.run(go())
    assert before == first
    assert after != first


def test_unknown_repository_and_unreachable_registry_are_clear_errors(
    registry: Registry,
) -> None:
    async def go() -> None:
        async with RegistryClient(RegistryEndpoint(registry.api_url)) as client:
            with pytest.raises(RegistryNotFound, match="not found"):
                await client.manifest("nobody/nothing", "1.0.0")
        async with RegistryClient(RegistryEndpoint("http://127.0.0.1:9", timeout=2)) as dead:
            with pytest.raises(RegistryError, match="unreachable"):
                await dead.tags("team/app")

    asyncio.run(go())


def test_basic_auth_registry_needs_and_accepts_credentials(auth_registry: Registry) -> None:
    repo = _repo()
    with Pusher(auth_registry) as push:
        digest = push.image(repo, "1.0.0")

    async def go() -> None:
        anonymous = RegistryEndpoint(auth_registry.api_url)
        async with RegistryClient(anonymous) as client:
            with pytest.raises(RegistryAuthFailed, match="no credentials"):
                await client.tags(repo)
        wrong = RegistryEndpoint(auth_registry.api_url, username=USER, password="wrong")
        async with RegistryClient(wrong) as client:
            with pytest.raises(RegistryAuthFailed) as caught:
                await client.tags(repo)
            assert "wrong" not in str(caught.value)
        good = RegistryEndpoint(auth_registry.api_url, username=USER, password=PASSWORD)
        async with RegistryClient(good) as client:
            assert (await client.tags(repo)).tags == ("1.0.0",)
            first = client.requests
            assert (await client.details(repo, "1.0.0")).digest == digest
            await client.tags(repo)
            # after the first challenge, basic auth is sent up front: one request per call
            assert client.requests - first == 3  # manifest + config + tags

    asyncio.run(go())


def test_the_registrys_own_token_auth_through_the_bearer_flow(token_registry: Registry) -> None:
    repo = _repo()
    with Pusher(token_registry) as push:
        digest = push.image(repo, "1.0.0")

    async def go() -> None:
        async with RegistryClient(RegistryEndpoint(token_registry.api_url)) as client:
            with pytest.raises(RegistryAuthFailed, match="token service refused"):
                await client.tags(repo)
        good = RegistryEndpoint(token_registry.api_url, username=USER, password=PASSWORD)
        async with RegistryClient(good) as client:
            assert (await client.tags(repo)).tags == ("1.0.0",)
            assert client.requests == 3  # challenge, token, the list with the token
            assert (await client.details(repo, "1.0.0")).digest == digest
            await client.tags(repo)
            assert client.requests == 6  # manifest, config, list: the token is reused

    asyncio.run(go())
