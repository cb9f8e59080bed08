"""Per-resource diff: normalize, ignore, predict live, compare, mask, render.

Mirrors gitops-engine ``diff.Diff`` as driven by Argo CD's controller (state.go):

* **three-way** (default in gitops-engine): predicted live = live patched with
  ``last-applied -> config`` (see :mod:`kapstan.engine.merge`); live-only fields never
  show up.
* **server-side**: predicted live is the result of a server-side-apply dry-run, computed
  elsewhere and passed in; it already contains the apiserver's defaults.

``modified`` is ``normalized predicted live != normalized live``. Secret values are
masked (:mod:`kapstan.engine.redact`) before the unified diff and JSON patch are built,
so no result field ever carries a real Secret value.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from kapstan.engine import jsonpatch
from kapstan.engine.ignore import IgnoreRule, apply_rules
from kapstan.engine.merge import BUILTIN_GROUPS, three_way_merge
from kapstan.engine.mode import DiffMode, annotation_options
from kapstan.engine.normalize import STATUS_ALL, finalize, normalize
from kapstan.engine.pairing import ResourcePair
from kapstan.engine.redact import mask_secrets
from kapstan.engine.serverside import remove_webhook_mutations
from kapstan.model.keys import ResourceKey
from kapstan.model.status import SyncStatusCode
from kapstan.model.vocabulary import COMPARE_OPTIONS, LAST_APPLIED


@dataclass(frozen=True)
class ResourceDiff:
    """Comparison result of one resource. Every object field is Secret-masked.

    ``predicted_live`` is what live would become after a sync (``None`` when pruning);
    ``unified_diff`` and ``patch`` go from ``normalized_live`` to ``predicted_live``. For a
    create the patch is one ``add`` of the whole document at path ``""``, for a prune one
    ``remove`` at ``""``.
    ``requires_pruning`` marks extraneous live objects; with ``ignore_extraneous`` set
    (live annotation ``compare-options: IgnoreExtraneous``) the resource itself is still
    OutOfSync but, as in Argo CD, does not make the Application OutOfSync.
    """

    key: ResourceKey
    sync_status: SyncStatusCode
    modified: bool
    mode: DiffMode
    normalized_desired: dict[str, Any] | None = field(default=None, hash=False)
    normalized_live: dict[str, Any] | None = field(default=None, hash=False)
    predicted_live: dict[str, Any] | None = field(default=None, hash=False)
    unified_diff: str = ""
    patch: tuple[dict[str, Any], ...] = field(default=(), hash=False)
    requires_pruning: bool = False
    ignore_extraneous: bool = False
    warnings: tuple[str, ...] = ()
    message: str = ""

    @property
    def affects_app_sync(self) -> bool:
        """Whether this resource's status counts toward the Application's status."""
        return not (self.requires_pruning and self.ignore_extraneous)


def app_sync_status(results: Iterable[ResourceDiff]) -> SyncStatusCode:
    """Aggregate like Argo CD: any counted OutOfSync wins, then Unknown, else Synced."""
    statuses = [r.sync_status for r in results if r.affects_app_sync]
    if SyncStatusCode.OUT_OF_SYNC in statuses:
        return SyncStatusCode.OUT_OF_SYNC
    if SyncStatusCode.UNKNOWN in statuses:
        return SyncStatusCode.UNKNOWN
    return SyncStatusCode.SYNCED


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def to_yaml(obj: Mapping[str, Any] | None) -> str:
    """Stable YAML rendering used for the text diff (sorted keys, block style)."""
    if obj is None:
        return ""
    # libyaml's emitter: the pure-Python one was three quarters of an OutOfSync diff's cost.
    return yaml.dump(dict(obj), Dumper=_Dumper, sort_keys=True, default_flow_style=False)


def unified_yaml_diff(
    live: Mapping[str, Any] | None, target: Mapping[str, Any] | None, key: ResourceKey
) -> str:
    """``diff -u`` style text from live to target."""
    lines = difflib.unified_diff(
        to_yaml(live).splitlines(keepends=True),
        to_yaml(target).splitlines(keepends=True),
        fromfile=f"{key} (live)",
        tofile=f"{key} (desired)",
    )
    return "".join(lines)


def _same(a: Any, b: Any) -> bool:
    # JSON text comparison keeps true != 1 and "1" != 1, as the apiserver would.
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _last_applied(live: Mapping[str, Any]) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    text = annotations.get(LAST_APPLIED)
    if not text:
        return None, ()
    try:
        parsed = json.loads(text)
    except (TypeError, ValueError):
        parsed = None
    if not isinstance(parsed, dict):
        # The message must not quote the annotation: for a Secret it holds the data.
        return None, (f"{LAST_APPLIED} of the live object is not a JSON object",)
    return parsed, ()


def _drop_empty_annotations(obj: dict[str, Any]) -> dict[str, Any]:
    """gitops-engine ``removeNamespaceAnnotation`` (annotation half): ``annotations: {}``
    or ``null`` in last-applied/config means nothing, but as a merge-patch ``orig`` it
    would delete every live annotation. ``kubectl apply`` always writes
    ``"annotations":{}`` into last-applied for a manifest without annotations."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "annotations" in meta and not meta["annotations"]:
        meta = {k: v for k, v in meta.items() if k != "annotations"}
        return {**obj, "metadata": meta}
    return obj


