"""GitLab's ``Push Hook``, ``Tag Push Hook`` and ``System Hook`` (push and tag push only),
recognised by ``X-Gitlab-Event``; ``X-Gitlab-Token`` must equal ``webhook.gitlab.secret``."""

from __future__ import annotations

from collections.abc import Mapping

from kapstan.services.webhooks.events import (
    EVENT_NOT_FOUND,
    Push,
    commits_push,
    decode_json,
    failed,
    text,
)
from kapstan.services.webhooks.signatures import SecretKey, check_token

EVENT_HEADER = "x-gitlab-event"
EVENTS = ("Push Hook", "Tag Push Hook", "System Hook")
PUSH_KINDS = ("push", "tag_push")  # the system hook events that are pushes


def parse(headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str]) -> Push | None:
    event = headers.get(EVENT_HEADER, "")
    if event not in EVENTS:
        raise failed(EVENT_NOT_FOUND)
    check_token(headers, "x-gitlab-token", secrets.get(SecretKey.GITLAB, ""), "X-Gitlab-Token")
    data = decode_json(body)
    kind = text(data, "object_kind") or text(data, "event_name")
    if kind not in PUSH_KINDS:
        raise failed(EVENT_NOT_FOUND)
    return commits_push(data, "project", "web_url")


__all__ = ["EVENT_HEADER", "parse"]
