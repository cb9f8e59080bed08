"""An Application's spec from ``argocd app create|set|unset``-style flags, without I/O.

Contract: :func:`apply_flags` writes the given :class:`SpecFlags` over a spec (a plain
``dict``, changed in place and returned), leaving the rest as it was, so ``create`` builds
from ``{}`` or from a file and ``set`` edits the server's spec with one function, as argocd's
``SetAppSpecOptions``: the source flags go to the source at ``position``
(:mod:`.appsource`); ``--sync-policy automated`` starts a fresh ``automated`` block and
``--auto-prune``/``--self-heal``/``--allow-empty`` then need one; ``--sync-option X`` adds or
replaces ``X``, ``!X`` removes it; ``--sync-retry-limit N`` writes the retry strategy with its
backoff (argocd's defaults ``5s``, ``3m0s``, factor 2), ``0`` removes it.
:func:`build_application` is the whole ``Application`` of ``app create`` (reusable by any
command that makes one from flags); :func:`apply_unset` removes what ``app unset`` names.
Bad values raise :class:`SpecFlagError` (exit 20).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kapstan.cli.argocd.app.appsource import edit_source, replace_or_add, sub, unset_source
from kapstan.cli.argocd.app.appspecflags import (
    SpecFlagError,
    SpecFlags,
    SyncPolicyChoice,
    UnsetFlags,
    key_value,
    nothing_given,
)
from kapstan.model.vocabulary import API_VERSION, RESOURCES_FINALIZER

RETRY_DURATION, RETRY_MAX_DURATION, RETRY_FACTOR = "5s", "3m0s", 2  # argocd's defaults


def _option_name(option: str) -> str:
    return option.partition("=")[0]


def _automated(spec: dict[str, Any], flags: SpecFlags, choice: SyncPolicyChoice | None) -> None:
    policy = sub(spec, "syncPolicy")
    if choice is SyncPolicyChoice.NONE:
        policy.pop("automated", None)
    elif choice is SyncPolicyChoice.AUTOMATED:
        policy["automated"] = {}
    for flag, key, value in (
        ("--auto-prune", "prune", flags.auto_prune),
        ("--self-heal", "selfHeal", flags.self_heal),
        ("--allow-empty", "allowEmpty", flags.allow_empty),
    ):
        if value is None:
            continue
        if not isinstance(policy.get("automated"), dict):
            raise SpecFlagError(
                f"Cannot set {flag}: application not configured with automatic sync"
            )
        policy["automated"][key] = value


def _options(policy: dict[str, Any], options: Sequence[str]) -> None:
    current = [str(o) for o in policy.get("syncOptions") or []]
    for option in options:
        if option.startswith("!"):
            current = [o for o in current if o != option[1:]]
        else:
            current = replace_or_add(current, option, _option_name)
    policy["syncOptions"] = current
    if not current:
        del policy["syncOptions"]


def _retry(policy: dict[str, Any], flags: SpecFlags) -> None:
    limit = flags.sync_retry_limit
    if limit is None:
        return
    if limit < 0:
        raise SpecFlagError(f"Invalid sync-retry-limit [{limit}]")
    if limit == 0:
        policy.pop("retry", None)
        return
    factor = flags.sync_retry_backoff_factor
    policy["retry"] = {
        "limit": limit,
        "backoff": {
            "duration": flags.sync_retry_backoff_duration or RETRY_DURATION,
            "maxDuration": flags.sync_retry_backoff_max_duration or RETRY_MAX_DURATION,
            "factor": RETRY_FACTOR if factor is None else factor,
        },
    }


def _sync_policy(spec: dict[str, Any], flags: SpecFlags) -> None:
    choice = SyncPolicyChoice.parse(flags.sync_policy) if flags.sync_policy else None
    automated = (flags.auto_prune, flags.self_heal, flags.allow_empty)
    if (
        choice is None
        and all(f is None for f in automated)
        and not flags.sync_options
        and flags.sync_retry_limit is None
    ):
        return
    _automated(spec, flags, choice)
    policy = sub(spec, "syncPolicy")
    _options(policy, flags.sync_options)
    _retry(policy, flags)
    if not policy:
        spec.pop("syncPolicy", None)


def apply_flags(spec: dict[str, Any], flags: SpecFlags, position: int = 0) -> dict[str, Any]:
    """Write the given flags over ``spec`` (module contract)."""
    edit_source(spec, flags, position)
    if flags.dest_server or flags.dest_name or flags.dest_namespace:
        destination = sub(spec, "destination")
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
    if flags.revision_history_limit is not None:
        spec["revisionHistoryLimit"] = flags.revision_history_limit
    _sync_policy(spec, flags)
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
    metadata = sub(app, "metadata")
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
            values = sub(metadata, target)
            for raw in raws:
                key, value = key_value(raw, flag)
                values[key] = value
    if meta.set_finalizer:
        finalizers = list(metadata.get("finalizers") or [])
        if RESOURCES_FINALIZER not in finalizers:
            metadata["finalizers"] = [*finalizers, RESOURCES_FINALIZER]
    spec = apply_flags(sub(app, "spec"), flags)
    spec.setdefault("project", "default")
    sub(spec, "destination")
    return app


def apply_unset(spec: dict[str, Any], flags: UnsetFlags, position: int = 0) -> bool:
    """Remove what ``flags`` names from the spec's source (at ``position`` of a multi-source
    spec); whether anything changed."""
    return unset_source(spec, flags, position)


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
