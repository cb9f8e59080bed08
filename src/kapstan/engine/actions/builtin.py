"""The resource actions Argo CD ships (``resource_customizations/<group>/<Kind>/actions``),
as pure Python functions with the same offers and the same changes.

=====================  ================================================================
kind                   actions
=====================  ================================================================
apps/Deployment        ``restart``, ``pause`` (listed once ``spec.paused`` is set),
                       ``resume`` (enabled when paused), ``scale`` (parameter
                       ``replicas``, default the current count)
apps/StatefulSet       ``restart``, ``scale`` (a non-negative integer)
apps/DaemonSet         ``restart``
argoproj.io/Rollout    ``restart`` (``spec.restartAt``), ``resume``, ``pause``, ``abort``,
                       ``retry``, ``promote-full``
batch/CronJob          ``create-job`` (a Job from ``spec.jobTemplate`` owned by the
                       CronJob, named ``<cronjob>-<YYYYMMDDHHMM>``), ``suspend`` / ``resume``
=====================  ================================================================

``restart`` sets ``spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]``
to ``now`` (UTC, ``%Y-%m-%dT%H:%M:%SZ``), as ``kubectl rollout restart`` does.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kapstan.engine.actions.model import (
    ActionError,
    ActionParam,
    Impacted,
    Operation,
    Params,
    ResourceAction,
)

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
REPLICAS = "replicas"
Run = Callable[[dict[str, Any], Params, datetime], list[Impacted]]
Discover = Callable[[Mapping[str, Any]], list[ResourceAction]]


@dataclass(frozen=True)
class BuiltinKind:
    """Discovery and the actions of one kind."""

    discover: Discover
    actions: Mapping[str, Run] = field(default_factory=dict)


def _stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def _map(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def _patched(obj: dict[str, Any]) -> list[Impacted]:
    return [Impacted(Operation.PATCH, obj)]


def _lua_tostring(value: Any) -> str:
    """Lua's ``tostring`` of a decoded JSON value (numbers as Lua prints them)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _lua_tonumber(text: str) -> float | None:
    raw = text.strip()
    try:
        return float(int(raw, 16)) if raw.lower().startswith("0x") else float(raw)
    except ValueError:
        return None


def _replicas(params: Params, *, integer: bool) -> int | float:
    raw = params.get(REPLICAS)
    if raw is None:
        raise ActionError("replicas parameter is required")
    number = _lua_tonumber(raw)
    if integer and (number is None or number < 0 or not float(number).is_integer()):
        raise ActionError(f"invalid number: {raw} (must be a non-negative integer)")
    if number is None or number < 0 or math.isnan(number) or math.isinf(number):
        raise ActionError(f"invalid number: {raw} (must be >= 0)")
    return int(number) if number.is_integer() else number


def _scale_param(obj: Mapping[str, Any]) -> tuple[ActionParam, ...]:
    default = _lua_tostring(_map(obj, "spec").get(REPLICAS))
    return (ActionParam(REPLICAS, default=default),)


# -- workloads --------------------------------------------------------------------------------
def restart(obj: dict[str, Any], _params: Params, now: datetime) -> list[Impacted]:
    template = obj.setdefault("spec", {}).setdefault("template", {})
    meta = template.get("metadata")
    if not isinstance(meta, dict):
        meta = template["metadata"] = {}
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict):
        annotations = meta["annotations"] = {}
    annotations[RESTARTED_AT] = _stamp(now)
    return _patched(obj)


def _set_spec(key: str, value: Any) -> Run:
    def run(obj: dict[str, Any], _params: Params, _now: datetime) -> list[Impacted]:
        spec = obj.setdefault("spec", {})
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
        return _patched(obj)

    return run


def _scale(integer: bool) -> Run:
    def run(obj: dict[str, Any], params: Params, _now: datetime) -> list[Impacted]:
        obj.setdefault("spec", {})[REPLICAS] = _replicas(params, integer=integer)
        return _patched(obj)

    return run


def _deployment_actions(obj: Mapping[str, Any]) -> list[ResourceAction]:
    spec = _map(obj, "spec")
    found = [ResourceAction("restart")]
    paused = spec.get("paused")
    if paused is not None:
        found.append(ResourceAction("pause"))
    found.append(ResourceAction("resume", disabled=paused is not True))
    found.append(ResourceAction("scale", params=_scale_param(obj)))
    return found


def _statefulset_actions(obj: Mapping[str, Any]) -> list[ResourceAction]:
    return [ResourceAction("restart"), ResourceAction("scale", params=_scale_param(obj))]


def _daemonset_actions(_obj: Mapping[str, Any]) -> list[ResourceAction]:
    return [ResourceAction("restart")]


# -- Argo Rollouts ----------------------------------------------------------------------------
def _rollout_paused(obj: Mapping[str, Any]) -> bool:
    status = obj.get("status")
    if isinstance(status, dict) and status.get("pauseConditions") is not None:
        conditions = status["pauseConditions"]
        return isinstance(conditions, list) and len(conditions) > 0
    return _map(obj, "spec").get("paused") is True


def _fully_promoted(obj: Mapping[str, Any]) -> bool:
    status = _map(obj, "status")
    return status.get("currentPodHash") == status.get("stableRS")


