"""Kapstan's generic registry push, for registries and CI jobs without a format of their own.

A POST to ``/api/webhook`` with ``X-Kapstan-Event: registry.push``, ``Content-Type:
application/json`` and ``X-Kapstan-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body
with ``webhook.registry.secret`` (as GitHub's ``X-Hub-Signature-256``). The body is one push::

    {"registry": "registry.acme.internal:5000", "repository": "team/web",
     "tag": "1.4.0", "digest": "sha256:..."}

``registry`` is a host with an optional port (no scheme, no path), ``repository`` the path in
it, ``tag`` required, ``digest`` optional. A missing or wrong signature, and the key not set
(an unsigned generic endpoint would let anyone trigger refreshes), are 401 ``Unauthorized``;
any other ``X-Kapstan-Event`` value is 400 ``event not defined to be parsed``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kapstan.services.webhooks.events import (
    EVENT_NOT_FOUND,
    RegistryPush,
    decode_json,
    failed,
    text,
)
from kapstan.services.webhooks.signatures import SecretKey, check_sha256_header, unauthorized

EVENT_HEADER = "x-kapstan-event"
SIGNATURE_HEADER = "x-kapstan-signature"
EVENT = "registry.push"
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")


def recognises(headers: Mapping[str, str]) -> bool:
    return bool(headers.get(EVENT_HEADER))


def parse(
    headers: Mapping[str, str], query: Mapping[str, str], body: bytes, secrets: Mapping[str, str]
) -> tuple[RegistryPush, ...]:
    if headers.get(EVENT_HEADER) != EVENT:
        raise failed(EVENT_NOT_FOUND)
    secret = secrets.get(SecretKey.REGISTRY, "")
    if not secret:
        raise unauthorized()
    check_sha256_header(headers, body, SIGNATURE_HEADER, secret)
    data = decode_json(body)
    registry, repository = text(data, "registry"), text(data, "repository").strip("/")
    tag, digest = text(data, "tag"), text(data, "digest")
    if not _HOST.match(registry):
        raise failed("invalid payload: registry must be a host[:port] without scheme or path")
    if not repository:
        raise failed("invalid payload: repository must be set")
    if not tag:
        raise failed("invalid payload: tag must be set")
    return (RegistryPush(registry.lower(), repository, tag, digest),)


__all__ = ["EVENT", "EVENT_HEADER", "SIGNATURE_HEADER", "parse", "recognises"]
