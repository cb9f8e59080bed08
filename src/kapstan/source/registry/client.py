"""One registry's OCI Distribution API client.

Contract of :class:`RegistryClient` (one per registry, shared by every check; close it with
:meth:`~RegistryClient.aclose` or ``async with``):

- every request waits for the registry's :class:`~.limits.RateLimiter` and counts in
  :attr:`~RegistryClient.requests` (token requests too), so callers can report the cost;
  ``on_request(api_url, failed)``, when given, is told of each one once it ends (``failed``:
  no HTTP answer came: unreachable, timed out), for metrics;
- auth: a ``401`` with a ``Bearer`` challenge fetches a token from its ``realm`` (``service``,
  ``scope``; basic auth with the endpoint's credentials when it has some) and retries once;
  tokens are cached per scope until they expire; a ``Basic`` challenge retries with basic auth
  and later requests send it up front. A second ``401`` or a ``403`` is
  :class:`RegistryAuthFailed`;
- limits: every phase times out after ``timeout`` seconds; a body over its size limit is
  refused while reading (:class:`RegistryResponseInvalid`); TLS trusts ``ca_data`` (PEM) or
  nothing when ``insecure``; only blob reads follow redirects (to storage);
- :meth:`~RegistryClient.tags` follows ``Link: <…>; rel="next"`` pages (``n``/``last``) up to
  ``max_tags`` tags; it sends ``If-None-Match`` with the last ``ETag`` and reuses the cached list
  on ``304``. :meth:`~RegistryClient.details` (digest, creation date, platforms of a tag) is
  cached per tag, since only the ``digest`` policy treats tags as mutable and that one uses
  :meth:`~RegistryClient.digest` (one ``HEAD``). So an unchanged registry costs one request.
- a manifest whose body does not hash to ``Docker-Content-Digest`` is refused.

Messages name the registry and repository, never a credential.
"""

from __future__ import annotations

import hashlib
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx2
import orjson

from kapstan.source.registry.errors import (
    RegistryAuthFailed,
    RegistryError,
    RegistryNotFound,
    RegistryResponseInvalid,
)
from kapstan.source.registry.limits import DEFAULT_RATE, RateLimiter
from kapstan.source.registry.wire import (
    ACCEPT,
    ImageConfig,
    Manifest,
    Platform,
    next_link,
    parse_challenge,
    parse_config,
    parse_manifest,
)

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_TAGS_PAGE_BYTES = 32 * 1024 * 1024
MAX_TAGS = 200_000
_DETAILS_CACHE = 20_000


@dataclass(frozen=True)
class RegistryEndpoint:
    """How to reach one registry (from registries.conf or defaults)."""

    api_url: str  # e.g. "https://registry-1.docker.io", "http://127.0.0.1:5055"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    insecure: bool = False
    ca_data: str | None = field(default=None, repr=False)
    limit: float = DEFAULT_RATE
    timeout: float = 30.0
    max_manifest_bytes: int = MAX_MANIFEST_BYTES
    max_tags: int = MAX_TAGS


@dataclass(frozen=True)
class TagList:
    """A repository's tags in the registry's order; ``unchanged``: the registry said 304."""

    tags: tuple[str, ...]
    unchanged: bool = False


@dataclass(frozen=True)
class ImageDetails:
    """What a tag points at: manifest digest, creation date, platforms."""

    tag: str
    digest: str
    created: datetime | None
    platforms: tuple[Platform, ...]


@dataclass
class _Answer:
    status: int
    headers: httpx2.Headers
    body: bytes


def _verify(endpoint: RegistryEndpoint) -> ssl.SSLContext | bool:
    if endpoint.insecure:
        return False
    if endpoint.ca_data:
        return ssl.create_default_context(cadata=endpoint.ca_data)
    return True


