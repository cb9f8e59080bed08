"""GitLab's ``Push Hook``, ``Tag Push Hook`` and ``System Hook`` (push and tag push only),
recognised by ``X-Gitlab-Event``; ``X-Gitlab-Token`` must equal ``webhook.gitlab.secret``."""

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
    project = obj(data, "project")
    revision = short_ref(text(data, "ref"))
    return Push(
        urls=tuple(u for u in (text(project, "web_url"),) if u),
        revision=revision,
        before=text(data, "before"),
        after=text(data, "after"),
        touched_head=bool(revision) and text(project, "default_branch") == revision,
        changed_files=commit_files(objects(data, "commits")),
    )


__all__ = ["EVENT_HEADER", "parse"]
