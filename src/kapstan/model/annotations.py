"""Parsing of the sync annotations: waves, hooks, delete policies and sync options.

Mirrors gitops-engine ``pkg/sync/{hook,syncwaves,common}`` and its Helm hook mapping.
Everything here reads plain-dict manifests and never touches the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.model.sync import HookDeletePolicy, HookType

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
HOOK = "argocd.argoproj.io/hook"
HOOK_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
HELM_HOOK = "helm.sh/hook"
HELM_HOOK_WEIGHT = "helm.sh/hook-weight"
HELM_HOOK_DELETE_POLICY = "helm.sh/hook-delete-policy"
HELM_RESOURCE_POLICY = "helm.sh/resource-policy"

_HELM_HOOKS: dict[str, HookType] = {
    "pre-install": HookType.PRE_SYNC,
    "pre-upgrade": HookType.PRE_SYNC,
    "post-install": HookType.POST_SYNC,
    "post-upgrade": HookType.POST_SYNC,
    "pre-delete": HookType.PRE_DELETE,
    "post-delete": HookType.POST_DELETE,
}
_HELM_DELETE_POLICIES: dict[str, HookDeletePolicy] = {
    "hook-succeeded": HookDeletePolicy.HOOK_SUCCEEDED,
    "hook-failed": HookDeletePolicy.HOOK_FAILED,
    "before-hook-creation": HookDeletePolicy.BEFORE_HOOK_CREATION,
}
PROPAGATION_POLICIES = ("foreground", "background", "orphan")


class AnnotationError(ValueError):
    """An annotation value that cannot be used (e.g. a non-integer sync wave)."""


def annotations_of(obj: Mapping[str, Any] | None) -> Mapping[str, str]:
    """Return ``metadata.annotations`` of a manifest, or an empty mapping."""
    if not obj:
        return {}
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return {}
    annotations = meta.get("annotations")
    if not isinstance(annotations, Mapping):
        return {}
    return {str(k): str(v) for k, v in annotations.items() if v is not None}


def csv(value: str | None) -> list[str]:
    """Split a comma list, trimming blanks and dropping empty items."""
    if not value:
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


def _int(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise AnnotationError(f"invalid {what} {value!r}: must be an integer") from None


def has_argo_hook_annotation(obj: Mapping[str, Any] | None) -> bool:
    """True if the object carries any Argo CD hook annotation (Helm hooks are then ignored)."""
    annotations = annotations_of(obj)
    return HOOK in annotations or HOOK_DELETE_POLICY in annotations


def sync_wave(obj: Mapping[str, Any] | None) -> int:
    """The object's wave: ``sync-wave``, else ``helm.sh/hook-weight``, else 0."""
    annotations = annotations_of(obj)
    if SYNC_WAVE in annotations:
        return _int(annotations[SYNC_WAVE], f"{SYNC_WAVE} annotation")
    if HELM_HOOK_WEIGHT in annotations and not has_argo_hook_annotation(obj):
        return _int(annotations[HELM_HOOK_WEIGHT], f"{HELM_HOOK_WEIGHT} annotation")
    return 0


def hook_types(obj: Mapping[str, Any] | None) -> tuple[HookType, ...]:
    """Hook types in annotation order, de-duplicated; unknown values are ignored (as Argo)."""
    annotations = annotations_of(obj)
    found: list[HookType] = []
    if has_argo_hook_annotation(obj):
        for item in csv(annotations.get(HOOK)):
            if item in HookType.__members__.values() and HookType(item) not in found:
                found.append(HookType(item))
        return tuple(found)
    for item in csv(annotations.get(HELM_HOOK)):
        mapped = _HELM_HOOKS.get(item)  # test-*, *-rollback and crd-install map to nothing
        if mapped is not None and mapped not in found:
            found.append(mapped)
    return tuple(found)


def is_skip(obj: Mapping[str, Any] | None) -> bool:
    """``Skip`` alone means "never apply this manifest" (with other types it is ignored)."""
    return hook_types(obj) == (HookType.SKIP,)


def is_hook(obj: Mapping[str, Any] | None) -> bool:
    """True for hook objects (any hook type other than a lone ``Skip``)."""
    types = hook_types(obj)
    return bool(types) and types != (HookType.SKIP,)


