"""The Applications store: Argo CD ``Application`` objects of one namespace, through the API.

Every runtime writes Applications through this one place (the controller its status, the API
server and the CLI the ``operation`` field, the refresh annotation and the spec), so the
patch shapes live here. Contract:

- :meth:`Applications.write_status` sets ``status.<key>`` for each field (``None`` removes
  it) in ONE JSON patch, and ``operation`` too (a mapping sets it, ``None`` removes it,
  :data:`KEEP` leaves it alone); a patch that no longer fits the stored object (someone
  removed a field meanwhile) is retried once against a fresh copy;
- :meth:`set_operation`, :meth:`request_refresh` and :meth:`patch_spec` are JSON merge
  patches of the fields they name, nothing else;
- every method returns the Application as the API server answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Final

from kapstan.kube.client import KubeClient, ListResult, WatchEvent
from kapstan.kube.errors import Invalid
from kapstan.model.application import RefreshType
from kapstan.model.vocabulary import REFRESH, application_path

JSON_PATCH: Final = "application/json-patch+json"
MERGE_PATCH: Final = "application/merge-patch+json"


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()
OperationChange = Mapping[str, Any] | None | _Keep


def status_patch(
    app: Mapping[str, Any], fields: Mapping[str, Any], operation: OperationChange = KEEP
) -> list[dict[str, Any]]:
    """The JSON patch :meth:`Applications.write_status` sends for ``app`` as last read."""
    old = app.get("status") or {}
    ops: list[dict[str, Any]] = []
    if not isinstance(app.get("status"), Mapping):
        ops.append({"op": "add", "path": "/status", "value": {}})
    for key, value in fields.items():
        if value is None:
            if key in old:
                ops.append({"op": "remove", "path": f"/status/{key}"})
        else:
            ops.append({"op": "add", "path": f"/status/{key}", "value": value})
    if operation is None:
        if "operation" in app:
            ops.append({"op": "remove", "path": "/operation"})
    elif isinstance(operation, Mapping):
        ops.append({"op": "add", "path": "/operation", "value": dict(operation)})
    return ops


class Applications:
    """Applications of ``namespace`` (see the module contract)."""

    def __init__(self, kube: KubeClient, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace

    def path(self, name: str = "") -> str:
        return application_path(self.namespace, name)

    async def get(self, name: str) -> dict[str, Any]:
        return await self.kube.get(self.path(name))

    async def list(self, params: Mapping[str, Any] | None = None) -> ListResult:
        return await self.kube.list(self.path(), params)

    def watch(self, resource_version: str = "", **kwargs: Any) -> AsyncIterator[WatchEvent]:
        return self.kube.watch(self.path(), resource_version=resource_version, **kwargs)

    async def write_status(
        self,
        app: Mapping[str, Any],
        fields: Mapping[str, Any],
        operation: OperationChange = KEEP,
    ) -> dict[str, Any]:
        path = self.path(str(app["metadata"]["name"]))
        try:
            return await self.kube.request(
                "PATCH", path, None, status_patch(app, fields, operation), JSON_PATCH
            )
        except Invalid:
            fresh = await self.kube.get(path)
            return await self.kube.request(
                "PATCH", path, None, status_patch(fresh, fields, operation), JSON_PATCH
            )

    async def merge(self, name: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON merge patch of the Application ``name``."""
        return await self.kube.request("PATCH", self.path(name), None, patch, MERGE_PATCH)

    async def set_operation(self, name: str, operation: Mapping[str, Any]) -> dict[str, Any]:
        """Ask for an operation (sync, rollback): the controller runs it."""
        return await self.merge(name, {"operation": dict(operation)})

    async def request_refresh(self, name: str, level: RefreshType) -> dict[str, Any]:
        """Ask the controller for one refresh of ``level`` (it removes the annotation)."""
        return await self.merge(name, {"metadata": {"annotations": {REFRESH: level.value}}})

    async def clear_refresh(self, name: str) -> dict[str, Any]:
        """Remove the refresh annotation (done by the controller once refreshed)."""
        return await self.merge(name, {"metadata": {"annotations": {REFRESH: None}}})

    async def patch_spec(self, name: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        return await self.merge(name, {"spec": dict(patch)})


__all__ = ["JSON_PATCH", "KEEP", "MERGE_PATCH", "Applications", "OperationChange", "status_patch"]