def _prepare(
    obj: Mapping[str, Any],
    key: ResourceKey,
    rules: Sequence[IgnoreRule],
    managed_fields: Sequence[Mapping[str, Any]] | None,
    status: str,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    result = apply_rules(normalize(obj, status), key, rules, managed_fields)
    return result.obj, result.warnings


def diff_resource(
    desired: Mapping[str, Any] | None,
    live: Mapping[str, Any] | None,
    *,
    mode: DiffMode = DiffMode.THREE_WAY,
    ignore_rules: Sequence[IgnoreRule] = (),
    dry_run: Mapping[str, Any] | None = None,
    include_webhook: bool = False,
    status: str = STATUS_ALL,
) -> ResourceDiff:
    """Compare one desired object with its live counterpart.

    ``status`` is ``ignoreResourceStatusField`` (:func:`kapstan.engine.normalize.drops_status`).

    ``desired`` must already carry its namespace (see :mod:`kapstan.engine.pairing`).
    In ``SERVER_SIDE`` mode ``dry_run`` is the server-side-apply dry-run result; when it
    is missing the comparison falls back to three-way. Unless ``include_webhook`` is
    set, dry-run changes no field manager owns (mutating webhooks) are dropped. Pipeline
    errors yield ``Unknown`` with a message that names no values.
    """
    source = desired if desired is not None else live
    if source is None:
        raise ValueError("diff_resource needs a desired or a live object")
    key = ResourceKey.from_obj(source)
    try:
        return _diff(key, desired, live, mode, ignore_rules, dry_run, include_webhook, status)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return ResourceDiff(
            key=key,
            sync_status=SyncStatusCode.UNKNOWN,
            modified=False,
            mode=mode,
            message=f"comparison failed: {type(exc).__name__}",
        )


def _diff(
    key: ResourceKey,
    desired: Mapping[str, Any] | None,
    live: Mapping[str, Any] | None,
    mode: DiffMode,
    rules: Sequence[IgnoreRule],
    dry_run: Mapping[str, Any] | None,
    include_webhook: bool,
    status: str = STATUS_ALL,
) -> ResourceDiff:
    managed = (live.get("metadata") or {}).get("managedFields") if live is not None else None
    warnings: list[str] = []

    def prep(obj: Mapping[str, Any]) -> dict[str, Any]:
        prepared, warns = _prepare(obj, key, rules, managed, status)
        warnings.extend(warns)
        return prepared

    config = prep(desired) if desired is not None else None
    current = prep(live) if live is not None else None
    if mode is DiffMode.SERVER_SIDE and dry_run is None:
        mode = DiffMode.THREE_WAY
    predicted: dict[str, Any] | None
    if config is None:
        predicted = None
    elif current is None:
        predicted = config
    elif mode is DiffMode.SERVER_SIDE:
        assert dry_run is not None
        predicted = prep(dry_run)
        if not include_webhook:
            dry_managed = (dry_run.get("metadata") or {}).get("managedFields")
            predicted = remove_webhook_mutations(predicted, current, dry_managed)
    else:
        assert live is not None
        orig_raw, warns = _last_applied(live)
        warnings.extend(warns)
        # No last-applied: a "2-way" diff that is a 3-way diff with orig = config.
        orig = prep(orig_raw) if orig_raw is not None else config
        merged = three_way_merge(
            _drop_empty_annotations(orig),
            _drop_empty_annotations(config),
            current,
            strategic=key.group in BUILTIN_GROUPS,
        )
        predicted = merged if isinstance(merged, dict) else config

    target = finalize(predicted) if predicted is not None else None
    live_final = finalize(current) if current is not None else None
    config_final = finalize(config) if config is not None else None
    modified = target is None or live_final is None or not _same(target, live_final)
    m_config, m_live, m_target = mask_secrets(config_final, live_final, target)

    ops: list[dict[str, Any]]
    if m_live is None:
        ops = [{"op": "add", "path": "", "value": m_target}]
    elif m_target is None:
        ops = [{"op": "remove", "path": ""}]
    else:
        ops = jsonpatch.diff(m_live, m_target)
    requires_pruning = desired is None
    return ResourceDiff(
        key=key,
        sync_status=SyncStatusCode.OUT_OF_SYNC if modified else SyncStatusCode.SYNCED,
        modified=modified,
        mode=mode,
        normalized_desired=m_config,
        normalized_live=m_live,
        predicted_live=m_target,
        unified_diff=unified_yaml_diff(m_live, m_target, key) if modified else "",
        patch=tuple(ops),
        requires_pruning=requires_pruning,
        ignore_extraneous=requires_pruning
        and "IgnoreExtraneous" in annotation_options(live, COMPARE_OPTIONS),
        warnings=tuple(dict.fromkeys(warnings)),  # the same rule fails once per side
    )


def diff_pairs(
    pairs: Iterable[ResourcePair],
    *,
    mode: DiffMode = DiffMode.THREE_WAY,
    ignore_rules: Sequence[IgnoreRule] = (),
    dry_runs: Mapping[ResourceKey, Mapping[str, Any]] | None = None,
    include_webhook: bool = False,
    status: str = STATUS_ALL,
) -> tuple[ResourceDiff, ...]:
    """Diff every pair; ``dry_runs`` maps keys to server-side dry-run results."""
    results = []
    for pair in pairs:
        results.append(
            diff_resource(
                pair.desired,
                pair.live,
                mode=mode,
                ignore_rules=ignore_rules,
                dry_run=(dry_runs or {}).get(pair.key),
                include_webhook=include_webhook,
                status=status,
            )
        )
    return tuple(results)
