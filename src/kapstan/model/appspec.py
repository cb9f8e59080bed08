"""An Application manifest from ``argocd app create``-style flags, pure (no I/O).

Contract of :func:`application_from_flags`: starts from ``base`` (an Application manifest,
e.g. ``-f app.yaml``; deep-copied, never changed) or an empty Application, then sets what
the :class:`AppFlags` hold, as Argo CD's ``SetAppSpecOptions`` does: a field left ``None``
(or an empty tuple) keeps the base's value. ``name`` (if set) and ``app_namespace`` go to
``metadata``; ``labels``/``annotations`` are merged in. The source is
``spec.source`` (``repoURL``, ``path`` or ``chart``, ``targetRevision``) with its ``helm``,
``kustomize``, ``directory`` and ``plugin`` sections; the destination ``spec.destination``
(``server`` or ``name``, ``namespace``); ``project`` defaults to ``default``.
``sync_policy`` ``automated``/``auto``/``automatic`` sets ``syncPolicy.automated``,
``none``/``manual`` removes it; ``auto_prune``, ``self_heal`` and ``allow_empty`` need
automated sync. ``set_finalizer`` adds ``resources-finalizer.argocd.argoproj.io``. Anything
inconsistent raises :class:`AppSpecError` with Argo CD's message.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.model.vocabulary import API_VERSION, DEFAULT_PROJECT, RESOURCES_FINALIZER

AUTOMATED_POLICIES = frozenset({"automated", "auto", "automatic"})
MANUAL_POLICIES = frozenset({"none", "manual"})


class AppSpecError(ValueError):
    """Flags that cannot make an Application."""


@dataclass(frozen=True)
class AppFlags:
    """The ``app create`` flags (``None``/empty: not given). Pairs are ``(key, value)``."""

    name: str | None = None
    app_namespace: str | None = None
    project: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    repo: str | None = None
    path: str | None = None
    chart: str | None = None
    revision: str | None = None
    dest_server: str | None = None
    dest_name: str | None = None
    dest_namespace: str | None = None
    sync_policy: str | None = None
    auto_prune: bool | None = None
    self_heal: bool | None = None
    allow_empty: bool | None = None
    sync_options: tuple[str, ...] = ()
    sync_retry_limit: int | None = None
    revision_history_limit: int | None = None
    set_finalizer: bool = False
    values: tuple[str, ...] = ()
    values_literal: str | None = None
    release_name: str | None = None
    helm_set: tuple[tuple[str, str], ...] = ()
    helm_set_string: tuple[tuple[str, str], ...] = ()
    helm_set_file: tuple[tuple[str, str], ...] = ()
    helm_skip_crds: bool | None = None
    name_prefix: str | None = None
    name_suffix: str | None = None
    kustomize_images: tuple[str, ...] = ()
    kustomize_namespace: str | None = None
    kustomize_version: str | None = None
    kustomize_common_labels: tuple[tuple[str, str], ...] = ()
    kustomize_common_annotations: tuple[tuple[str, str], ...] = ()
    directory_recurse: bool | None = None
    directory_include: str | None = None
    directory_exclude: str | None = None
    plugin: str | None = None
    plugin_env: tuple[tuple[str, str], ...] = ()


def _section(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        value = parent[key] = {}
    return value


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def _params(existing: list[Any], pairs: tuple[tuple[str, str], ...], **extra: Any) -> list[Any]:
    """Argo CD's helm parameter merge: a name already there has its value replaced."""
    out = list(existing)
    for name, value in pairs:
        entry = {"name": name, "value": value, **extra}
        out = [p for p in out if not (isinstance(p, Mapping) and p.get("name") == name)]
        out.append(entry)
    return out


def _helm(source: dict[str, Any], f: AppFlags) -> None:
    wanted = (f.values, f.values_literal, f.release_name, f.helm_set, f.helm_set_string)
    if not any(w for w in wanted) and not f.helm_set_file and f.helm_skip_crds is None:
        return
    helm = _section(source, "helm")
    if f.values:
        helm["valueFiles"] = list(f.values)
    _set(helm, "values", f.values_literal)
    _set(helm, "releaseName", f.release_name)
    _set(helm, "skipCrds", f.helm_skip_crds)
    params = _params(list(helm.get("parameters") or []), f.helm_set)
    params = _params(params, f.helm_set_string, forceString=True)
    if params:
        helm["parameters"] = params
    if f.helm_set_file:
        files = {str(p.get("name")): p for p in helm.get("fileParameters") or []}
        files.update({n: {"name": n, "path": p} for n, p in f.helm_set_file})
        helm["fileParameters"] = list(files.values())


def _kustomize(source: dict[str, Any], f: AppFlags) -> None:
    wanted = (
        f.name_prefix,
        f.name_suffix,
        f.kustomize_images,
        f.kustomize_namespace,
        f.kustomize_version,
        f.kustomize_common_labels,
        f.kustomize_common_annotations,
    )
    if not any(w for w in wanted):
        return
    kustomize = _section(source, "kustomize")
    _set(kustomize, "namePrefix", f.name_prefix)
    _set(kustomize, "nameSuffix", f.name_suffix)
    _set(kustomize, "namespace", f.kustomize_namespace)
    _set(kustomize, "version", f.kustomize_version)
    if f.kustomize_images:
        images = [i for i in kustomize.get("images") or [] if isinstance(i, str)]
        for image in f.kustomize_images:
            base = image.split("=")[0].split(":")[0].split("@")[0]
            images = [i for i in images if i.split("=")[0].split(":")[0].split("@")[0] != base]
            images.append(image)
        kustomize["images"] = images
    if f.kustomize_common_labels:
        _section(kustomize, "commonLabels").update(dict(f.kustomize_common_labels))
    if f.kustomize_common_annotations:
        _section(kustomize, "commonAnnotations").update(dict(f.kustomize_common_annotations))