def _rollout_actions(obj: Mapping[str, Any]) -> list[ResourceAction]:
    promoted = _fully_promoted(obj)
    aborted = _map(obj, "status").get("abort") is True
    spec = _map(obj, "spec")
    blue_green = _map(spec, "strategy").get("blueGreen") is not None
    return [
        ResourceAction("restart"),
        ResourceAction("resume", disabled=not _rollout_paused(obj)),
        ResourceAction("pause", disabled=promoted or spec.get("paused") is True),
        ResourceAction("abort", disabled=promoted or aborted),
        ResourceAction("retry", disabled=promoted or not aborted),
        ResourceAction("promote-full", disabled=promoted or blue_green),
    ]


def _rollout_restart(obj: dict[str, Any], _params: Params, now: datetime) -> list[Impacted]:
    obj.setdefault("spec", {})["restartAt"] = _stamp(now)
    return _patched(obj)


def _set_status(key: str, value: Any) -> Run:
    def run(obj: dict[str, Any], _params: Params, _now: datetime) -> list[Impacted]:
        status = obj.setdefault("status", {})
        if value is None:
            status.pop(key, None)
        else:
            status[key] = value
        return _patched(obj)

    return run


def _rollout_resume(obj: dict[str, Any], _params: Params, _now: datetime) -> list[Impacted]:
    status = _map(obj, "status")
    if isinstance(status.get("pauseConditions"), list) and status["pauseConditions"]:
        status.pop("pauseConditions")
    spec = _map(obj, "spec")
    if spec.get("paused") is True:
        spec["paused"] = False
    return _patched(obj)


def _rollout_promote_full(obj: dict[str, Any], _params: Params, _now: datetime) -> list[Impacted]:
    status = obj.get("status")
    if not isinstance(status, dict):
        return _patched(obj)
    observed = _lua_tonumber(str(status.get("observedGeneration", "")))
    generation = _map(obj, "metadata").get("generation")
    if observed is None or not isinstance(generation, int | float) or observed > generation:
        # Rollouts v0.9 and older: jump to the last canary step.
        status.pop("abort", None)
        steps = _map(_map(_map(obj, "spec"), "strategy"), "canary").get("steps")
        if isinstance(steps, list):
            status["currentStepIndex"] = len(steps)
    else:
        status["promoteFull"] = True
    return _patched(obj)


# -- CronJob ----------------------------------------------------------------------------------
def _without_empty(value: Any) -> Any:
    """A deep copy that drops empty maps and lists (as the Lua deep copy Argo CD uses)."""
    if isinstance(value, dict):
        out = {k: c for k, v in value.items() if (c := _without_empty(v)) is not None}
        return out or None
    if isinstance(value, list):
        items = [c for v in value if (c := _without_empty(v)) is not None]
        return items or None
    return copy.deepcopy(value)


def _create_job(obj: dict[str, Any], _params: Params, now: datetime) -> list[Impacted]:
    meta = _map(obj, "metadata")
    template = _map(_map(obj, "spec"), "jobTemplate")
    job_meta = _without_empty(template.get("metadata")) or {}
    job_meta["name"] = f"{meta.get('name', '')}-{now.strftime('%Y%m%d%H%M')}"
    job_meta["namespace"] = meta.get("namespace")
    job_meta["ownerReferences"] = [
        {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "name": meta.get("name"),
            "uid": meta.get("uid"),
        }
    ]
    job: dict[str, Any] = {"apiVersion": "batch/v1", "kind": "Job", "metadata": job_meta}
    spec = _without_empty(template.get("spec"))
    if spec is not None:
        job["spec"] = spec
    return [Impacted(Operation.CREATE, job)]


def _cronjob_actions(obj: Mapping[str, Any]) -> list[ResourceAction]:
    found = [ResourceAction("create-job", icon_class="fa fa-fw fa-plus", display_name="Create Job")]
    if _map(obj, "spec").get("suspend") is True:
        found.append(ResourceAction("resume", icon_class="fa fa-fw fa-play"))
    else:
        found.append(ResourceAction("suspend", icon_class="fa fa-fw fa-pause"))
    return found


BUILTIN: Mapping[tuple[str, str], BuiltinKind] = {
    ("apps", "Deployment"): BuiltinKind(
        _deployment_actions,
        {
            "restart": restart,
            "pause": _set_spec("paused", True),
            "resume": _set_spec("paused", None),
            "scale": _scale(integer=False),
        },
    ),
    ("apps", "StatefulSet"): BuiltinKind(
        _statefulset_actions, {"restart": restart, "scale": _scale(integer=True)}
    ),
    ("apps", "DaemonSet"): BuiltinKind(_daemonset_actions, {"restart": restart}),
    ("argoproj.io", "Rollout"): BuiltinKind(
        _rollout_actions,
        {
            "restart": _rollout_restart,
            "resume": _rollout_resume,
            "pause": _set_spec("paused", True),
            "abort": _set_status("abort", True),
            "retry": _set_status("abort", None),
            "promote-full": _rollout_promote_full,
        },
    ),
    ("batch", "CronJob"): BuiltinKind(
        _cronjob_actions,
        {
            "create-job": _create_job,
            "suspend": _set_spec("suspend", True),
            "resume": _set_spec("suspend", False),
        },
    ),
}

__all__ = ["BUILTIN", "RESTARTED_AT", "BuiltinKind"]
