"""The ``index.yaml`` of a Helm chart repository over HTTP(S), fetched with limits.

Contract of :func:`fetch_index`: GETs ``<repo URL>/index.yaml`` with HTTP basic auth when a
user name or password is given, trusting ``tls_ca_data`` (PEM) or skipping verification when
``insecure``; gives up after ``timeout`` seconds and refuses an answer over ``max_bytes``
(counted while reading). Every failure is a :class:`~kapstan.source.errors.SourceError` whose
message names the credential-free URL and never a password. Redirects are not followed.
"""

from __future__ import annotations

import ssl

import httpx2

from kapstan.source.credentials import RepoCredentials
from kapstan.source.errors import AuthenticationFailed, RepositoryNotFound, SourceError
from kapstan.source.urls import strip_credentials

MAX_INDEX_BYTES = 32 * 1024 * 1024


def _verify(creds: RepoCredentials) -> ssl.SSLContext | bool:
    if creds.insecure:
        return False
    if creds.tls_ca_data:
        return ssl.create_default_context(cadata=creds.tls_ca_data)
    return True


async def fetch_index(
    url: str,
    credentials: RepoCredentials | None = None,
    *,
    timeout: float = 30.0,
    max_bytes: int = MAX_INDEX_BYTES,
) -> bytes:
    """The raw ``index.yaml`` of the chart repository at ``url`` (see the module contract)."""
    clean, user, password = strip_credentials(url)
    creds = credentials or RepoCredentials(username=user, password=password)
    if not clean.lower().startswith(("http://", "https://")):
        raise SourceError(f"{clean} is not an HTTP(S) chart repository", url=clean)
    target = clean.rstrip("/") + "/index.yaml"
    auth = None
    if creds.username or creds.password:
        auth = httpx2.BasicAuth(creds.username or "", creds.password or "")
    try:
        async with (
            httpx2.AsyncClient(
                verify=_verify(creds), timeout=timeout, follow_redirects=False
            ) as client,
            client.stream("GET", target, auth=auth) as response,
        ):
            if response.status_code in (401, 403):
                raise AuthenticationFailed(
                    f"authentication failed for {clean}: HTTP {response.status_code}", url=clean
                )
            if response.status_code == 404:
                raise RepositoryNotFound(f"{clean} has no index.yaml (HTTP 404)", url=clean)
            if response.status_code != 200:
                raise SourceError(
                    f"fetching the index of {clean}: HTTP {response.status_code}", url=clean
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise SourceError(
                        f"the index of {clean} is over the limit of {max_bytes} bytes", url=clean
                    )
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx2.HTTPError as err:
        raise SourceError(
            f"fetching the index of {clean}: {type(err).__name__}", url=clean
        ) from None
    except (ssl.SSLError, ValueError) as err:
        raise SourceError(f"fetching the index of {clean}: {err}", url=clean) from None


__all__ = ["MAX_INDEX_BYTES", "fetch_index"]
