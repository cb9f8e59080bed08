"""One source of an Application's spec edited by the flags, as argocd's ``ConstructSource``
and ``unset`` do it (no I/O).

Contract: :func:`select_source` is the source the flags mean (``spec.source``, or
``spec.sources[position - 1]``, a position being required when there are several, with
argocd's messages); :func:`edit_source` writes the given source flags over it (Helm
parameters, file parameters, Kustomize images and replicas, plugin env entries replace
entries of the same name in place; ``--values`` replaces the value files, as argocd);
:func:`unset_source` removes what ``app unset`` names and says whether anything changed.
Empty ``helm``/``kustomize``/``directory``/``plugin`` blocks are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kapstan.cli.argocd.app.appspecflags import (
    SpecFlagError,
    SpecFlags,
    UnsetFlags,
    key_value,
    nothing_given,
)

BLOCKS = ("helm", "kustomize", "directory", "plugin")


def sub(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """``parent[key]`` as a mapping, created when missing."""
    found = parent.get(key)
    if not isinstance(found, dict):
        found = parent[key] = {}
    return found


def replace_or_add(items: list[Any], item: Any, key: Callable[[Any], str]) -> list[Any]:
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


def select_source(spec: dict[str, Any], position: int) -> dict[str, Any]:
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
    return sub(spec, "source")


def _name(entry: Any) -> str:
    return str(entry.get("name")) if isinstance(entry, dict) else str(entry)


def image_name(image: str) -> str:
    """The image a kustomize image override replaces (``old=new:tag`` → ``old``)."""
    name = image.partition("=")[0]
    if "@" in name:
        return name.partition("@")[0]
    head, _, tail = name.rpartition(":")
    return head if head and "/" not in tail else name


def _merge(block: dict[str, Any], key: str, entries: list[Any], by: Callable[[Any], str]) -> None:
    items = list(block.get(key) or [])
    for entry in entries:
        items = replace_or_add(items, entry, by)
    if items:
        block[key] = items


def _pairs(raws: Sequence[str], flag: str, value_key: str) -> list[dict[str, Any]]:
    return [{"name": k, value_key: v} for k, v in (key_value(r, flag) for r in raws)]


def _helm(helm: dict[str, Any], flags: SpecFlags) -> None:
    params = _pairs(flags.helm_set, "--helm-set", "value")
    params += [{**p, "forceString": True}
               for p in _pairs(flags.helm_set_string, "--helm-set-string", "value")]  # fmt: skip
    _merge(helm, "parameters", params, _name)
    _merge(helm, "fileParameters", _pairs(flags.helm_set_file, "--helm-set-file", "path"), _name)
    if flags.values:
        helm["valueFiles"] = list(flags.values)
    for key, value in (
        ("values", flags.values_literal),
        ("releaseName", flags.release_name),
        ("namespace", flags.helm_namespace),
        ("ignoreMissingValueFiles", flags.ignore_missing_value_files),
        ("skipCrds", flags.helm_skip_crds),
        ("passCredentials", flags.helm_pass_credentials),
    ):
        if value not in ("", None):
            helm[key] = value


def _replica(raw: str) -> dict[str, Any]:
    name, count = key_value(raw, "--kustomize-replica")
    if not count.isdigit():
        raise SpecFlagError(f"--kustomize-replica {raw!r}: expected name=count")
    return {"name": name, "count": int(count)}


def _kustomize(kustomize: dict[str, Any], flags: SpecFlags) -> None:
    _merge(kustomize, "images", list(flags.kustomize_images), image_name)
    _merge(kustomize, "replicas", [_replica(r) for r in flags.kustomize_replicas], _name)
    for key, value in (
        ("namePrefix", flags.nameprefix),
        ("nameSuffix", flags.namesuffix),
        ("namespace", flags.kustomize_namespace),
        ("version", flags.kustomize_version),
    ):
        if value not in ("", None):
            kustomize[key] = value


def edit_source(spec: dict[str, Any], flags: SpecFlags, position: int) -> None:
    """Write the source flags over the selected source (module contract)."""
    plain = {
        "repoURL": flags.repo,
        "path": flags.path,
        "targetRevision": flags.revision,
        "chart": flags.helm_chart,
        "ref": flags.ref,
    }
    directory = {
        "recurse": flags.directory_recurse,
        "include": flags.directory_include,
        "exclude": flags.directory_exclude,
    }
    given = [v for v in (*plain.values(), *directory.values()) if v not in ("", None)]
    blocks = SpecFlags(**{k: v for k, v in vars(flags).items() if k in _SOURCE_FIELDS})
    if not given and nothing_given(blocks):
        return
    source = select_source(spec, position)
    source.update({k: v for k, v in plain.items() if v})
    _helm(sub(source, "helm"), flags)
    _kustomize(sub(source, "kustomize"), flags)
    sub(source, "directory").update({k: v for k, v in directory.items() if v not in ("", None)})
    plugin = sub(source, "plugin")
    if flags.config_management_plugin:
        plugin["name"] = flags.config_management_plugin
    _merge(plugin, "env", _pairs(flags.plugin_envs, "--plugin-env", "value"), _name)
    _drop_empty(source)


_SOURCE_FIELDS = {
    "helm_set", "helm_set_string", "helm_set_file", "values", "values_literal",
    "ignore_missing_value_files", "release_name", "helm_namespace", "helm_skip_crds",
    "helm_pass_credentials", "kustomize_images", "kustomize_replicas", "kustomize_namespace",
    "kustomize_version", "nameprefix", "namesuffix", "config_management_plugin", "plugin_envs",
}  # fmt: skip


def _drop_empty(source: dict[str, Any]) -> None:
    for key in BLOCKS:
        if key in source and not source[key]:
            del source[key]


def _entry_key(entry: Any) -> str:
    """An entry's name, or the name part of a ``name=value`` given to ``unset``."""
    return _name(entry).partition("=")[0]


