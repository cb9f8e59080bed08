"""Write verbs: server-side apply, client-side apply, create, replace, patch and delete.

Every verb resolves the object's resource through :class:`~kapstan.kube.discovery.Discovery`
(waiting briefly for kinds that were just created, e.g. by a CRD applied in the same run) and
returns a :class:`ChangeRecord`:

- server-side apply: ``created`` when the object did not exist, ``unchanged`` when the
  resourceVersion did not move (for ``dry_run``: when the returned object equals the live one
  apart from managedFields), else ``configured``; conflicts with other field managers raise
  :class:`~kapstan.kube.errors.Conflict` unless ``force``;
- client-side apply: create with the ``last-applied-configuration`` annotation, else a JSON
  merge patch computed from (last-applied, desired, live) — ``unchanged`` when empty;
- delete: ``deleted``; an object that is already gone gives ``skipped``.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from kapstan.kube.client import KubeClient
from kapstan.kube.discovery import Discovery, ResourceInfo
from kapstan.kube.errors import NotFound
from kapstan.model.keys import ResourceKey
from kapstan.model.sync import Propagation
from kapstan.model.vocabulary import FIELD_MANAGER, LAST_APPLIED

APPLY_PATCH = "application/apply-patch+yaml"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
DISCOVERY_WAIT = 30.0
FIELD_VALIDATIONS = ("Strict", "Warn", "Ignore")


class Action(enum.Enum):
    """What a write did to the cluster (Argo CD's vocabulary, as in kubectl's output)."""

    created = "created"
    configured = "configured"
    unchanged = "unchanged"
    deleted = "deleted"
    skipped = "skipped"


@dataclass(frozen=True)
class ChangeRecord:
    """The outcome of one write; ``live`` is the server's answer (not part of equality)."""

    key: ResourceKey
    action: Action
    live: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _rv(obj: Mapping[str, Any] | None) -> str:
    return str(_meta(obj or {}).get("resourceVersion") or "")


