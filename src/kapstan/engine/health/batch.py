"""Built-in rules for the ``batch`` group: Job (Go rule) and CronJob (Argo's bundled Lua)."""

from __future__ import annotations

from collections.abc import Mapping

from kapstan.engine.health._fields import Obj, items, mapping, string
from kapstan.engine.health._typed import Slice, condition, require, struct, typed_object
from kapstan.model.health import HealthStatus, ResourceHealth

_JOB = typed_object(status=struct(("conditions", Slice(condition("v1.JobConditionType")))))


def job(obj: Obj) -> ResourceHealth:
    """Mirror of ``getBatchv1JobHealth`` (health_job.go).

    Upstream keys on condition *types* only (a ``Failed`` condition counts whatever its
    status); the quirk is kept for wire compatibility. A suspended Job reports its
    ``Suspended`` condition's message (argo-cd #28738; earlier releases sent the always
    empty failure message).
    """
    require(obj, _JOB, "failed to convert unstructured Job to typed")
    failed = complete = suspended = False
    fail_msg = message = ""
    for cond in items(obj, "status", "conditions"):
        kind = cond.get("type")
        msg = string(cond, "message")
        if kind == "Failed":
            failed = complete = True
            fail_msg = msg
        elif kind == "Complete":
            complete = True
            message = msg
        elif kind == "Suspended":
            complete = True
            message = msg
            suspended = suspended or cond.get("status") == "True"
    if not complete:
        return ResourceHealth(HealthStatus.PROGRESSING, message)
    if failed:
        return ResourceHealth(HealthStatus.DEGRADED, fail_msg)
    if suspended:
        return ResourceHealth(HealthStatus.SUSPENDED, message)
    return ResourceHealth(HealthStatus.HEALTHY, message)


def cron_job(obj: Obj) -> ResourceHealth:
    """Mirror of Argo CD's bundled ``resource_customizations/batch/CronJob/health.lua``.

    Times are compared as RFC 3339 strings, exactly as the Lua script does. A suspended
    CronJob is Healthy, not Suspended: Argo CD keeps it out of the aggregated app health
    until an app can ignore a suspended child (argo-cd #24428, #19126).
    """
    if mapping(obj, "spec").get("suspend") is True:
        return ResourceHealth(HealthStatus.HEALTHY, "CronJob is Suspended")
    status = obj.get("status")
    if not isinstance(status, Mapping):
        return ResourceHealth(HealthStatus.PROGRESSING, "Waiting for CronJob")
    last_schedule = status.get("lastScheduleTime")
    if last_schedule is None:
        # The status cannot tell a missed schedule apart from "not yet due".
        return ResourceHealth(HealthStatus.HEALTHY, "CronJob has not been scheduled yet")
    last_success = status.get("lastSuccessfulTime")
    if last_success is None:
        return ResourceHealth(
            HealthStatus.HEALTHY, "The Cronjob never completed succesfully. It may not be healthy"
        )
    if items(obj, "status", "active"):
        return ResourceHealth(
            HealthStatus.HEALTHY,
            "The job is running. Its last execution may not have been successful",
        )
    if str(last_success) < str(last_schedule):
        return ResourceHealth(
            HealthStatus.DEGRADED, "CronJob has not completed its last execution successfully"
        )
    return ResourceHealth(
        HealthStatus.HEALTHY, "CronJob has completed its last execution successfully"
    )
