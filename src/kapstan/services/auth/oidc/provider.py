"""The identity provider's documents: discovery and signing keys, fetched with limits.

Contract of :class:`Provider` (one per issuer, thread-safe, synchronous: async callers use
``asyncio.to_thread``):

- :meth:`discovery` fetches ``<issuer>/.well-known/openid-configuration`` once (again after
  :data:`DISCOVERY_TTL`), checks that its ``issuer`` is the configured one and that it names
  ``authorization_endpoint``, ``token_endpoint`` and ``jwks_uri``;
- :meth:`key` returns the JWK of a ``kid``; an unknown ``kid`` refetches the JWKS (the
  provider rotated its keys), at most once per :data:`REFETCH_INTERVAL` seconds, so forged
  ``kid`` values cannot make the server hammer the provider; keys older than
  :data:`KEYS_TTL` are fetched again before use, so a withdrawn key stops verifying;
- every request has :data:`TIMEOUT` seconds and answers over :data:`MAX_BYTES` are refused;
  ``rootCA`` (PEM) replaces the system trust store when given;
- failures are :class:`ProviderError` with what went wrong and the URL (never a token).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from kapstan.services.auth.errors import AuthError

TIMEOUT = 10.0
MAX_BYTES = 1024 * 1024
DISCOVERY_TTL = 3600.0
REFETCH_INTERVAL = 10.0
KEYS_TTL = 3600.0  # a key the provider withdrew stops verifying within this time
WELL_KNOWN = "/.well-known/openid-configuration"


class ProviderError(AuthError):
    """The identity provider could not be used; the message says why."""


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str = ""


def _client(root_ca: str) -> httpx2.Client:
    verify: ssl.SSLContext | bool = True
    if root_ca:
        try:
            verify = ssl.create_default_context(cadata=root_ca)
        except (ssl.SSLError, ValueError):
            raise ProviderError("oidc.config rootCA is not a valid PEM certificate") from None
    return httpx2.Client(timeout=TIMEOUT, verify=verify, follow_redirects=False)


def read_limited(response: httpx2.Response, url: str) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes():
        body.extend(chunk)
        if len(body) > MAX_BYTES:
            raise ProviderError(f"{url}: answer larger than {MAX_BYTES} bytes")
    return bytes(body)


def fetch_json(client: httpx2.Client, url: str) -> dict[str, Any]:
    """GET ``url`` as a JSON object, with the module's limits."""
    try:
        with client.stream("GET", url, headers={"accept": "application/json"}) as response:
            body = read_limited(response, url)
            status = response.status_code
    except httpx2.TimeoutException:
        raise ProviderError(f"issuer unreachable: {url} timed out after {TIMEOUT:.0f}s") from None
    except httpx2.HTTPError as err:
        raise ProviderError(f"issuer unreachable: {url}: {type(err).__name__}") from None
    if status != 200:
        raise ProviderError(f"{url} answered HTTP {status}")
    try:
        doc = json.loads(body)
    except ValueError:
        raise ProviderError(f"{url} did not answer JSON") from None
    if not isinstance(doc, dict):
        raise ProviderError(f"{url} did not answer a JSON object")
    return doc


class Provider:
    """Discovery and keys of one issuer (see the module contract)."""

    def __init__(
        self,
        issuer: str,
        root_ca: str = "",
        *,
        clock: Callable[[], float] = time.monotonic,
        client: httpx2.Client | None = None,
    ) -> None:
        self.issuer = issuer
        self._client = client or _client(root_ca)
        self._clock = clock
        self._lock = threading.Lock()
        self._discovery: Discovery | None = None
        self._discovered_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at: float | None = None

    @property
    def client(self) -> httpx2.Client:
        return self._client

    def close(self) -> None:
        self._client.close()

    def discovery(self) -> Discovery:
        with self._lock:
            return self._discover()

    def _discover(self) -> Discovery:
        now = self._clock()
        if self._discovery is not None and now - self._discovered_at < DISCOVERY_TTL:
            return self._discovery
        url = self.issuer.rstrip("/") + WELL_KNOWN
        doc = fetch_json(self._client, url)
        if doc.get("issuer") != self.issuer:
            raise ProviderError(
                f"{url} names issuer {doc.get('issuer')!r}, not the configured {self.issuer!r}"
            )
        fields: dict[str, str] = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = doc.get(name)
            if not isinstance(value, str) or not value:
                raise ProviderError(f"{url} has no {name}")
            fields[name] = value
        end = doc.get("end_session_endpoint")
        self._discovery = Discovery(
            issuer=self.issuer, end_session_endpoint=end if isinstance(end, str) else "", **fields
        )
        self._discovered_at = now
        return self._discovery

    def _fetch_keys(self) -> KeySet:
        uri = self._discover().jwks_uri
        doc = fetch_json(self._client, uri)
        keys = doc.get("keys")
        if not isinstance(keys, list):
            raise ProviderError(f"{uri} has no keys")
        # Keys for encryption or of unsupported types are skipped, not fatal.
        usable = [k for k in keys if isinstance(k, Mapping) and k.get("use", "sig") == "sig"]
        try:
            return KeySet.import_key_set({"keys": usable})  # type: ignore[typeddict-item]
        except (JoseError, ValueError, TypeError):
            raise ProviderError(f"{uri} holds a key that cannot be read") from None

    def key(self, kid: str, *, exchanged: bool = False) -> Any:
        """The signing key ``kid`` (see the module contract); ``None`` when unknown.
        ``exchanged``: the token came straight from the token endpoint (a login's code
        exchange, which a forger cannot drive), so an unknown ``kid`` refetches whatever the
        interval says: a login right after a rotation is not refused."""
        with self._lock:
            now = self._clock()
            if self._keys is not None and self._keys_at is not None:
                age = now - self._keys_at
                if age < KEYS_TTL:
                    found = _find(self._keys, kid)
                    if found is not None:
                        return found
                    if age < REFETCH_INTERVAL and not exchanged:
                        return None
            self._keys_at = now  # set before fetching: a failing provider is not hammered either
            self._keys = self._fetch_keys()
            return _find(self._keys, kid)


def _find(keys: KeySet, kid: str) -> Any:
    for key in keys.keys:
        if key.kid == kid:
            return key
    return None


__all__ = ["Discovery", "Provider", "ProviderError", "fetch_json", "read_limited"]