def _directory_and_plugin(source: dict[str, Any], f: AppFlags) -> None:
    if f.directory_recurse is not None or f.directory_include or f.directory_exclude:
        directory = _section(source, "directory")
        _set(directory, "recurse", f.directory_recurse)
        _set(directory, "include", f.directory_include)
        _set(directory, "exclude", f.directory_exclude)
    if f.plugin is not None or f.plugin_env:
        plugin = _section(source, "plugin")
        _set(plugin, "name", f.plugin)
        if f.plugin_env:
            env = {str(e.get("name")): e for e in plugin.get("env") or []}
            env.update({n: {"name": n, "value": v} for n, v in f.plugin_env})
            plugin["env"] = list(env.values())


def _source(spec: dict[str, Any], f: AppFlags) -> None:
    source = _section(spec, "source")
    _set(source, "repoURL", f.repo)
    if f.path is not None and f.chart is not None:
        raise AppSpecError("--path and --helm-chart are mutually exclusive")
    if f.path is not None:
        source["path"] = f.path
        source.pop("chart", None)
    if f.chart is not None:
        source["chart"] = f.chart
        source.pop("path", None)
    _set(source, "targetRevision", f.revision)
    _helm(source, f)
    _kustomize(source, f)
    _directory_and_plugin(source, f)


def _destination(spec: dict[str, Any], f: AppFlags) -> None:
    destination = _section(spec, "destination")
    if f.dest_server is not None and f.dest_name is not None:
        raise AppSpecError("destination server and name are mutually exclusive")
    if f.dest_server is not None:
        destination["server"] = f.dest_server
        destination.pop("name", None)
    if f.dest_name is not None:
        destination["name"] = f.dest_name
        destination.pop("server", None)
    _set(destination, "namespace", f.dest_namespace)


def _needs_automated(sync: dict[str, Any], flag: str) -> dict[str, Any]:
    automated = sync.get("automated")
    if not isinstance(automated, dict):
        raise AppSpecError(f"Cannot set --{flag}: application not configured with automatic sync")
    return automated


def _sync_policy(spec: dict[str, Any], f: AppFlags) -> None:
    if f.sync_policy is not None:
        policy = f.sync_policy.lower()
        if policy in AUTOMATED_POLICIES:
            sync = _section(spec, "syncPolicy")
            sync["automated"] = sync.get("automated") or {}
        elif policy in MANUAL_POLICIES:
            if isinstance(spec.get("syncPolicy"), dict):
                spec["syncPolicy"].pop("automated", None)
        else:
            raise AppSpecError(f"Invalid sync policy {f.sync_policy!r}: automated or none")
    for flag, key, value in (("auto-prune", "prune", f.auto_prune),
                             ("self-heal", "selfHeal", f.self_heal),
                             ("allow-empty", "allowEmpty", f.allow_empty)):  # fmt: skip
        if value is not None:
            _needs_automated(_section(spec, "syncPolicy"), flag)[key] = value
    if f.sync_options:
        sync = _section(spec, "syncPolicy")
        options = [o for o in sync.get("syncOptions") or [] if isinstance(o, str)]
        for option in f.sync_options:
            options = [o for o in options if o.split("=")[0] != option.split("=")[0]]
            options.append(option)
        sync["syncOptions"] = options
    if f.sync_retry_limit is not None:
        retry = _section(_section(spec, "syncPolicy"), "retry")
        retry["limit"] = f.sync_retry_limit
    if isinstance(spec.get("syncPolicy"), dict) and not spec["syncPolicy"]:
        del spec["syncPolicy"]


def application_from_flags(
    flags: AppFlags, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The Application the flags describe (see the module contract)."""
    app: dict[str, Any] = copy.deepcopy(dict(base)) if base else {}
    app["apiVersion"] = app.get("apiVersion") or API_VERSION
    app["kind"] = app.get("kind") or "Application"
    meta = _section(app, "metadata")
    _set(meta, "name", flags.name)
    _set(meta, "namespace", flags.app_namespace)
    if not meta.get("name"):
        raise AppSpecError("app name is required")
    if flags.labels:
        _section(meta, "labels").update(dict(flags.labels))
    if flags.annotations:
        _section(meta, "annotations").update(dict(flags.annotations))
    if flags.set_finalizer and RESOURCES_FINALIZER not in (meta.get("finalizers") or []):
        meta["finalizers"] = [*(meta.get("finalizers") or []), RESOURCES_FINALIZER]
    spec = _section(app, "spec")
    _source(spec, flags)
    _destination(spec, flags)
    spec["project"] = flags.project or spec.get("project") or DEFAULT_PROJECT
    _set(spec, "revisionHistoryLimit", flags.revision_history_limit)
    _sync_policy(spec, flags)
    return app


def parse_pairs(items: list[str] | tuple[str, ...], what: str) -> tuple[tuple[str, str], ...]:
    """``key=value`` items as pairs; an item without ``=`` raises :class:`AppSpecError`."""
    out: list[tuple[str, str]] = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise AppSpecError(f"{what}: expected key=value, got {item!r}")
        out.append((key, value))
    return tuple(out)


__all__ = ["AppFlags", "AppSpecError", "application_from_flags", "parse_pairs"]
