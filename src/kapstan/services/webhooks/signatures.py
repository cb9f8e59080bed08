"""Checking a webhook's proof of origin in constant time (``hmac.compare_digest``).

The secrets are the ``webhook.*`` keys of ``argocd-secret``; an empty secret means the provider's
check is off, as in Argo CD. Messages name the header that failed, never a value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum

from kapstan.services.webhooks.events import Rejected, failed


class SecretKey(StrEnum):
    """The ``argocd-secret`` keys that verify webhooks."""

    GITHUB = "webhook.github.secret"
    GITLAB = "webhook.gitlab.secret"
    BITBUCKET_UUID = "webhook.bitbucket.uuid"
    BITBUCKET_SERVER = "webhook.bitbucketserver.secret"
    GOGS = "webhook.gogs.secret"
    AZURE_USERNAME = "webhook.azuredevops.username"
    AZURE_PASSWORD = "webhook.azuredevops.password"  # noqa: S105 - a key's name, not a value
    HARBOR = "webhook.harbor.secret"
    DOCKERHUB = "webhook.dockerhub.secret"
    QUAY = "webhook.quay.secret"
    REGISTRY = "webhook.registry.secret"  # Kapstan's generic registry form


UNAUTHORIZED = "Unauthorized"


def unauthorized() -> Rejected:
    """Argo CD's answer to a registry webhook whose secret or signature is wrong (401)."""
    return Rejected(UNAUTHORIZED, 401)


def hmac_hex(secret: str, body: bytes, digest: str) -> str:
    return hmac.new(secret.encode(), body, getattr(hashlib, digest)).hexdigest()


def same(given: str, expected: str) -> bool:
    """Constant-time equality of two strings."""
    return hmac.compare_digest(given.encode(), expected.encode())


def check_hmac(
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    candidates: tuple[tuple[str, str, str], ...],
) -> None:
    """Accept ``body`` when one of ``candidates`` (header, prefix, digest), tried in order, is
    present and carries the HMAC of ``body`` with ``secret``; the first present header decides.
    No secret: nothing to check."""
    if not secret:
        return
    for header, prefix, digest in candidates:
        value = headers.get(header)
        if value is None:
            continue
        if prefix and not value.startswith(prefix):
            raise failed("HMAC verification failed")
        if not same(value.removeprefix(prefix).lower(), hmac_hex(secret, body, digest)):
            raise failed("HMAC verification failed")
        return
    raise failed(f"missing {candidates[0][0]} Header")


def check_token(headers: Mapping[str, str], header: str, secret: str, what: str) -> None:
    """Accept when ``header`` equals ``secret`` (GitLab's token, Bitbucket's hook UUID)."""
    if not secret:
        return
    if not same(headers.get(header, ""), secret):
        raise failed(f"{what} verification failed")


def check_basic(headers: Mapping[str, str], username: str, password: str) -> None:
    """Accept when the request's basic credentials are ``username``/``password`` (both set
    turns the check on, as Argo CD's Azure DevOps hook does)."""
    if not (username and password):
        return
    scheme, _, encoded = headers.get("authorization", "").partition(" ")
    try:
        user, sep, pw = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user, sep, pw = "", "", ""
    ok = same(user, username) & same(pw, password)  # both compared: no early exit
    if scheme.lower() != "basic" or not sep or not ok:
        raise failed("basic auth verification failed")


def check_shared_secret(headers: Mapping[str, str], query: Mapping[str, str], secret: str) -> None:
    """Registries that cannot sign (Docker Hub, Quay): the ``Authorization`` header, else the
    ``secret`` query parameter, must equal ``secret`` (401 otherwise; callers only get here
    with a secret set)."""
    given = headers.get("authorization") or query.get("secret", "")
    if not secret or not same(given, secret):
        raise unauthorized()


def check_sha256_header(headers: Mapping[str, str], body: bytes, header: str, secret: str) -> None:
    """``header: sha256=<hex HMAC-SHA256 of body>`` with ``secret`` (GHCR, the generic form);
    missing or wrong: 401. No secret: nothing to check."""
    if not secret:
        return
    if not same(headers.get(header, ""), "sha256=" + hmac_hex(secret, body, "sha256")):
        raise unauthorized()


__all__ = [
    "UNAUTHORIZED",
    "SecretKey",
    "check_basic",
    "check_hmac",
    "check_sha256_header",
    "check_shared_secret",
    "check_token",
    "hmac_hex",
    "same",
    "unauthorized",
]
