"""Pure parsing of what registries send: auth challenges, ``Link`` paging, manifests, indexes
and image configs. Every function raises ``ValueError`` with a short reason on malformed input
(the client turns it into :class:`~kapstan.source.registry.errors.RegistryResponseInvalid`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
IMAGE_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
ACCEPT = ", ".join((*INDEX_TYPES, *IMAGE_TYPES))

_PARAM = re.compile(r'\s*([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class Challenge:
    """A ``WWW-Authenticate`` challenge: ``scheme`` lower-cased, parameters as given."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)


def parse_challenge(header: str) -> Challenge:
    """``Bearer realm="…",service="…",scope="…"`` or ``Basic realm="…"``."""
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        raise ValueError("empty WWW-Authenticate header")
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"malformed WWW-Authenticate parameters: {rest[pos : pos + 40]!r}")
        quoted, bare = m.group(2), m.group(3)
        params[m.group(1).lower()] = quoted.replace('\\"', '"') if quoted is not None else bare
        pos = m.end()
    return Challenge(scheme=scheme.lower(), params=params)


def next_link(header: str | None) -> str | None:
    """The target of ``rel="next"`` in a ``Link`` header (relative or absolute), or None."""
    if not header:
        return None
    m = _LINK.search(header)
    return m.group(1) if m else None


@dataclass(frozen=True)
class Platform:
    """``os/architecture[/variant]`` of an image."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base

    @classmethod
    def parse(cls, text: str) -> Platform:
        """``linux/arm64/v8``; raises ValueError for fewer than two parts."""
        parts = [p.strip() for p in text.strip().split("/")]
        if len(parts) < 2 or len(parts) > 3 or not all(parts):
            raise ValueError(f"invalid platform {text!r}: expected os/arch[/variant]")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    def matches(self, wanted: Platform) -> bool:
        """Same os and architecture; the variant only counts when ``wanted`` names one."""
        return (
            self.os == wanted.os
            and self.architecture == wanted.architecture
            and (not wanted.variant or self.variant == wanted.variant)
        )


@dataclass(frozen=True)
class Manifest:
    """A manifest or index as fetched by tag: its digest and what the policies need."""

    digest: str
    media_type: str
    config_digest: str | None = None  # image manifests only
    children: tuple[tuple[str, Platform | None], ...] = ()  # indexes: (digest, platform)

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def platforms(self) -> tuple[Platform, ...]:
        return tuple(p for _, p in self.children if p is not None)


def _object(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError(f"{what} is not a JSON object")
    return raw


def parse_manifest(raw: Any, digest: str, header_type: str | None) -> Manifest:
    """A manifest/index document (decoded JSON) whose body hashes to ``digest``."""
    doc = _object(raw, "manifest")
    media_type = str(doc.get("mediaType") or (header_type or "").split(";")[0].strip())
    if not media_type:
        media_type = OCI_INDEX if "manifests" in doc else OCI_MANIFEST
    if media_type in INDEX_TYPES:
        children: list[tuple[str, Platform | None]] = []
        entries = doc.get("manifests")
        if not isinstance(entries, list):
            raise ValueError("index has no manifests list")
        for entry in entries:
            item = _object(entry, "index entry")
            child = item.get("digest")
            if not isinstance(child, str) or ":" not in child:
                raise ValueError("index entry without a digest")
            plat = item.get("platform")
            platform = None
            if isinstance(plat, dict) and plat.get("os") and plat.get("architecture"):
                platform = Platform(
                    str(plat["os"]), str(plat["architecture"]), str(plat.get("variant") or "")
                )
            children.append((child, platform))
        return Manifest(digest=digest, media_type=media_type, children=tuple(children))
    if media_type in IMAGE_TYPES:
        config = _object(doc.get("config"), "manifest config")
        config_digest = config.get("digest")
        if not isinstance(config_digest, str) or ":" not in config_digest:
            raise ValueError("manifest config without a digest")
        return Manifest(digest=digest, media_type=media_type, config_digest=config_digest)
    raise ValueError(f"unsupported manifest media type {media_type!r}")


@dataclass(frozen=True)
class ImageConfig:
    """The parts of an image config blob the policies use."""

    created: datetime | None
    platform: Platform | None


_FRACTION = re.compile(r"\.(\d+)")


def parse_time(text: str) -> datetime:
    """RFC 3339 with up to nanoseconds (Go writes 9 fraction digits; Python reads 6)."""
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text.strip(), count=1)
    value = value.replace("Z", "+00:00").replace("z", "+00:00")
    stamp = datetime.fromisoformat(value)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def parse_config(raw: Any) -> ImageConfig:
    """An image config blob (decoded JSON): ``created``, ``os``, ``architecture``."""
    doc = _object(raw, "image config")
    created_raw = doc.get("created")
    created = None
    if isinstance(created_raw, str) and created_raw:
        try:
            created = parse_time(created_raw)
        except ValueError:
            raise ValueError(f"image config has an invalid created time {created_raw!r}") from None
    platform = None
    if doc.get("os") and doc.get("architecture"):
        platform = Platform(str(doc["os"]), str(doc["architecture"]), str(doc.get("variant") or ""))
    return ImageConfig(created=created, platform=platform)


__all__ = [
    "ACCEPT",
    "Challenge",
    "ImageConfig",
    "Manifest",
    "Platform",
    "next_link",
    "parse_challenge",
    "parse_config",
    "parse_manifest",
    "parse_time",
]
