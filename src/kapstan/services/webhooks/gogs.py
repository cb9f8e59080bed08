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
    commit_files,
    decode_json,
    failed,
    obj,
    objects,
    short_ref,
    text,
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
    repo = obj(data, "repository")
    revision = short_ref(text(data, "ref"))
    return Push(
        urls=tuple(u for u in (text(repo, "html_url"),) if u),
        revision=revision,
        before=text(data, "before"),
        after=text(data, "after"),
        touched_head=bool(revision) and text(repo, "default_branch") == revision,
        changed_files=commit_files(objects(data, "commits")),
    )


__all__ = ["EVENT_HEADERS", "parse", "recognises"]
