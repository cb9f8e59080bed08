"""PATCH of one object: merge, JSON and strategic merge patch, and server-side apply.

Contract: the patch is applied to the stored object as served at the request's version, then
the result goes through the same checks and bookkeeping as an update
(:func:`~kapstan.testing.fakekube.writes.finish`): a ``resourceVersion`` the patch leaves or
sets must be the stored one (409). Content types: ``application/merge-patch+json``,
``application/json-patch+json`` (a failing op is 422, a malformed patch 400),
``application/strategic-merge-patch+json`` (built-in kinds only: 415 for custom resources, as
on a real server) and ``application/apply-patch+yaml`` (JSON or YAML; needs ``fieldManager``;
creates the object when it does not exist; see :mod:`~kapstan.testing.fakekube.apply`).
"""

from __future__ import annotations

import copy
from typing import Any

import orjson
import yaml

from kapstan.engine.actions.patches import merge_patch
from kapstan.testing.fakekube.apply import schema_of, server_side_apply
from kapstan.testing.fakekube.cluster import Cluster, meta
from kapstan.testing.fakekube.kinds import Kind
from kapstan.testing.fakekube.patch import (
    PatchFailed,
    PatchMalformed,
    json_patch,
    strategic_merge,
)
from kapstan.testing.fakekube.status import STALE, ApiError, bad_request, conflict, not_found
from kapstan.testing.fakekube.validation import check_fields
from kapstan.testing.fakekube.writes import (
    Options,
    Written,
    check_type,
    finish,
    insert,
    namespace_open,
    new_object,
    place,
    precondition,
)

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"


def _decode(raw: bytes, *, yaml_ok: bool = False) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        if not yaml_ok:
            raise bad_request("the request body is not valid JSON") from None
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        raise bad_request("the request body is not valid YAML") from None


def patch(
    cluster: Cluster,
    kind: Kind,
    version: str,
    namespace: str,
    name: str,
    content_type: str,
    raw: bytes,
    opts: Options,
) -> Written:
    """PATCH: merge, JSON or strategic merge patch, or server-side apply."""
    ctype = content_type.split(";", maxsplit=1)[0].strip().lower()
    if ctype == APPLY:
        return _apply(cluster, kind, version, namespace, name, _decode(raw, yaml_ok=True), opts)
    if ctype not in (MERGE, JSON_PATCH, STRATEGIC) or (ctype == STRATEGIC and kind.custom):
        accepted = f"{JSON_PATCH}, {MERGE}, {APPLY}" + ("" if kind.custom else f", {STRATEGIC}")
        raise ApiError(
            415,
            "the body of the request was in an unknown format - accepted media types include: "
            + accepted,
        )
    doc = _decode(raw)
    with cluster.store.lock:
        old = cluster.require(kind, namespace, name)
        current = cluster.render(kind, old, version)
        try:
            if ctype == MERGE:
                if not isinstance(doc, dict):
                    raise PatchMalformed("a merge patch must be a JSON object")
                new = merge_patch(current, doc)
            elif ctype == JSON_PATCH:
                new = json_patch(current, doc)
            else:
                new = strategic_merge(current, doc, schema_of(kind))
        except PatchMalformed as e:
            raise bad_request(str(e)) from None
        except PatchFailed as e:
            raise ApiError(422, str(e)) from None
        if not isinstance(new, dict):
            raise ApiError(422, "the patched document is not an object")
        check_type(kind, version, new)
        precondition(kind, old, new, name)
        warnings = check_fields(kind, new, opts.validation or "Warn", apply=False)
        written = finish(cluster, kind, version, old, new, opts)
    written.warnings = warnings
    return written


def _apply(
    cluster: Cluster,
    kind: Kind,
    version: str,
    namespace: str,
    name: str,
    doc: Any,
    opts: Options,
) -> Written:
    if not opts.manager:
        raise bad_request("PATCH /apply: fieldManager is required for apply requests")
    config = copy.deepcopy(check_type(kind, version, doc))
    place(kind, config, namespace, name)
    meta(config).pop("managedFields", None)
    warnings = check_fields(kind, config, opts.validation or "Warn", apply=True)
    with cluster.store.lock:
        old = cluster.live(kind, namespace, name)
        live = cluster.render(kind, old, version) if old is not None else None
        if old is not None:
            precondition(kind, old, config, name)
        elif meta(config).get("resourceVersion"):
            raise conflict(kind, name, STALE)
        elif opts.subresource:
            raise not_found(kind, name)
        new = server_side_apply(
            kind,
            live,
            config,
            manager=opts.manager,
            force=opts.force,
            subresource=opts.subresource,
            api_version=kind.api_version(version),
            now=cluster.now(),
        )
        m = meta(new)
        m["name"] = name
        if kind.namespaced:
            m["namespace"] = namespace
        if old is None:
            namespace_open(cluster, kind, namespace)
            managed = m.get("managedFields")
            new_object(cluster, kind, new)
            if managed:
                m["managedFields"] = managed
            written = insert(cluster, kind, new, opts)
        else:
            written = finish(cluster, kind, version, old, new, opts, ssa=True)
    written.warnings = warnings
    return written