class Writer:
    """The write verbs for one client and its discovery."""

    def __init__(
        self, client: KubeClient, discovery: Discovery, *, field_manager: str = FIELD_MANAGER
    ) -> None:
        self.client = client
        self.discovery = discovery
        self.field_manager = field_manager

    async def _where(
        self, obj: Mapping[str, Any], namespace: str = ""
    ) -> tuple[ResourceInfo, ResourceKey, str]:
        info = await self.discovery.for_object(obj, wait=DISCOVERY_WAIT)
        meta = _meta(obj)
        ns = str(meta.get("namespace") or namespace or "") if info.namespaced else ""
        key = ResourceKey(info.group, info.kind, ns, str(meta.get("name") or ""))
        return info, key, ns

    async def check(self, obj: Mapping[str, Any], *, namespace: str = "") -> ResourceKey:
        """What a client-side dry run (``kubectl apply --dry-run=client``) can tell without
        sending the object: its kind is served (waiting up to :data:`DISCOVERY_WAIT` for a
        kind being installed) and it has a name. Raises
        :class:`~kapstan.kube.discovery.UnknownKind` or :class:`ValueError`."""
        _, key, _ = await self._where(obj, namespace)
        if not key.name:
            raise ValueError(f"{key.kind} has no metadata.name")
        return key

    async def _get(self, path: str) -> dict[str, Any] | None:
        try:
            return await self.client.get(path)
        except NotFound:
            return None

    async def apply(
        self,
        obj: Mapping[str, Any],
        *,
        namespace: str = "",
        force: bool = False,
        dry_run: bool = False,
        strict: bool = False,
        field_validation: str | None = None,
        live: Mapping[str, Any] | None = None,
        live_known: bool = False,
    ) -> ChangeRecord:
        """Server-side apply ``obj`` as :attr:`field_manager`.

        ``field_validation`` ("Strict" | "Warn" | "Ignore") is sent as ``fieldValidation``;
        ``strict`` is shorthand for "Strict" when it is not given. With ``live_known`` the
        caller's ``live`` (``None``: absent) tells created/configured/unchanged apart instead
        of a GET before the patch (a sync planned on fresh live state saves a request).
        """
        if field_validation is None and strict:
            field_validation = "Strict"
        if field_validation is not None and field_validation not in FIELD_VALIDATIONS:
            raise ValueError(f"field_validation must be one of {', '.join(FIELD_VALIDATIONS)}")
        info, key, ns = await self._where(obj, namespace)
        body = copy.deepcopy(dict(obj))
        if ns:
            body.setdefault("metadata", {})["namespace"] = ns
        path = info.path(ns, key.name)
        before = live if live_known else await self._get(path)
        params: dict[str, Any] = {"fieldManager": self.field_manager, "force": force}
        if dry_run:
            params["dryRun"] = "All"
        if field_validation is not None:
            params["fieldValidation"] = field_validation
        after = await self.client.request("PATCH", path, params, body, APPLY_PATCH)
        if before is None:
            action = Action.created
        elif dry_run:
            same = _comparable(before) == _comparable(after)
            action = Action.unchanged if same else Action.configured
        else:
            action = Action.unchanged if _rv(before) == _rv(after) else Action.configured
        return ChangeRecord(key, action, after)

    async def client_side_apply(
        self,
        obj: Mapping[str, Any],
        *,
        namespace: str = "",
        dry_run: bool = False,
        field_validation: str | None = None,
    ) -> ChangeRecord:
        """``kubectl apply`` (simple version): create, or merge-patch from last-applied.

        ``field_validation="Ignore"`` drops unknown fields silently (``--validate=false``).
        """
        if field_validation is not None and field_validation not in FIELD_VALIDATIONS:
            raise ValueError(f"field_validation must be one of {', '.join(FIELD_VALIDATIONS)}")
        info, key, ns = await self._where(obj, namespace)
        desired = copy.deepcopy(dict(obj))
        if ns:
            desired.setdefault("metadata", {})["namespace"] = ns
        desired.get("metadata", {}).get("annotations", {}).pop(LAST_APPLIED, None)
        annotation = orjson.dumps(desired, option=orjson.OPT_SORT_KEYS).decode()
        params = {"dryRun": "All"} if dry_run else {}
        if field_validation is not None:
            params["fieldValidation"] = field_validation
        live = await self._get(info.path(ns, key.name))
        if live is None:
            body = copy.deepcopy(desired)
            body.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = annotation
            created = await self.client.request("POST", info.path(ns), params, body)
            return ChangeRecord(key, Action.created, created)
        annotations = _meta(live).get("annotations") or {}
        original: dict[str, Any] = {}
        if annotations.get(LAST_APPLIED):
            original = orjson.loads(annotations[LAST_APPLIED])
        patch = merge_patch(original, desired, live)
        if not patch and annotations.get(LAST_APPLIED) == annotation:
            return ChangeRecord(key, Action.unchanged, live)
        patch_meta = patch.setdefault("metadata", {})
        if patch_meta.get("annotations") is None:  # all annotations removed: keep our own
            removed = (original.get("metadata") or {}).get("annotations") or {}
            patch_meta["annotations"] = {k: None for k in removed if k in annotations}
        patch_meta["annotations"][LAST_APPLIED] = annotation
        after = await self.client.request(
            "PATCH", info.path(ns, key.name), params, patch, MERGE_PATCH
        )
        return ChangeRecord(key, Action.configured, after)

    async def create(self, obj: Mapping[str, Any], *, namespace: str = "") -> ChangeRecord:
        """POST ``obj``; an existing object raises :class:`~kapstan.kube.errors.Conflict`."""
        info, key, ns = await self._where(obj, namespace)
        body = copy.deepcopy(dict(obj))
        if ns:
            body.setdefault("metadata", {})["namespace"] = ns
        created = await self.client.request("POST", info.path(ns), None, body)
        return ChangeRecord(key, Action.created, created)

    async def replace(self, obj: Mapping[str, Any], *, namespace: str = "") -> ChangeRecord:
        """PUT ``obj``; without ``metadata.resourceVersion`` the live one is used."""
        info, key, ns = await self._where(obj, namespace)
        path = info.path(ns, key.name)
        body = copy.deepcopy(dict(obj))
        meta = body.setdefault("metadata", {})
        if ns:
            meta["namespace"] = ns
        before_rv = str(meta.get("resourceVersion") or "")
        if not before_rv:
            live = await self.client.get(path)
            before_rv = meta["resourceVersion"] = _rv(live)
        after = await self.client.request("PUT", path, None, body)
        action = Action.unchanged if _rv(after) == before_rv else Action.configured
        return ChangeRecord(key, action, after)

    async def patch(
        self,
        obj: Mapping[str, Any],
        patch: Any,
        *,
        content_type: str = MERGE_PATCH,
        namespace: str = "",
    ) -> ChangeRecord:
        """PATCH the object named by ``obj`` (apiVersion/kind/metadata) with ``patch``."""
        info, key, ns = await self._where(obj, namespace)
        path = info.path(ns, key.name)
        before = await self.client.get(path)
        after = await self.client.request("PATCH", path, None, patch, content_type)
        action = Action.unchanged if _rv(before) == _rv(after) else Action.configured
        return ChangeRecord(key, action, after)

    async def delete(
        self,
        obj: Mapping[str, Any],
        *,
        namespace: str = "",
        propagation: Propagation = Propagation.foreground,
        dry_run: bool = False,
    ) -> ChangeRecord:
        """DELETE with ``propagationPolicy``; an object already gone is ``skipped``."""
        info, key, ns = await self._where(obj, namespace)
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": propagation.value,
        }
        if dry_run:
            body["dryRun"] = ["All"]
        try:
            answer = await self.client.request("DELETE", info.path(ns, key.name), None, body)
        except NotFound:
            return ChangeRecord(key, Action.skipped)
        return ChangeRecord(key, Action.deleted, answer)


def _comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(obj))
    meta = out.get("metadata") or {}
    for volatile in ("managedFields", "resourceVersion", "generation"):
        meta.pop(volatile, None)
    return out


def merge_patch(original: Any, desired: Any, live: Any) -> dict[str, Any]:
    """A JSON merge patch taking ``live`` to ``desired``, deleting what ``original`` had.

    Fields only in ``live`` (defaults, other writers) are left alone; lists are replaced.
    """
    orig = original if isinstance(original, Mapping) else {}
    cur = live if isinstance(live, Mapping) else {}
    patch: dict[str, Any] = {}
    for k, want in desired.items():
        have = cur.get(k)
        if isinstance(want, Mapping) and isinstance(have, Mapping):
            sub = merge_patch(orig.get(k), want, have)
            if sub:
                patch[k] = sub
        elif want != have:
            patch[k] = want
    for k in orig:
        if k not in desired and k in cur:
            patch[k] = None
    return patch
