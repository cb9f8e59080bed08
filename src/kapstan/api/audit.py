"""User actions recorded as Kubernetes Events on the Application, as Argo CD's API server
records them (``<user> <what>``, reason ``ResourceCreated``/``ResourceUpdated``/
``ResourceDeleted``/``OperationStarted``/``ResourceActionRan``), so ``kubectl describe app``
shows who did what. Recording never fails the request: an Event that cannot be written is logged."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError
from kapstan.model.vocabulary import API_VERSION

log = logging.getLogger(__name__)
CREATED, UPDATED, DELETED, OPERATION, ACTION_RAN = (
    "ResourceCreated",
    "ResourceUpdated",
    "ResourceDeleted",
    "OperationStarted",
    "ResourceActionRan",
)


async def record(
    kube: KubeClient,
    app: Mapping[str, Any],
    user: str,
    reason: str,
    what: str,
    *,
    kind: str = "Application",
) -> None:
    """Record ``<user> <what>`` on ``app`` (an object of ``kind``: Argo CD also records
    project changes, on the AppProject)."""
    meta = app.get("metadata") or {}
    namespace = str(meta.get("namespace") or "")
    name = str(meta.get("name") or "")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.{uuid.uuid4().hex[:16]}", "namespace": namespace},
        "involvedObject": {
            "apiVersion": API_VERSION,
            "kind": kind,
            "name": name,
            "namespace": namespace,
            "uid": str(meta.get("uid") or ""),
            "resourceVersion": str(meta.get("resourceVersion") or ""),
        },
        "reason": reason,
        "message": f"{user} {what}",
        "type": "Normal",
        "source": {"component": "kapstan-server"},
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "reportingComponent": "kapstan-server",
    }
    try:
        await kube.request("POST", f"/api/v1/namespaces/{namespace}/events", None, event)
    except KubeError as err:
        log.warning("could not record the event %r on %s/%s: %s", reason, namespace, name, err)


__all__ = ["ACTION_RAN", "CREATED", "DELETED", "OPERATION", "UPDATED", "record"]
