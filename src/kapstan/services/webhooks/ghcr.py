"""GitHub Container Registry: GitHub's ``package`` event (``X-GitHub-Event: package``), as
Argo CD parses it.

Signed like GitHub's other events, with ``webhook.github.secret``: ``X-Hub-Signature-256:
sha256=<hex>``; a missing or wrong signature is answered 401 ``Unauthorized`` (Argo CD's
answer for registries). Only ``published`` container packages with a tag are pushes; any other
action, package type, or a tagless (digest-only) version is accepted and asks for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from kapstan.services.webhooks.events import RegistryPush, decode_json, obj, text
from kapstan.services.webhooks.signatures import SecretKey, check_sha256_header

EVENT = "package"
REGISTRY = "ghcr.io"


def recognises(headers: Mapping[str, str]) -> bool:
    return headers.get("x-github-event", "") == EVENT


def parse(
    headers: Mapping[str, str], query: Mapping[str, str], body: bytes, secrets: Mapping[str, str]
) -> tuple[RegistryPush, ...]:
    check_sha256_header(headers, body, "x-hub-signature-256", secrets.get(SecretKey.GITHUB, ""))
    data = decode_json(body)
    package = obj(data, "package")
    if text(data, "action") != "published" or text(package, "package_type").lower() != "container":
        return ()
    version = obj(package, "package_version")
    tag = obj(obj(version, "container_metadata"), "tag")
    owner, name = text(obj(package, "owner"), "login"), text(package, "name")
    if not (text(tag, "name") and owner and name):
        return ()
    digest = text(tag, "digest") or text(version, "version")
    return (RegistryPush(REGISTRY, f"{owner}/{name}", text(tag, "name"), digest),)


__all__ = ["EVENT", "REGISTRY", "parse", "recognises"]
