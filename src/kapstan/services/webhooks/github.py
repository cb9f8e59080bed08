"""GitHub's ``push`` and ``ping`` events (``X-GitHub-Event``), JSON or form-encoded.

Signed with ``webhook.github.secret``: ``X-Hub-Signature-256: sha256=<hex>`` is preferred,
``X-Hub-Signature: sha1=<hex>`` (older hooks) is accepted; the HMAC covers the raw body, also
when the body is ``application/x-www-form-urlencoded`` (the JSON is its ``payload`` field).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs

from kapstan.services.webhooks.events import (
    EVENT_NOT_FOUND,
    Push,
    commits_push,
    decode_json,
    failed,
)
from kapstan.services.webhooks.signatures import SecretKey, check_hmac

EVENT_HEADER = "x-github-event"
FORM = "application/x-www-form-urlencoded"
SIGNATURES = (
    ("X-Hub-Signature-256", "sha256=", "sha256"),
    ("X-Hub-Signature", "sha1=", "sha1"),
)


def form_payload(body: bytes) -> bytes:
    """The ``payload`` field of a form-encoded body (400 when missing or not UTF-8)."""
    try:
        fields = parse_qs(body.decode("utf-8"), strict_parsing=False, max_num_fields=16)
    except (UnicodeDecodeError, ValueError):
        raise failed("error parsing payload") from None
    values = fields.get("payload") or []
    if len(values) != 1:
        raise failed("error parsing payload")
    return values[0].encode()


def parse(headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str]) -> Push | None:
    event = headers.get(EVENT_HEADER, "")
    if event not in ("push", "ping"):
        raise failed(EVENT_NOT_FOUND)
    if not body:
        raise failed("error parsing payload")
    check_hmac(headers, body, secrets.get(SecretKey.GITHUB, ""), SIGNATURES)
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    data = decode_json(form_payload(body) if content_type == FORM else body)
    if event == "ping":
        return None
    return commits_push(data, "repository", "html_url")


__all__ = ["EVENT_HEADER", "parse"]