def delete_policies(obj: Mapping[str, Any] | None) -> tuple[HookDeletePolicy, ...]:
    """Hook delete policies; the default is ``BeforeHookCreation``."""
    annotations = annotations_of(obj)
    found: list[HookDeletePolicy] = []
    if has_argo_hook_annotation(obj):
        for item in csv(annotations.get(HOOK_DELETE_POLICY)):
            if item in HookDeletePolicy.__members__.values():
                found.append(HookDeletePolicy(item))
    else:
        for item in csv(annotations.get(HELM_HOOK_DELETE_POLICY)):
            if item in _HELM_DELETE_POLICIES:
                found.append(_HELM_DELETE_POLICIES[item])
    unique = tuple(dict.fromkeys(found))
    return unique or (HookDeletePolicy.BEFORE_HOOK_CREATION,)


def parse_option_list(items: Iterable[str]) -> dict[str, str]:
    """``["Prune=false", "Validate=false"]`` -> ``{"Prune": "false", ...}``; later wins."""
    parsed: dict[str, str] = {}
    for item in items:
        key, sep, value = item.strip().partition("=")
        if sep and key.strip():
            parsed[key.strip()] = value.strip()
    return parsed


def resource_option_map(obj: Mapping[str, Any] | None) -> dict[str, str]:
    """Resource-level options: the annotation, plus ``helm.sh/resource-policy: keep``."""
    annotations = annotations_of(obj)
    options: dict[str, str] = {}
    if annotations.get(HELM_RESOURCE_POLICY, "").strip() == "keep":
        options["Delete"] = "false"
    options.update(parse_option_list(csv(annotations.get(SYNC_OPTIONS))))
    return options


def _flag(options: Mapping[str, str], key: str) -> bool:
    return options.get(key, "").lower() == "true"


def _gate(options: Mapping[str, str], key: str) -> str:
    value = options.get(key, "").lower()
    return value if value in ("false", "confirm") else ""


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """Effective sync options of one resource (app-level merged under resource-level).

    ``prune`` and ``delete`` are ``""`` (allowed), ``"false"`` or ``"confirm"``.
    """

    prune: str = ""
    delete: str = ""
    validate: bool = True
    create_namespace: bool = False
    prune_last: bool = False
    apply_out_of_sync_only: bool = False
    server_side_apply: bool = False
    replace: bool = False
    force: bool = False
    prune_propagation_policy: str = "foreground"
    respect_ignore_differences: bool = False
    fail_on_shared_resource: bool = False
    skip_dry_run_on_missing_resource: bool = False

    @classmethod
    def from_map(cls, options: Mapping[str, str]) -> SyncOptions:
        """Build from a ``Key -> Value`` mapping; unknown keys and values are ignored."""
        policy = options.get("PrunePropagationPolicy", "foreground").lower()
        if policy not in PROPAGATION_POLICIES:
            raise AnnotationError(
                f"invalid PrunePropagationPolicy {policy!r}: "
                f"must be one of {', '.join(PROPAGATION_POLICIES)}"
            )
        return cls(
            prune=_gate(options, "Prune"),
            delete=_gate(options, "Delete"),
            validate=options.get("Validate", "").lower() != "false",
            create_namespace=_flag(options, "CreateNamespace"),
            prune_last=_flag(options, "PruneLast"),
            apply_out_of_sync_only=_flag(options, "ApplyOutOfSyncOnly"),
            server_side_apply=_flag(options, "ServerSideApply"),
            replace=_flag(options, "Replace"),
            force=_flag(options, "Force"),
            prune_propagation_policy=policy,
            respect_ignore_differences=_flag(options, "RespectIgnoreDifferences"),
            fail_on_shared_resource=_flag(options, "FailOnSharedResource"),
            skip_dry_run_on_missing_resource=_flag(options, "SkipDryRunOnMissingResource"),
        )

    @classmethod
    def merged(
        cls, app_options: Iterable[str], obj: Mapping[str, Any] | None = None
    ) -> SyncOptions:
        """App options (``spec.syncPolicy.syncOptions``) overridden by the object's own."""
        options = parse_option_list(app_options)
        options.update(resource_option_map(obj))
        return cls.from_map(options)
