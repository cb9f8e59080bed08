"""Quay "Repository Push" notifications (quay.io or a self-hosted Quay) — a Kapstan addition:
Argo CD does not parse them.

Quay's webhook notification sends no header of its own and cannot sign, so, as for Docker Hub,
the URL says what it is and carries the secret: ``/api/webhook?type=quay&secret=<webhook.quay.
secret>`` (or an ``Authorization`` header from a proxy). With the key empty Quay deliveries are
not recognised (400 ``Unknown webhook event``); a wrong secret is 401 ``Unauthorized``. The
registry is the host of ``docker_url``; every tag of ``updated_tags`` is one push.
"""

from __future__ import annotations

from collections.abc import Mapping

from kapstan.services.webhooks.events import RegistryPush, decode_json, failed, strings, text
from kapstan.services.webhooks.signatures import SecretKey, check_shared_secret

TYPE = "quay"


def recognises(query: Mapping[str, str], secrets: Mapping[str, str]) -> bool:
    return query.get("type") == TYPE and bool(secrets.get(SecretKey.QUAY, ""))


def parse(
    headers: Mapping[str, str], query: Mapping[str, str], body: bytes, secrets: Mapping[str, str]
) -> tuple[RegistryPush, ...]:
    check_shared_secret(headers, query, secrets.get(SecretKey.QUAY, ""))
    data = decode_json(body)
    repository = text(data, "repository").strip("/")
    host, _, path = text(data, "docker_url").partition("/")
    if not repository:
        repository = path.strip("/")
    if not (host and repository):
        raise failed("invalid payload: docker_url and repository must name the repository")
    return tuple(
        RegistryPush(host, repository, tag) for tag in strings(data, "updated_tags") if tag
    )


__all__ = ["TYPE", "parse", "recognises"]
