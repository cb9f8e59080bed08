"""Bitbucket Cloud ``repo:push`` (``X-Hook-UUID`` must equal ``webhook.bitbucket.uuid``) and
Bitbucket Server / Data Center ``repo:refs_changed`` (``X-Event-Key``; ``X-Hub-Signature:
sha256=<hex>`` with ``webhook.bitbucketserver.secret``; ``diagnostics:ping`` answered).

Neither payload lists changed files (Argo CD asks Bitbucket Cloud's diffstat API for them;
Kapstan does not call back into the Git host), and neither says which branch is the default
one, so every pushed branch counts as possibly ``HEAD``; the controller then resolves ``HEAD``
itself. Only the first change of an event is used, as in Argo CD.
"""

from __future__ import annotations

from collections.abc import Mapping

from kapstan.services.webhooks.events import (
    EVENT_NOT_FOUND,
    Push,
    decode_json,
    failed,
    obj,
    objects,
    short_ref,
    text,
)
from kapstan.services.webhooks.signatures import SecretKey, check_hmac, check_token

UUID_HEADER = "x-hook-uuid"
EVENT_HEADER = "x-event-key"
SERVER_SIGNATURES = (("X-Hub-Signature", "sha256=", "sha256"),)


def parse_cloud(headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str]) -> Push | None:
    check_token(headers, UUID_HEADER, secrets.get(SecretKey.BITBUCKET_UUID, ""), "UUID")
    if headers.get(EVENT_HEADER, "") != "repo:push":
        raise failed(EVENT_NOT_FOUND)
    data = decode_json(body)
    repo = obj(data, "repository")
    url = text(obj(obj(repo, "links"), "html"), "href")
    changes = objects(obj(data, "push"), "changes")
    first = changes[0] if changes else {}
    new, old = obj(first, "new"), obj(first, "old")
    return Push(
        urls=(url,) if url else (),
        revision=text(new, "name") or text(old, "name"),  # a deleted branch has no "new"
        before=text(obj(old, "target"), "hash"),
        after=text(obj(new, "target"), "hash"),
        touched_head=True,
        changed_files=None,
    )


def parse_server(
    headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str]
) -> Push | None:
    event = headers.get(EVENT_HEADER, "")
    if event not in ("repo:refs_changed", "diagnostics:ping"):
        raise failed(EVENT_NOT_FOUND)
    check_hmac(headers, body, secrets.get(SecretKey.BITBUCKET_SERVER, ""), SERVER_SIGNATURES)
    data = decode_json(body)
    if event == "diagnostics:ping":
        return None
    links = objects(obj(obj(data, "repository"), "links"), "clone")
    urls = tuple(text(link, "href") for link in links if text(link, "name") in ("http", "ssh"))
    changes = objects(data, "changes")
    first = changes[0] if changes else {}
    return Push(
        urls=tuple(u for u in urls if u),
        revision=short_ref(text(obj(first, "ref"), "id") or text(first, "refId")),
        before=text(first, "fromHash"),
        after=text(first, "toHash"),
        touched_head=True,
        changed_files=None,
    )


__all__ = ["EVENT_HEADER", "UUID_HEADER", "parse_cloud", "parse_server"]
