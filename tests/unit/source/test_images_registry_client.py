"""The registry client against an in-process fake registry (httpx2.MockTransport) for what
Debian's distribution v2.8 cannot show: tag paging through ``Link``, the Bearer token flow,
``ETag``/``304``, and registries answering garbage."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest

from kapstan.source.registry import (
    RegistryAuthFailed,
    RegistryClient,
    RegistryEndpoint,
    RegistryResponseInvalid,
)
from kapstan.source.registry.reference import parse_image
from kapstan.source.registry.wire import parse_challenge, parse_time

Handler = Callable[[httpx2.Request], httpx2.Response]
API = "https://reg.example"


def _client(handler: Handler, **kw: object) -> RegistryClient:
    endpoint = RegistryEndpoint(API, limit=0, **kw)  # type: ignore[arg-type]
    return RegistryClient(endpoint, transport=httpx2.MockTransport(handler))


def _run(client: RegistryClient, call: Callable[[RegistryClient], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        async with client:
            return await call(client)

    return asyncio.run(go())


def test_tags_follow_link_pages() -> None:
    tags = [f"v{i}" for i in range(5)]

    def handler(req: httpx2.Request) -> httpx2.Response:
        n = int(req.url.params.get("n", "100"))
        last = req.url.params.get("last")
        start = tags.index(last) + 1 if last else 0
        page = tags[start : start + n]
        headers = {}
        if start + n < len(tags):
            headers["Link"] = f'</v2/a/b/tags/list?n={n}&last={page[-1]}>; rel="next"'
        return httpx2.Response(200, json={"name": "a/b", "tags": page}, headers=headers)

    client = _client(handler)
    result = _run(client, lambda c: c.tags("a/b", page_size=2))
    assert result.tags == tuple(tags)
    assert client.requests == 3


def test_a_link_to_another_host_is_refused() -> None:
    def handler(req: httpx2.Request) -> httpx2.Response:
        link = '<https://evil.example/v2/a/b/tags/list?last=x>; rel="next"'
        return httpx2.Response(200, json={"tags": ["x"]}, headers={"Link": link})

    with pytest.raises(RegistryResponseInvalid, match="leaves the registry"):
        _run(_client(handler), lambda c: c.tags("a/b"))


def test_bearer_token_flow_and_cached_token() -> None:
    seen: list[str] = []

    def handler(req: httpx2.Request) -> httpx2.Response:
        seen.append(f"{req.url.host}{req.url.path}")
        if req.url.host == "auth.example":
            expected = "Basic " + base64.b64encode(b"u:p").decode()
            assert req.headers.get("Authorization") == expected
            assert req.url.params["service"] == "reg"
            assert req.url.params["scope"] == "repository:a/b:pull"
            return httpx2.Response(200, json={"token": "tok", "expires_in": 300})
        if req.headers.get("Authorization") != "Bearer tok":
            challenge = (
                'Bearer realm="https://auth.example/token",service="reg",'
                'scope="repository:a/b:pull"'
            )
            return httpx2.Response(401, headers={"WWW-Authenticate": challenge})
        return httpx2.Response(200, json={"tags": ["1.0.0"]})

    client = _client(handler, username="u", password="p")

    async def twice(c: RegistryClient) -> None:
        assert (await c.tags("a/b")).tags == ("1.0.0",)
        assert (await c.tags("a/b")).tags == ("1.0.0",)

    _run(client, twice)
    # challenge, token, retry; then the cached token: one request
    assert (
        seen
        == ["reg.example/v2/a/b/tags/list", "auth.example/token"]
        + ["reg.example/v2/a/b/tags/list"] * 2
    )


def test_refused_token_is_an_auth_error_without_the_password() -> None:
    def handler(req: httpx2.Request) -> httpx2.Response:
        if req.url.host == "auth.example":
            return httpx2.Response(401)
        return httpx2.Response(
            401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.example/t"'}
        )

    with pytest.raises(RegistryAuthFailed, match="refused") as caught:
        _run(_client(handler, username="u", password="hunter2"), lambda c: c.tags("a/b"))
    assert "hunter2" not in str(caught.value)


def test_etag_makes_an_unchanged_list_a_304() -> None:
    def handler(req: httpx2.Request) -> httpx2.Response:
        if req.headers.get("If-None-Match") == '"v1"':
            return httpx2.Response(304)
        return httpx2.Response(200, json={"tags": ["a", "b"]}, headers={"ETag": '"v1"'})

    async def twice(c: RegistryClient) -> tuple[object, object]:
        return await c.tags("x/y"), await c.tags("x/y")

    first, second = _run(_client(handler), twice)
    assert first.tags == second.tags == ("a", "b")
    assert (first.unchanged, second.unchanged) == (False, True)


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b"<html>", {}, "not valid JSON"),
        (b'{"mediaType": "application/x-weird"}', {}, "unsupported manifest media type"),
        (
            b'{"mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {}}',
            {},
            "config without a digest",
        ),
        (b"{}", {"Docker-Content-Digest": "sha256:" + "0" * 64}, "does not match its digest"),
        (b"x" * 5000, {}, "over the 4096-byte limit"),
    ],
)
def test_garbage_manifests_are_refused(body: bytes, headers: dict[str, str], message: str) -> None:
    def handler(req: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers=headers)

    with pytest.raises(RegistryResponseInvalid, match=message):
        _run(_client(handler, max_manifest_bytes=4096), lambda c: c.manifest("a/b", "1"))


def test_manifest_digest_is_the_body_hash() -> None:
    doc = {"mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}
    body = json.dumps(doc).encode()

    def handler(req: httpx2.Request) -> httpx2.Response:
        assert "application/vnd.oci.image.index.v1+json" in req.headers["Accept"]
        return httpx2.Response(200, content=body)

    got = _run(_client(handler), lambda c: c.manifest("a/b", "1"))
    assert got.digest == "sha256:" + hashlib.sha256(body).hexdigest()


def test_rate_limit_spaces_requests() -> None:
    def handler(req: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"tags": []})

    client = RegistryClient(
        RegistryEndpoint(API, limit=20), transport=httpx2.MockTransport(handler)
    )

    async def many(c: RegistryClient) -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.gather(*(c.tags("a/b") for _ in range(6)))
        return loop.time() - start

    elapsed = _run(client, many)
    assert elapsed >= 0.24  # 6 requests at 20/s: 5 gaps of 50 ms


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "name"),
    [
        ("nginx", "docker.io", "library/nginx", None, "nginx"),
        ("nginx:1.20", "docker.io", "library/nginx", "1.20", "nginx"),
        ("bitnami/redis:7", "docker.io", "bitnami/redis", "7", "bitnami/redis"),
        (
            "127.0.0.1:5000/team/app:1.2.x",
            "127.0.0.1:5000",
            "team/app",
            "1.2.x",
            "127.0.0.1:5000/team/app",
        ),
        ("ghcr.io/o/app", "ghcr.io", "o/app", None, "ghcr.io/o/app"),
        ("localhost/app:v1", "localhost", "app", "v1", "localhost/app"),
    ],
)
def test_image_references(
    text: str, registry: str, repository: str, tag: str | None, name: str
) -> None:
    ref = parse_image(text)
    assert (ref.registry, ref.repository, ref.tag, ref.name) == (registry, repository, tag, name)


@pytest.mark.parametrize("text", ["", "UPPER/case", "app:bad tag", "app@sha256:xyz"])
def test_bad_image_references_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="image reference"):
        parse_image(text)


def test_challenge_and_time_parsing() -> None:
    c = parse_challenge('Bearer realm="https://a/token",service="reg",scope="repository:x:pull"')
    assert c.scheme == "bearer"
    assert c.params == {"realm": "https://a/token", "service": "reg", "scope": "repository:x:pull"}
    assert parse_time("2024-01-02T03:04:05.123456789Z").microsecond == 123456


def test_a_hundred_thousand_tags_are_read_and_a_larger_list_refused() -> None:
    from kapstan.services.images.annotations import read_annotations
    from kapstan.services.images.select import select_tag

    tags = [f"1.{i // 1000}.{i % 1000}" for i in range(100_000)]
    page = 10_000

    def handler(req: httpx2.Request) -> httpx2.Response:
        last = req.url.params.get("last")
        start = tags.index(last) + 1 if last else 0
        chunk = tags[start : start + page]
        headers = {}
        if start + page < len(tags):
            headers["Link"] = f'</v2/a/b/tags/list?n={page}&last={chunk[-1]}>; rel="next"'
        return httpx2.Response(200, json={"tags": chunk}, headers=headers)

    settings = read_annotations(
        {"argocd-image-updater.argoproj.io/image-list": "x=reg.example/a/b:1.42.x"}
    )
    assert settings is not None
    choice = _run(_client(handler), lambda c: select_tag(c, settings.images[0]))
    assert choice.tag == "1.42.999"
    with pytest.raises(RegistryResponseInvalid, match="more than 50000 tags"):
        _run(_client(handler, max_tags=50_000), lambda c: c.tags("a/b"))
