"""Automated sync decisions (``spec.syncPolicy.automated``), as Argo CD's controller makes them.

:func:`decide` is pure: from the Application, its freshly computed ``status`` and the
self-heal bookkeeping it returns a :class:`Decision` — start this operation, wait until a
time (self-heal backoff), refuse with a ``SyncError`` condition message, or do nothing.

Rules (Argo CD's ``autoSync``):

- nothing while an operation is pending or running, when automated sync is off
  (``enabled: false``), when the app is not OutOfSync, when the target revision is unknown,
  or when comparison failed (``ComparisonError``): a render error never syncs;
- without ``allowEmpty`` a sync that would prune every resource (all requiring pruning) is
  refused with "auto-sync will wipe out all resources";
- without ``prune``, an app whose only differences are resources to prune is left alone
  (a sync could not change anything), and the wipe-out refusal does not apply;
- each (revision, source, parameters: ``prune`` and ``syncOptions``) is attempted once; it
  is synced again only with ``selfHeal`` and only when that earlier attempt succeeded (live
  drift after a good sync); a failed attempt is reported as a ``SyncError`` condition
  ("Failed sync attempt to <revision>: <message>") and not retried;
- a self-heal sync is selective, as in Argo CD: it syncs only the resources that are not
  Synced (so fields a sync would otherwise overwrite on Synced resources stay as they are);
- self-heal attempts back off: attempt ``n`` (0-based, counting attempts since the app was
  last seen Synced) waits ``min(cap, base * factor**n)`` after the previous operation ended.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kapstan.engine.conditions import parse_rfc3339
from kapstan.model.conditions import ConditionType
from kapstan.model.status import SyncStatusCode
from kapstan.model.sync import OperationPhase

SELF_HEAL_BASE = 2.0  # seconds; Argo CD's self-heal backoff: 2 s, factor 3, cap 5 min
SELF_HEAL_FACTOR = 3.0
SELF_HEAL_CAP = 300.0
WIPE_OUT = "auto-sync will wipe out all resources"


@dataclass(frozen=True)
class Decision:
    """``operation`` to start, or ``wait`` seconds before asking again, or ``refusal``."""

    operation: Mapping[str, Any] | None = None
    wait: float = 0.0
    refusal: str = ""
    self_heal: bool = False  # the operation is a self-heal attempt


NOTHING = Decision()


def self_heal_delay(attempts: int) -> float:
    """Seconds to wait before self-heal attempt ``attempts`` (0-based)."""
    return min(SELF_HEAL_CAP, SELF_HEAL_BASE * SELF_HEAL_FACTOR ** max(0, attempts))


def _source(spec: Mapping[str, Any]) -> dict[str, Any]:
    return dict(spec.get("source") or {})


def _attempted(
    spec: Mapping[str, Any], result: Mapping[str, Any], revision: str, revisions: list[str]
) -> bool:
    """Whether the last operation already synced this revision (and source) of the app."""
    if revisions:
        return list(result.get("revisions") or []) == revisions and list(
            result.get("sources") or []
        ) == list(spec.get("sources") or [])
    return result.get("revision") == revision and (result.get("source") or {}) == _source(spec)


def _operation(
    policy: Mapping[str, Any], automated: Mapping[str, Any], revision: str, revisions: list[str]
) -> dict[str, Any]:
    sync_op: dict[str, Any] = {"prune": bool(automated.get("prune"))}
    if revisions:
        sync_op["revisions"] = revisions
    else:
        sync_op["revision"] = revision
    options = policy.get("syncOptions")
    if options:
        sync_op["syncOptions"] = list(options)
    operation = {"sync": sync_op, "initiatedBy": {"automated": True}}
    if policy.get("retry"):
        operation["retry"] = dict(policy["retry"])
    return operation


def _same_parameters(
    last: Mapping[str, Any], policy: Mapping[str, Any], automated: Mapping[str, Any]
) -> bool:
    """The last operation used the sync parameters automated sync would use now (turning
    ``prune`` on, or changing ``syncOptions``, is a new attempt)."""
    sync = last.get("sync") or {}
    return bool(sync.get("prune")) == bool(automated.get("prune")) and list(
        sync.get("syncOptions") or []
    ) == list(policy.get("syncOptions") or [])


def decide(
    app: Mapping[str, Any],
    status: Mapping[str, Any],
    *,
    now: datetime,
    self_heal_attempts: int = 0,
) -> Decision:
    """What automated sync does for ``app`` given its fresh ``status`` (see module rules)."""
    spec = app.get("spec") or {}
    policy = spec.get("syncPolicy") or {}
    automated = policy.get("automated")
    if automated is None or automated.get("enabled") is False or app.get("operation"):
        return NOTHING
    current = (app.get("status") or {}).get("operationState") or {}
    sync = status.get("sync") or {}
    if (
        current.get("phase") in (OperationPhase.RUNNING.value, OperationPhase.TERMINATING.value)
        or any(
            c.get("type") == ConditionType.COMPARISON_ERROR.value
            for c in status.get("conditions") or []
        )
        or sync.get("status") != SyncStatusCode.OUT_OF_SYNC.value
    ):
        return NOTHING
    revision = str(sync.get("revision") or "")
    revisions = [str(r) for r in sync.get("revisions") or []]
    if not revision and not revisions:
        return NOTHING
    resources = [r for r in status.get("resources") or [] if not r.get("hook")]
    if not automated.get("prune"):
        drifted = [r for r in resources if r.get("status") == SyncStatusCode.OUT_OF_SYNC.value]
        if drifted and all(r.get("requiresPruning") for r in drifted):
            return NOTHING  # Argo CD: "automated prune is disabled"
    elif (
        not automated.get("allowEmpty")
        and resources
        and all(r.get("requiresPruning") for r in resources)
    ):
        return Decision(refusal=WIPE_OUT)
    attempted = _attempted(
        spec, current.get("syncResult") or {}, revision, revisions
    ) and _same_parameters(current.get("operation") or {}, policy, automated)
    healing = False
    if attempted:
        if current.get("phase") != OperationPhase.SUCCEEDED.value:
            target = ", ".join(revisions) if revisions else revision
            message = f"Failed sync attempt to {target}: {current.get('message') or ''}"
            return Decision(refusal=message.rstrip(": "))
        if not automated.get("selfHeal"):
            return NOTHING
        healing = True
        finished = parse_rfc3339(str(current.get("finishedAt") or ""))
        if finished is not None:
            remaining = self_heal_delay(self_heal_attempts) - (now - finished).total_seconds()
            if remaining > 0:
                return Decision(wait=remaining)
    operation = _operation(policy, automated, revision, revisions)
    if healing:
        operation["sync"]["resources"] = [
            {k: r[k] for k in ("group", "kind", "namespace", "name") if r.get(k)}
            for r in resources
            if r.get("status") != SyncStatusCode.SYNCED.value
        ]
    return Decision(operation=operation, self_heal=healing)


__all__ = ["NOTHING", "WIPE_OUT", "Decision", "decide", "self_heal_delay"]
