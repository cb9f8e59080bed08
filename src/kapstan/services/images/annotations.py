"""argocd-image-updater's Application annotations (the legacy form its migration guide still
documents), read into typed settings.

Contract of :func:`read_annotations` (``None`` when the app has no ``image-list``; raises
:class:`ConfigError` naming the annotation for anything malformed):

- ``argocd-image-updater.argoproj.io/image-list``: comma-separated ``[alias=]image[:constraint]``;
  the constraint is whatever follows the last ``:`` after the last ``/`` (``app:1.2.x``,
  ``app:^1.2``, ``127.0.0.1:5000/app:~1.2``); aliases are alphanumeric (``_``/``-`` allowed)
  and unique;
- per alias ``<alias>.<key>``: ``update-strategy`` (``semver`` default; ``latest``/``name`` are
  the old names of ``newest-build``/``alphabetical``; the app-wide ``update-strategy`` is the
  default for every image), ``allow-tags``, ``ignore-tags`` (comma list of globs),
  ``pull-secret``, ``platforms`` (comma list), ``helm.image-name`` / ``helm.image-tag`` /
  ``helm.image-spec``, ``kustomize.image-name``, ``force-update``;
- Kapstan's additions for Flux's ``ImagePolicy`` features (same prefix): ``<alias>.tag-pattern``,
  ``<alias>.tag-extract`` and ``<alias>.sort-order`` (``asc``/``desc``);
- app-wide ``write-back-method`` (``argocd`` default, ``git``, ``git:repocreds``,
  ``git:secret:<ns>/<name>``), ``git-branch``, ``git-repository``, ``write-back-target``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from kapstan.services.images.policy import (
    Order,
    Policy,
    PolicyError,
    Strategy,
    TagFilter,
    parse_strategy,
)
from kapstan.source.registry.reference import ImageRef, parse_image
from kapstan.source.registry.wire import Platform

PREFIX = "argocd-image-updater.argoproj.io/"
IMAGE_LIST = PREFIX + "image-list"
_ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class ConfigError(ValueError):
    """An annotation (or registries.conf entry) that cannot be used; the message names it."""


class WriteBackMethod(StrEnum):
    ARGOCD = "argocd"
    GIT = "git"


@dataclass(frozen=True)
class WriteBack:
    """Where an update is written."""

    method: WriteBackMethod = WriteBackMethod.ARGOCD
    credentials: str = ""  # git: "repocreds" or "secret:<ns>/<name>"
    branch: str = ""
    repository: str = ""
    target: str = ""


@dataclass(frozen=True)
class ImageSpec:
    """One image of an app's ``image-list`` with its settings."""

    alias: str
    image: ImageRef
    policy: Policy
    pull_secret: str = ""
    helm_name: str = ""
    helm_tag: str = ""
    helm_spec: str = ""
    kustomize_name: str = ""
    force: bool = False

    @property
    def name(self) -> str:
        """The image name as manifests write it (``registry/path``)."""
        return self.image.name


@dataclass(frozen=True)
class AppImages:
    """Everything the annotations of one Application say."""

    images: tuple[ImageSpec, ...]
    write_back: WriteBack = field(default_factory=WriteBack)


def _split_spec(text: str) -> tuple[str, str, str]:
    """``[alias=]image[:constraint]`` → (alias, image, constraint)."""
    alias, sep, rest = text.partition("=")
    if not sep:
        alias, rest = "", text
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return alias.strip(), rest[:colon].strip(), rest[colon + 1 :].strip()
    return alias.strip(), rest.strip(), ""


def _list(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(",") if p.strip())


def _strategy(value: str, key: str) -> Strategy:
    try:
        return parse_strategy(value)
    except PolicyError as err:
        raise ConfigError(f"{key}: {err}") from None


def read_annotations(annotations: Mapping[str, str]) -> AppImages | None:
    """The image settings of an app (see the module contract)."""
    raw = annotations.get(IMAGE_LIST)
    if raw is None:
        return None
    if not raw.strip():
        raise ConfigError(f"{IMAGE_LIST} is empty")
    default = annotations.get(PREFIX + "update-strategy", "semver")
    images: list[ImageSpec] = []
    seen: set[str] = set()
    for entry in _list(raw):
        alias, name, constraint = _split_spec(entry)
        if alias and not _ALIAS.match(alias):
            raise ConfigError(f"{IMAGE_LIST}: alias {alias!r} must be alphanumeric")
        if alias in seen and alias:
            raise ConfigError(f"{IMAGE_LIST}: alias {alias!r} is used twice")
        seen.add(alias)
        try:
            ref = parse_image(name)
        except ValueError as err:
            raise ConfigError(f"{IMAGE_LIST}: {err}") from None
        images.append(_image(annotations, alias, ref, constraint, default))
    return AppImages(tuple(images), _write_back(annotations))


def _image(
    annotations: Mapping[str, str], alias: str, ref: ImageRef, constraint: str, default: str
) -> ImageSpec:
    def get(key: str) -> str:
        return annotations.get(f"{PREFIX}{alias}.{key}", "").strip() if alias else ""

    key = (
        f"{PREFIX}{alias}.update-strategy" if get("update-strategy") else PREFIX + "update-strategy"
    )
    strategy = _strategy(get("update-strategy") or default, key)
    if strategy is Strategy.DIGEST and not constraint:
        constraint = "latest"
    try:
        platforms = tuple(Platform.parse(p) for p in _list(get("platforms")))
        policy = Policy(
            strategy=strategy,
            constraint=constraint if strategy in (Strategy.SEMVER, Strategy.DIGEST) else "",
            filter=TagFilter(
                allow=get("allow-tags"),
                ignore=_list(get("ignore-tags")),
                pattern=get("tag-pattern"),
                extract=get("tag-extract"),
            ),
            platforms=platforms,
            order=Order(get("sort-order") or "asc"),
        )
    except (PolicyError, ValueError) as err:
        where = f"image {alias or ref.name!r}"
        raise ConfigError(f"{where}: {err}") from None
    return ImageSpec(
        alias=alias,
        image=ref,
        policy=policy,
        pull_secret=get("pull-secret"),
        helm_name=get("helm.image-name"),
        helm_tag=get("helm.image-tag"),
        helm_spec=get("helm.image-spec"),
        kustomize_name=get("kustomize.image-name"),
        force=get("force-update").lower() == "true",
    )


def _write_back(annotations: Mapping[str, str]) -> WriteBack:
    method = annotations.get(PREFIX + "write-back-method", "argocd").strip() or "argocd"
    word, _, creds = method.partition(":")
    try:
        kind = WriteBackMethod(word)
    except ValueError:
        raise ConfigError(
            f"{PREFIX}write-back-method {method!r}: expected argocd, git, git:repocreds or "
            "git:secret:<namespace>/<name>"
        ) from None
    return WriteBack(
        method=kind,
        credentials=creds,
        branch=annotations.get(PREFIX + "git-branch", "").strip(),
        repository=annotations.get(PREFIX + "git-repository", "").strip(),
        target=annotations.get(PREFIX + "write-back-target", "").strip(),
    )


__all__ = [
    "IMAGE_LIST",
    "PREFIX",
    "AppImages",
    "ConfigError",
    "ImageSpec",
    "WriteBack",
    "WriteBackMethod",
    "read_annotations",
]
