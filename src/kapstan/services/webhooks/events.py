"""What a webhook says, once parsed: a Git host's :class:`Push`, a registry's
:class:`RegistryPush`, or a refusal.

Contracts:

- every provider parser turns a request into a :class:`Push` (registries: a tuple of
  :class:`RegistryPush`), ``None`` (an event that is
  accepted and asks for nothing, e.g. GitHub's ``ping``), or raises :class:`Rejected` with the
  HTTP status and the message Argo CD answers (``Webhook processing failed: <reason>``);
- :func:`decode_json` and the typed accessors (:func:`obj`, :func:`text`, :func:`items`)
  refuse malformed or wrongly typed payloads with a 400, never an exception of another kind,
  so hostile bodies can never become a 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

PROCESSING_FAILED = "Webhook processing failed"
EVENT_NOT_FOUND = "event not defined to be parsed"


class Rejected(Exception):
    """The webhook is refused: ``status`` and the plain-text ``message`` Argo CD answers."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def failed(reason: str, status: int = 400) -> Rejected:
    """Argo CD's answer to a payload its parser refused: ``Webhook processing failed: ...``."""
    return Rejected(f"{PROCESSING_FAILED}: {reason}", status)


@dataclass(frozen=True)
class Push:
    """One pushed ref: the repository's URLs (web and clone URLs as the host sends them), the
    ref's short name (``refs/heads/main`` → ``main``), the SHAs before and after, whether the
    default branch moved, and the changed files (``None``: the provider sends no list, so
    every app of the repository counts as touched)."""

    urls: tuple[str, ...]
    revision: str
    before: str = ""
    after: str = ""
    touched_head: bool = False
    changed_files: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RegistryPush:
    """One tag pushed to an OCI registry (an image or a Helm chart): the registry's host
    (``ghcr.io``, ``docker.io``, ``harbor.acme.internal:8443``: no scheme, no slash), the
    repository path in it (``acme/web``, ``library/nginx``), the tag and, when the registry
    says it, the manifest digest (``sha256:...``; empty otherwise)."""

    registry: str
    repository: str
    tag: str
    digest: str = ""

    @property
    def oci_url(self) -> str:
        """The ``repoURL`` (plus chart) form of the repository: ``oci://<registry>/<repository>``."""
        return f"oci://{self.registry}/{self.repository}"


Event = Push | RegistryPush


def short_ref(ref: str) -> str:
    """Argo CD's ``ParseRevision``: what follows ``refs/<kind>/`` (``refs/heads/a/b``: ``a/b``)."""
    return ref.split("/", 2)[-1]


def decode_json(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object (400 for invalid JSON, invalid UTF-8, too deep, not an object)."""
    if not raw.strip():
        raise failed("error parsing payload")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise failed(f"invalid JSON payload: {err.msg}") from None
    if not isinstance(data, dict):
        raise failed("invalid JSON payload: not an object")
    return data


def obj(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``data[key]`` as an object (missing or null: empty)."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise failed(f"invalid payload: {key} must be an object")
    return value


def text(data: Mapping[str, Any], key: str) -> str:
    """``data[key]`` as a string (missing or null: empty)."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise failed(f"invalid payload: {key} must be a string")
    return value


def flag(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise failed(f"invalid payload: {key} must be true or false")
    return value


def items(data: Mapping[str, Any], key: str) -> Sequence[Any]:
    """``data[key]`` as a list (missing or null: empty)."""
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise failed(f"invalid payload: {key} must be a list")
    return value


def objects(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """``data[key]`` as a list of objects."""
    found = items(data, key)
    if not all(isinstance(i, Mapping) for i in found):
        raise failed(f"invalid payload: {key} must be a list of objects")
    return list(found)


def strings(data: Mapping[str, Any], key: str) -> list[str]:
    found = items(data, key)
    if not all(isinstance(i, str) for i in found):
        raise failed(f"invalid payload: {key} must be a list of strings")
    return list(found)


def commit_files(commits: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The union of ``added``, ``modified`` and ``removed`` over the commits (GitHub, GitLab,
    Gogs and Gitea share this shape), in order, without repeats."""
    seen: dict[str, None] = {}
    for commit in commits:
        for key in ("added", "modified", "removed"):
            for name in strings(commit, key):
                seen.setdefault(name, None)
    return tuple(seen)


def commits_push(data: Mapping[str, Any], repo_key: str, url_key: str) -> Push:
    """The push of a payload in the shape GitHub, GitLab, Gogs and Gitea share: ``ref``,
    ``before``, ``after``, ``commits`` and the repository under ``repo_key`` with its URL under
    ``url_key`` and its ``default_branch``."""
    repo = obj(data, repo_key)
    revision = short_ref(text(data, "ref"))
    return Push(
        urls=tuple(u for u in (text(repo, url_key),) if u),
        revision=revision,
        before=text(data, "before"),
        after=text(data, "after"),
        touched_head=bool(revision) and text(repo, "default_branch") == revision,
        changed_files=commit_files(objects(data, "commits")),
    )


__all__ = [
    "EVENT_NOT_FOUND",
    "PROCESSING_FAILED",
    "Event",
    "Push",
    "RegistryPush",
    "Rejected",
    "commit_files",
    "commits_push",
    "decode_json",
    "failed",
    "flag",
    "items",
    "obj",
    "objects",
    "short_ref",
    "strings",
    "text",
]