def _without(
    block: dict[str, Any], key: str, names: Sequence[str], by: Callable[[Any], str]
) -> None:
    if names and key in block:
        gone = {by(n) for n in names}
        block[key] = [e for e in block[key] or [] if by(e) not in gone]
        if not block[key]:
            del block[key]


def unset_source(spec: dict[str, Any], flags: UnsetFlags, position: int) -> bool:
    """Remove what ``flags`` names (module contract); whether anything changed."""
    source = select_source(spec, position)
    before = repr(source)
    helm = source.get("helm")
    if isinstance(helm, dict):
        _without(helm, "parameters", flags.parameters, _entry_key)
        _without(helm, "valueFiles", flags.values, str)
        for key, wanted in (
            ("values", flags.values_literal),
            ("valuesObject", flags.values_literal),
            ("ignoreMissingValueFiles", flags.ignore_missing_value_files),
            ("passCredentials", flags.pass_credentials),
        ):
            if wanted:
                helm.pop(key, None)
    kustomize = source.get("kustomize")
    if isinstance(kustomize, dict):
        _without(kustomize, "images", flags.kustomize_images, lambda i: image_name(str(i)))
        _without(kustomize, "replicas", flags.kustomize_replicas, _entry_key)
        for key, wanted in (
            ("namePrefix", flags.nameprefix),
            ("nameSuffix", flags.namesuffix),
            ("version", flags.kustomize_version),
            ("namespace", flags.kustomize_namespace),
        ):
            if wanted:
                kustomize.pop(key, None)
    plugin = source.get("plugin")
    if isinstance(plugin, dict):
        _without(plugin, "env", flags.plugin_envs, _entry_key)
    if flags.ref:
        source.pop("ref", None)
    _drop_empty(source)
    return repr(source) != before


__all__ = ["edit_source", "image_name", "replace_or_add", "select_source", "sub", "unset_source"]
