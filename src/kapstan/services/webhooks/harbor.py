"""Harbor's ``PUSH_ARTIFACT`` event (Harbor 2.x "Default" payload format), as Argo CD parses it.

Harbor does not sign; its webhook's *Auth Header* is sent as ``Authorization`` and must equal
``webhook.harbor.secret``. Argo CD recognises a Harbor delivery by exactly that header, so with
the key empty (or another value) a Harbor delivery is an unknown event (400). Other event types
(pull, delete, scan) are accepted and ask for nothing; the first resource with a tag is the
push (digest-only pushes are skipped); the registry is the host of its ``resource_url``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from kapstan.services.webhooks.events import (
    RegistryPush,
    decode_json,
    failed,
    obj,
    objects,
    text,
)
from kapstan.services.webhooks.signatures import SecretKey, same

PUSH_ARTIFACT = "PUSH_ARTIFACT"


def recognises(headers: Mapping[str, str], secrets: Mapping[str, str]) -> bool:
    secret = secrets.get(SecretKey.HARBOR, "")
    return bool(secret) and same(headers.get("authorization", ""), secret)


def registry_host(resource_url: str) -> str:
    """``harbor.acme.internal`` of ``harbor.acme.internal/library/web:1.0`` (empty: none)."""
    raw = resource_url if "://" in resource_url else f"oci://{resource_url}"
    try:
        parts = urlsplit(raw)
    except ValueError:
        return ""
    return parts.netloc if parts.path.strip("/") else ""


def parse(
    headers: Mapping[str, str], query: Mapping[str, str], body: bytes, secrets: Mapping[str, str]
) -> tuple[RegistryPush, ...]:
    data = decode_json(body)
    if text(data, "type") != PUSH_ARTIFACT:
        return ()
    event = obj(data, "event_data")
    repo = obj(event, "repository")
    for resource in objects(event, "resources"):
        tag, url = text(resource, "tag"), text(resource, "resource_url")
        host = registry_host(url) if tag and url else ""
        if not host:
            continue
        repository = text(repo, "repo_full_name")
        if not repository:
            namespace, name = text(repo, "namespace"), text(repo, "name")
            if not (namespace and name):
                raise failed("invalid payload: event_data.repository names no repository")
            repository = f"{namespace}/{name}"
        return (RegistryPush(host, repository, tag, text(resource, "digest")),)
    return ()


__all__ = ["PUSH_ARTIFACT", "parse", "recognises", "registry_host"]
