"""Azure DevOps ``git.push`` service hooks (recognised by ``X-Vss-Activityid``), checked with
basic auth against ``webhook.azuredevops.username`` / ``password`` when both are set.

The payload has no file list (Argo CD asks Azure's API; Kapstan does not call back), so every
app of the repository counts as touched; only the first ref update is used, as in Argo CD.
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
from kapstan.services.webhooks.signatures import SecretKey, check_basic

ACTIVITY_HEADER = "x-vss-activityid"


def parse(headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str]) -> Push | None:
    check_basic(
        headers,
        secrets.get(SecretKey.AZURE_USERNAME, ""),
        secrets.get(SecretKey.AZURE_PASSWORD, ""),
    )
    data = decode_json(body)
    if text(data, "eventType") != "git.push":
        raise failed(EVENT_NOT_FOUND)
    resource = obj(data, "resource")
    repo = obj(resource, "repository")
    updates = objects(resource, "refUpdates")
    if not updates:
        raise failed("invalid payload: resource.refUpdates is empty")
    ref = text(updates[0], "name")
    url = text(repo, "remoteUrl")
    return Push(
        urls=(url,) if url else (),
        revision=short_ref(ref),
        before=text(updates[0], "oldObjectId"),
        after=text(updates[0], "newObjectId"),
        touched_head=bool(ref) and ref == text(repo, "defaultBranch"),
        changed_files=None,
    )


__all__ = ["ACTIVITY_HEADER", "parse"]