def _json(body: bytes, what: str, where: str, url: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RegistryResponseInvalid(f"{where}: {what} is not valid JSON", url=url) from None


class RegistryClient:
    """See the module contract."""

    def __init__(
        self,
        endpoint: RegistryEndpoint,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        on_request: Callable[[str, bool], None] | None = None,
    ) -> None:
        split = urlsplit(endpoint.api_url)
        if split.scheme not in ("http", "https") or not split.netloc:
            raise ValueError(f"registry API URL {endpoint.api_url!r} is not http(s)://host[:port]")
        self.endpoint = endpoint
        self.base = f"{split.scheme}://{split.netloc}"
        self.requests = 0
        self._on_request = on_request
        self.limiter = RateLimiter(endpoint.limit)
        self._http = httpx2.AsyncClient(
            verify=_verify(endpoint),
            timeout=endpoint.timeout,
            follow_redirects=False,
            transport=transport,
        )
        self._basic = False  # the registry asked for basic auth once: send it up front
        self._tokens: dict[str, tuple[str, float]] = {}  # scope -> (token, expiry monotonic)
        self._etags: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._details: OrderedDict[tuple[str, str], ImageDetails] = OrderedDict()

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- transport -----------------------------------------------------------------------

    def _credentials(self) -> httpx2.BasicAuth | None:
        ep = self.endpoint
        if ep.username or ep.password:
            return httpx2.BasicAuth(ep.username or "", ep.password or "")
        return None

    async def _read(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        auth: httpx2.Auth | None,
        max_bytes: int,
        follow: bool = False,
    ) -> _Answer:
        await self.limiter.acquire()
        self.requests += 1
        answered = False
        try:
            async with self._http.stream(
                method, url, headers=headers, auth=auth, follow_redirects=follow
            ) as resp:
                answered = True
                chunks: list[bytes] = []
                total = 0
                async for chunk in resp.aiter_bytes():
                    total += len(chunk)
                    if total > max_bytes:
                        raise RegistryResponseInvalid(
                            f"{self.base}: the answer to {method} {urlsplit(url).path} is over "
                            f"the {max_bytes}-byte limit",
                            url=self.base,
                        )
                    chunks.append(chunk)
                return _Answer(resp.status_code, resp.headers, b"".join(chunks))
        except httpx2.TimeoutException:
            raise RegistryError(
                f"{self.base}: timed out after {self.endpoint.timeout:g}s", url=self.base
            ) from None
        except httpx2.HTTPError as err:
            raise RegistryError(
                f"{self.base} is unreachable: {type(err).__name__}: {err}", url=self.base
            ) from None
        finally:
            if self._on_request is not None:
                self._on_request(self.endpoint.api_url, not answered)

    async def _token(self, params: dict[str, str], scope: str) -> str:
        realm = params.get("realm")
        if not realm or urlsplit(realm).scheme not in ("http", "https"):
            raise RegistryAuthFailed(
                f"{self.base}: Bearer challenge without a usable realm", url=self.base
            )
        query = {"service": params.get("service", ""), "scope": params.get("scope") or scope}
        url = str(httpx2.URL(realm).copy_merge_params({k: v for k, v in query.items() if v}))
        answer = await self._read(
            "GET", url, headers={}, auth=self._credentials(), max_bytes=1024 * 1024
        )
        if answer.status in (401, 403):
            raise RegistryAuthFailed(
                f"{self.base}: the token service refused the credentials (HTTP {answer.status})",
                url=self.base,
            )
        if answer.status != 200:
            raise RegistryError(
                f"{self.base}: the token service answered HTTP {answer.status}", url=self.base
            )
        doc = _json(answer.body, "the token answer", self.base, self.base)
        token = doc.get("token") or doc.get("access_token") if isinstance(doc, dict) else None
        if not isinstance(token, str) or not token:
            raise RegistryResponseInvalid(f"{self.base}: token answer has no token", url=self.base)
        expires = doc.get("expires_in")
        lifetime = float(expires) if isinstance(expires, int | float) and expires > 0 else 60.0
        self._tokens[scope] = (token, time.monotonic() + max(lifetime - 5, 1))
        return token

    async def _get(
        self,
        path: str,
        *,
        repository: str,
        method: str = "GET",
        accept: str | None = None,
        extra: dict[str, str] | None = None,
        max_bytes: int,
        follow: bool = False,
    ) -> _Answer:
        """One API call with the auth dance; 2xx/304 answers are returned, others raised."""
        scope = f"repository:{repository}:pull"
        url = urljoin(self.base, path)
        retried = False
        while True:
            headers = dict(extra or {})
            if accept:
                headers["Accept"] = accept
            auth: httpx2.Auth | None = None
            cached = self._tokens.get(scope)
            if cached and cached[1] > time.monotonic():
                headers["Authorization"] = f"Bearer {cached[0]}"
            elif self._basic:
                auth = self._credentials()
            answer = await self._read(
                method, url, headers=headers, auth=auth, max_bytes=max_bytes, follow=follow
            )
            where = f"{self.base}/{repository}"
            if answer.status == 401 and not retried:
                retried = True
                try:
                    challenge = parse_challenge(answer.headers.get("WWW-Authenticate", ""))
                except ValueError as err:
                    raise RegistryAuthFailed(f"{where}: {err}", url=self.base) from None
                if challenge.scheme == "bearer":
                    await self._token(challenge.params, scope)
                    continue
                if challenge.scheme == "basic" and self._credentials() is not None:
                    self._basic = True
                    continue
                raise RegistryAuthFailed(
                    f"{where}: authentication required ({challenge.scheme}) and no "
                    "credentials are configured",
                    url=self.base,
                )
            if answer.status in (401, 403):
                raise RegistryAuthFailed(
                    f"{where}: access denied (HTTP {answer.status})", url=self.base
                )
            if answer.status == 404:
                raise RegistryNotFound(f"{where}: {urlsplit(url).path} not found", url=self.base)
            if answer.status == 304 or 200 <= answer.status < 300:
                return answer
            raise RegistryError(f"{where}: HTTP {answer.status}", url=self.base)

    # -- API -----------------------------------------------------------------------------

    async def tags(self, repository: str, *, page_size: int | None = None) -> TagList:
        """Every tag of ``repository`` (see the module contract)."""
        path = f"/v2/{repository}/tags/list" + (f"?n={page_size}" if page_size else "")
        cached = self._etags.get(repository)
        extra = {"If-None-Match": cached[0]} if cached else None
        tags: list[str] = []
        first: _Answer | None = None
        while True:
            answer = await self._get(
                path, repository=repository, extra=extra, max_bytes=MAX_TAGS_PAGE_BYTES
            )
            if answer.status == 304 and cached:
                return TagList(cached[1], unchanged=True)
            first = first or answer
            extra = None
            doc = _json(answer.body, "the tag list", f"{self.base}/{repository}", self.base)
            page = doc.get("tags") if isinstance(doc, dict) else None
            if page is None:
                page = []  # distribution answers {"tags": null} for a repository without tags
            if not isinstance(page, list) or not all(isinstance(t, str) for t in page):
                raise RegistryResponseInvalid(
                    f"{self.base}/{repository}: the tag list is not a list of strings",
                    url=self.base,
                )
            tags.extend(page)
            if len(tags) > self.endpoint.max_tags:
                raise RegistryResponseInvalid(
                    f"{self.base}/{repository}: more than {self.endpoint.max_tags} tags",
                    url=self.base,
                )
            link = next_link(answer.headers.get("Link"))
            if not link:
                break
            target = urljoin(self.base + path, link)
            if not target.startswith(self.base + "/"):
                raise RegistryResponseInvalid(
                    f"{self.base}/{repository}: the next page link leaves the registry",
                    url=self.base,
                )
            path = target.removeprefix(self.base)
        result = tuple(tags)
        etag = first.headers.get("ETag")
        if etag:
            self._etags[repository] = (etag, result)
        return TagList(result)

    async def manifest(self, repository: str, reference: str) -> Manifest:
        """The manifest or index ``reference`` (a tag or digest) names, with its digest."""
        answer = await self._get(
            f"/v2/{repository}/manifests/{reference}",
            repository=repository,
            accept=ACCEPT,
            max_bytes=self.endpoint.max_manifest_bytes,
        )
        where = f"{self.base}/{repository}:{reference}"
        computed = "sha256:" + hashlib.sha256(answer.body).hexdigest()
        header = answer.headers.get("Docker-Content-Digest")
        if header and header.startswith("sha256:") and header != computed:
            raise RegistryResponseInvalid(
                f"{where}: the manifest does not match its digest {header}", url=self.base
            )
        doc = _json(answer.body, "the manifest", where, self.base)
        try:
            return parse_manifest(doc, header or computed, answer.headers.get("Content-Type"))
        except ValueError as err:
            raise RegistryResponseInvalid(f"{where}: {err}", url=self.base) from None

    async def digest(self, repository: str, tag: str) -> str:
        """The manifest digest ``tag`` points at now (one ``HEAD``; a ``GET`` if the registry
        sends no ``Docker-Content-Digest``)."""
        answer = await self._get(
            f"/v2/{repository}/manifests/{tag}",
            repository=repository,
            method="HEAD",
            accept=ACCEPT,
            max_bytes=1,
        )
        header = answer.headers.get("Docker-Content-Digest")
        if header:
            return header
        return (await self.manifest(repository, tag)).digest

    async def config(self, repository: str, digest: str) -> ImageConfig:
        """The image config blob ``digest`` (creation date, platform)."""
        answer = await self._get(
            f"/v2/{repository}/blobs/{digest}",
            repository=repository,
            max_bytes=self.endpoint.max_manifest_bytes,
            follow=True,
        )
        where = f"{self.base}/{repository}@{digest}"
        if digest.startswith("sha256:"):
            computed = "sha256:" + hashlib.sha256(answer.body).hexdigest()
            if computed != digest:
                raise RegistryResponseInvalid(
                    f"{where}: blob does not match its digest", url=self.base
                )
        try:
            return parse_config(_json(answer.body, "the image config", where, self.base))
        except ValueError as err:
            raise RegistryResponseInvalid(f"{where}: {err}", url=self.base) from None

    async def details(
        self, repository: str, tag: str, platforms: tuple[Platform, ...] = ()
    ) -> ImageDetails:
        """Digest, creation date and platforms of ``tag`` (cached per tag). For an index the
        date is the first child's matching ``platforms`` (any child when none is given)."""
        key = (repository, tag)
        hit = self._details.get(key)
        if hit is not None:
            self._details.move_to_end(key)
            return hit
        top = await self.manifest(repository, tag)
        created: datetime | None = None
        if top.is_index:
            found = top.platforms
            chosen = next(
                (
                    d
                    for d, p in top.children
                    if not platforms or (p is not None and any(p.matches(w) for w in platforms))
                ),
                None,
            )
            if chosen is not None:
                child = await self.manifest(repository, chosen)
                if child.config_digest:
                    created = (await self.config(repository, child.config_digest)).created
        else:
            assert top.config_digest is not None  # parse_manifest guarantees it for images
            config = await self.config(repository, top.config_digest)
            created = config.created
            found = (config.platform,) if config.platform else ()
        details = ImageDetails(tag=tag, digest=top.digest, created=created, platforms=found)
        self._details[key] = details
        if len(self._details) > _DETAILS_CACHE:
            self._details.popitem(last=False)
        return details


__all__ = ["ImageDetails", "RegistryClient", "RegistryEndpoint", "TagList"]
