"""Image references as container runtimes read them.

Contract of :func:`parse_image`: ``[registry/]path[:tag][@digest]``; the first path element is a
registry when it contains ``.`` or ``:`` or is ``localhost`` (Docker's rule), else the image is
on Docker Hub (``docker.io``) and a one-element path gets ``library/``. Raises ``ValueError``
with the offending text for an empty or malformed reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "https://registry-1.docker.io"

_PATH = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference; ``registry`` is ``docker.io`` for Docker Hub images."""

    registry: str
    repository: str  # e.g. "library/nginx", "team/app"
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The image name without tag or digest, as written in manifests (``registry/path``;
        Docker Hub images keep their short form, as Kustomize and Helm values do)."""
        if self.registry == DOCKER_HUB:
            return self.repository.removeprefix("library/")
        return f"{self.registry}/{self.repository}"

    def with_tag(self, tag: str) -> str:
        """``name:tag``."""
        return f"{self.name}:{tag}"


def parse_image(text: str) -> ImageRef:
    """Parse an image reference (see the module contract)."""
    ref = text.strip()
    if not ref:
        raise ValueError("empty image reference")
    digest: str | None = None
    if "@" in ref:
        ref, _, digest = ref.partition("@")
        if not _DIGEST.match(digest):
            raise ValueError(f"invalid digest in image reference {text!r}")
    tag: str | None = None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref, _, tag = ref.rpartition(":")
        if not _TAG.match(tag):
            raise ValueError(f"invalid tag in image reference {text!r}")
    first, sep, rest = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = DOCKER_HUB, ref
        if "/" not in path:
            path = f"library/{path}"
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = DOCKER_HUB
    if not _PATH.match(path):
        raise ValueError(f"invalid repository path in image reference {text!r}")
    return ImageRef(registry=registry, repository=path, tag=tag, digest=digest)


__all__ = ["DOCKER_HUB", "DOCKER_HUB_API", "ImageRef", "parse_image"]
