"""Gogs and Gitea ``push`` events (``X-Gogs-Event`` / ``X-Gitea-Event``).

Both also send GitHub's headers, in a format that is not GitHub's, so they are recognised
first. Signed with ``webhook.gogs.secret``: ``X-Gogs-Signature`` (Gitea: also
``X-Gitea-Signature``) is the hex HMAC-SHA256 of the body.
"""

from __future__ import annotations

from collections.abc import Mapping

from kapstan.services.webhooks.events import (
    EVENT_NOT_FOUND,
    Push,
    commits_push,
    decode_json,
    failed,
)
from kapstan.services.webhooks.signatures import SecretKey, check_hmac

EVENT_HEADERS = ("x-gogs-event", "x-gitea-event")
SIGNATURES = (
    ("X-Gogs-Signature", "", "sha256"),
    ("X-Gitea-Signature", "", "sha256"),
)


def recognises(headers: Mapping[str, str]) -> bool:
    return any(headers.get(h) for h in EVENT_HEADERS)


def parse(headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str]) -> Push | None:
    event = next((headers[h] for h in EVENT_HEADERS if headers.get(h)), "")
    if event != "push":
        raise failed(EVENT_NOT_FOUND)
    if not body:
        raise failed("error parsing payload")
    check_hmac(headers, body, secrets.get(SecretKey.GOGS, ""), SIGNATURES)
    data = decode_json(body)
    return commits_push(data, "repository", "html_url")


__all__ = ["EVENT_HEADERS", "parse", "recognises"]
