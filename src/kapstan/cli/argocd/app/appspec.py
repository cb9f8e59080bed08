"""An Application's spec from ``argocd app create|set|unset``-style flags, without I/O.

Contract: :class:`SpecFlags` holds what the flags said (empty/``None`` = not given);
:func:`apply_flags` writes the given ones over a spec (a plain ``dict``, changed in place and
returned), leaving the rest as it was, so ``create`` builds from ``{}`` or from a file and
``set`` edits the server's spec with one function; :func:`build_application` is the whole
``Application`` object of ``app create`` (reusable by any command that makes one from flags).
:class:`UnsetFlags` and :func:`apply_unset` remove what ``app unset`` names. Malformed values
(``--helm-set`` without ``=``) raise :class:`SpecFlagError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from kapstan.cli.argocd.errors import GENERIC, CommandExit
from kapstan.model.vocabulary import API_VERSION, RESOURCES_FINALIZER


class SpecFlagError(CommandExit):
    """A flag whose value cannot be read (the message names the flag); exits 20."""

    def __init__(self, message: str) -> None:
        super().__init__(GENERIC, message)


class SyncPolicyChoice(StrEnum):
    """``--sync-policy`` values (Argo CD's aliases accepted by :meth:`parse`)."""

    AUTOMATED = "automated"
    NONE = "none"

    @classmethod
    def parse(cls, raw: str) -> SyncPolicyChoice:
        word = raw.strip().lower()
        if word in ("automated", "auto", "automatic"):
            return cls.AUTOMATED
        if word in ("none", "manual"):
            return cls.NONE
        raise SpecFlagError(f"--sync-policy {raw!r}: use automated or none")


def nothing_given(flags: object) -> bool:
    """Whether every field of a flags dataclass is unset (empty, ``None`` or ``False``)."""
    return all(getattr(flags, f.name) in (None, "", False, (), []) for f in fields(flags))  # type: ignore[arg-type]


def key_value(raw: str, flag: str) -> tuple[str, str]:
    """``key=value`` of a repeated flag."""
    key, sep, value = raw.partition("=")
    if not sep or not key:
        raise SpecFlagError(f"{flag} {raw!r}: expected key=value")
    return key, value


@dataclass
class SpecFlags:
    """What the spec flags of ``app create``/``app set`` said (see the module contract)."""

    repo: str = ""
    path: str = ""
    revision: str = ""
    helm_chart: str = ""
    dest_server: str = ""
    dest_name: str = ""
    dest_namespace: str = ""
    project: str = ""
    sync_policy: str = ""
    auto_prune: bool | None = None
    self_heal: bool | None = None
    allow_empty: bool | None = None
    sync_options: Sequence[str] = ()
    helm_set: Sequence[str] = ()
    helm_set_string: Sequence[str] = ()
    values: Sequence[str] = ()
    release_name: str = ""
    kustomize_images: Sequence[str] = ()
    nameprefix: str | None = None
    namesuffix: str | None = None
    directory_recurse: bool | None = None


def _source(spec: dict[str, Any], position: int) -> dict[str, Any]:
    """The source the flags edit: ``spec.source``, or ``spec.sources[position - 1]`` (1-based,
    required for several sources, as argocd's ``--source-position``)."""
    sources = spec.get("sources")
    if isinstance(sources, list) and sources and not spec.get("source"):
        if position <= 0 and len(sources) > 1:
            raise SpecFlagError(
                "Source position should be specified and must be greater than 0 for "
                "applications with multiple sources"
            )
        if position > len(sources):
            raise SpecFlagError(
                "Source position should be less than the number of sources in the application"
            )
        chosen = sources[max(position, 1) - 1]
        assert isinstance(chosen, dict)
        return chosen
    found = spec.setdefault("source", {})
    assert isinstance(found, dict)
    return found


def _sub(parent: dict[str, Any], key: str) -> dict[str, Any]:
    found = parent.get(key)
    if not isinstance(found, dict):
        found = parent[key] = {}
    return found


def _replace_or_add(items: list[Any], item: Any, key: Callable[[Any], str]) -> list[Any]:
    """``items`` with ``item`` in place of the first one of the same ``key`` (else appended),
    and no other of that key."""
    out: list[Any] = []
    placed = False
    for existing in items:
        if key(existing) == key(item):
            if not placed:
                out.append(item)
                placed = True
        else:
            out.append(existing)
    return out if placed else [*out, item]


def _param_name(param: dict[str, Any]) -> str:
    return str(param.get("name"))


def _option_name(option: str) -> str:
    return option.partition("=")[0]


def _set_params(helm: dict[str, Any], raws: Sequence[str], flag: str, force: bool) -> None:
    params: list[dict[str, Any]] = list(helm.get("parameters") or [])
    for raw in raws:
        name, value = key_value(raw, flag)
        entry: dict[str, Any] = {"name": name, "value": value}
        if force:
            entry["forceString"] = True
        params = _replace_or_add(params, entry, _param_name)
    helm["parameters"] = params


def _image_name(image: str) -> str:
    """The image a kustomize image override replaces (``old=new:tag`` → ``old``)."""
    name = image.partition("=")[0]
    if "@" in name:
        return name.partition("@")[0]
    head, _, tail = name.rpartition(":")
    return head if head and "/" not in tail else name


def _apply_source(spec: dict[str, Any], flags: SpecFlags, position: int) -> None:
    if not any(
        (flags.repo, flags.path, flags.revision, flags.helm_chart, flags.helm_set,
         flags.helm_set_string, flags.values, flags.release_name, flags.kustomize_images,
         flags.nameprefix is not None, flags.namesuffix is not None,
         flags.directory_recurse is not None)
    ):  # fmt: skip
        return
    source = _source(spec, position)
    for key, value in (
        ("repoURL", flags.repo),
        ("path", flags.path),
        ("targetRevision", flags.revision),
        ("chart", flags.helm_chart),
    ):
        if value:
            source[key] = value
    if flags.helm_set or flags.helm_set_string or flags.values or flags.release_name:
        _apply_helm(_sub(source, "helm"), flags)
    if flags.kustomize_images or flags.nameprefix is not None or flags.namesuffix is not None:
        _apply_kustomize(_sub(source, "kustomize"), flags)
    if flags.directory_recurse is not None:
        _sub(source, "directory")["recurse"] = flags.directory_recurse


def _apply_helm(helm: dict[str, Any], flags: SpecFlags) -> None:
    _set_params(helm, flags.helm_set, "--helm-set", force=False)
    _set_params(helm, flags.helm_set_string, "--helm-set-string", force=True)
    if not helm.get("parameters"):
        helm.pop("parameters", None)
    if flags.values:
        files = list(helm.get("valueFiles") or [])
        helm["valueFiles"] = files + [v for v in flags.values if v not in files]
    if flags.release_name:
        helm["releaseName"] = flags.release_name


def _apply_kustomize(kustomize: dict[str, Any], flags: SpecFlags) -> None:
    if flags.kustomize_images:
        images = [str(i) for i in kustomize.get("images") or []]
        for image in flags.kustomize_images:
            images = _replace_or_add(images, image, _image_name)
        kustomize["images"] = images
    if flags.nameprefix is not None:
        kustomize["namePrefix"] = flags.nameprefix
    if flags.namesuffix is not None:
        kustomize["nameSuffix"] = flags.namesuffix


def _apply_sync_policy(spec: dict[str, Any], flags: SpecFlags) -> None:
    choice = SyncPolicyChoice.parse(flags.sync_policy) if flags.sync_policy else None
    automated_flags = (flags.auto_prune, flags.self_heal, flags.allow_empty)
    if choice is None and all(f is None for f in automated_flags) and not flags.sync_options:
        return
    policy = _sub(spec, "syncPolicy")
    if choice is SyncPolicyChoice.NONE:
        policy.pop("automated", None)
    elif choice is SyncPolicyChoice.AUTOMATED:
        _sub(policy, "automated")
    if any(f is not None for f in automated_flags):
        if "automated" not in policy:
            raise SpecFlagError(
                "--auto-prune, --self-heal and --allow-empty need --sync-policy automated"
            )
        automated = policy["automated"]
        for key, value in zip(("prune", "selfHeal", "allowEmpty"), automated_flags, strict=True):
            if value is not None:
                automated[key] = value
    if flags.sync_options:
        options = [str(o) for o in policy.get("syncOptions") or []]
        for option in flags.sync_options:
            options = _replace_or_add(options, option, _option_name)
        policy["syncOptions"] = options
    if not policy:
        spec.pop("syncPolicy", None)


def apply_flags(spec: dict[str, Any], flags: SpecFlags, position: int = 0) -> dict[str, Any]:
    """Write the given flags over ``spec`` (module contract); source flags go to the source
    at ``position`` (1-based) of a multi-source spec."""
    _apply_source(spec, flags, position)
    if flags.dest_server or flags.dest_name or flags.dest_namespace:
        destination = _sub(spec, "destination")
        if flags.dest_server:
            destination["server"] = flags.dest_server
            destination.pop("name", None)
        if flags.dest_name:
            destination["name"] = flags.dest_name
            destination.pop("server", None)
        if flags.dest_namespace:
            destination["namespace"] = flags.dest_namespace
    if flags.project:
        spec["project"] = flags.project
    _apply_sync_policy(spec, flags)
    return spec


@dataclass
class Metadata:
    """The object-level flags of ``app create``."""

    name: str = ""
    namespace: str = ""
    labels: Sequence[str] = ()
    annotations: Sequence[str] = ()
    set_finalizer: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def build_application(
    flags: SpecFlags, meta: Metadata, base: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ``Application`` of ``app create``: ``base`` (a file's object) or an empty one, with
    the flags written over it; the project defaults to ``default``."""
    app: dict[str, Any] = dict(base or {})
    app["apiVersion"], app["kind"] = API_VERSION, "Application"
    metadata = _sub(app, "metadata")
    if meta.name:
        metadata["name"] = meta.name
    if not metadata.get("name"):
        raise SpecFlagError("the application needs a name (APPNAME or metadata.name in -f)")
    if meta.namespace:
        metadata["namespace"] = meta.namespace
    for target, raws, flag in (
        ("labels", meta.labels, "--label"),
        ("annotations", meta.annotations, "--annotations"),
    ):
        if raws:
            values = _sub(metadata, target)
            for raw in raws:
                key, value = key_value(raw, flag)
                values[key] = value
    if meta.set_finalizer:
        finalizers = list(metadata.get("finalizers") or [])
        if RESOURCES_FINALIZER not in finalizers:
            metadata["finalizers"] = [*finalizers, RESOURCES_FINALIZER]
    spec = apply_flags(_sub(app, "spec"), flags)
    spec.setdefault("project", "default")
    _sub(spec, "destination")
    return app


@dataclass
class UnsetFlags:
    """What ``app unset`` removes."""

    parameters: Sequence[str] = ()
    values: Sequence[str] = ()
    values_literal: bool = False
    kustomize_images: Sequence[str] = ()
    nameprefix: bool = False
    namesuffix: bool = False


def _unset_helm(helm: dict[str, Any], flags: UnsetFlags) -> None:
    if flags.parameters:
        helm["parameters"] = [
            p for p in helm.get("parameters") or [] if p.get("name") not in flags.parameters
        ]
    if flags.values:
        helm["valueFiles"] = [v for v in helm.get("valueFiles") or [] if v not in flags.values]
    if flags.values_literal:
        helm.pop("values", None)
        helm.pop("valuesObject", None)
    for key in ("parameters", "valueFiles"):
        if key in helm and not helm[key]:
            del helm[key]


def _unset_kustomize(kustomize: dict[str, Any], flags: UnsetFlags) -> None:
    if flags.kustomize_images:
        gone = {_image_name(i) for i in flags.kustomize_images}
        kept = [i for i in kustomize.get("images") or [] if _image_name(str(i)) not in gone]
        kustomize["images"] = kept
        if not kept:
            del kustomize["images"]
    if flags.nameprefix:
        kustomize.pop("namePrefix", None)
    if flags.namesuffix:
        kustomize.pop("nameSuffix", None)


def apply_unset(spec: dict[str, Any], flags: UnsetFlags, position: int = 0) -> bool:
    """Remove what ``flags`` names from the spec's source (at ``position`` of a multi-source
    spec); whether anything changed."""
    source = _source(spec, position)
    before = repr(source)
    for key, unset in (("helm", _unset_helm), ("kustomize", _unset_kustomize)):
        part = source.get(key)
        if isinstance(part, dict):
            unset(part, flags)
            if not part:
                del source[key]
    return repr(source) != before


__all__ = [
    "Metadata",
    "SpecFlagError",
    "SpecFlags",
    "SyncPolicyChoice",
    "UnsetFlags",
    "apply_flags",
    "apply_unset",
    "build_application",
    "key_value",
    "nothing_given",
]
