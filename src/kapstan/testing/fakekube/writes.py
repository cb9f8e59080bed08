"""Create and update of one object, and the tail every update shares (also PATCH's).

Contract (each function runs under the store lock, so it is atomic with respect to other
writes and to watches starting):

- the body's ``apiVersion``/``kind`` must match the URL (400), so must ``metadata.name`` and
  ``metadata.namespace`` when given; namespaced objects need an existing namespace (404) that
  is not Terminating (403);
- identity and server-set fields (``uid``, ``creationTimestamp``, ``generation``,
  ``deletionTimestamp``, ``resourceVersion``) come from the server, never from the body;
  ``generation`` is bumped when anything outside ``metadata``/``status`` changes (kinds that
  have one);
- a ``metadata.resourceVersion`` in the body (or left by a patch) must be the stored one
  (409 Conflict); an update of a custom resource must carry one (422), as on a real server;
- for kinds with a ``status`` subresource, main-resource writes keep the stored status and
  ``/status`` writes change nothing but the status (create drops the status);
- a write that changes nothing stores nothing: same resourceVersion, no event;
- ``dry_run`` computes and returns the would-be object without storing it.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from typing import Any

from kapstan.testing.fakekube.apply import record_update
from kapstan.testing.fakekube.cluster import Cluster, meta
from kapstan.testing.fakekube.kinds import Kind
from kapstan.testing.fakekube.status import (
    STALE,
    ApiError,
    already_exists,
    bad_request,
    conflict,
    invalid,
    not_found,
)
from kapstan.testing.fakekube.validation import check_fields, validate

_SERVER_META = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "resourceVersion",
)
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's generateName alphabet


@dataclass(frozen=True)
class Options:
    """Per-request write options (``validation``: the ``fieldValidation`` value)."""

    manager: str
    dry_run: bool = False
    validation: str = ""
    force: bool = False
    subresource: str = ""


@dataclass
class Written:
    """The object as stored (or as it would be, for a dry run), and the HTTP code."""

    obj: dict[str, Any]
    code: int = 200
    warnings: list[str] = field(default_factory=list)


def check_type(kind: Kind, version: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    want = kind.api_version(version)
    api, name = body.get("apiVersion"), body.get("kind")
    if not api or not name:
        raise bad_request("Object 'Kind' or 'apiVersion' is missing in the request body")
    if api != want:
        raise bad_request(
            f"the API version in the data ({api}) does not match the expected API version ({want})"
        )
    if name != kind.kind:
        raise bad_request(
            f"the kind in the data ({name}) does not match the expected kind ({kind.kind})"
        )
    return body


def place(kind: Kind, obj: dict[str, Any], namespace: str, name: str = "") -> None:
    """Check the body's name/namespace against the URL and fill them in."""
    m = meta(obj)
    if name and m.get("name") and m["name"] != name:
        raise bad_request(
            f"the name of the object ({m['name']}) does not match the name on the URL ({name})"
        )
    if name:
        m["name"] = name
    if not kind.namespaced:
        m.pop("namespace", None)
        return
    if namespace and m.get("namespace") and m["namespace"] != namespace:
        raise bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    m["namespace"] = namespace or m.get("namespace") or ""


def namespace_open(cluster: Cluster, kind: Kind, namespace: str) -> None:
    if not kind.namespaced:
        return
    ns_kind = cluster.kinds.get("", "namespaces")
    assert ns_kind is not None
    ns = cluster.live(ns_kind, "", namespace)
    if ns is None:
        raise not_found(ns_kind, namespace)
    if meta(ns).get("deletionTimestamp"):
        raise ApiError(
            403,
            f"{kind.resource} is forbidden: unable to create new content in namespace "
            f"{namespace} because it is being terminated",
        )


def new_object(cluster: Cluster, kind: Kind, obj: dict[str, Any]) -> None:
    """Server-set fields and built-in defaults of an object being created."""
    m = meta(obj)
    for f in (*_SERVER_META, "managedFields"):
        m.pop(f, None)
    m["uid"] = cluster.new_uid()
    m["creationTimestamp"] = cluster.now()
    if kind.generation:
        m["generation"] = 1
    if kind.status_subresource:
        obj.pop("status", None)
    defaults(kind, obj)


def defaults(kind: Kind, obj: dict[str, Any]) -> None:
    """What the API server fills in on create (only Namespaces get anything in the fake)."""
    if (kind.group, kind.kind) == ("", "Namespace"):
        m = meta(obj)
        m.setdefault("labels", {})["kubernetes.io/metadata.name"] = m["name"]
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {"phase": "Active"})


def insert(cluster: Cluster, kind: Kind, obj: dict[str, Any], opts: Options) -> Written:
    m = meta(obj)
    if cluster.live(kind, m.get("namespace", ""), m["name"]) is not None:
        raise already_exists(kind, m["name"])
    validate(kind, obj)
    return Written(obj if opts.dry_run else cluster.commit(kind, obj), 201)


def create(
    cluster: Cluster, kind: Kind, version: str, namespace: str, body: Any, opts: Options
) -> Written:
    """POST: create ``body`` (``generateName`` supported)."""
    obj = copy.deepcopy(check_type(kind, version, body))
    warnings = check_fields(kind, obj, opts.validation or "Warn", apply=False)
    place(kind, obj, namespace)
    m = meta(obj)
    if m.get("resourceVersion"):
        raise ApiError(500, "resourceVersion should not be set on objects to be created")
    with cluster.store.lock:
        if not m.get("name"):
            if not m.get("generateName"):
                causes = [("metadata.name", "Required value: name or generateName is required")]
                raise invalid(kind, "", causes)
            m["name"] = str(m["generateName"]) + "".join(
                secrets.choice(_NAME_CHARS) for _ in range(5)
            )
        namespace_open(cluster, kind, m.get("namespace", ""))
        new_object(cluster, kind, obj)
        record_update(
            kind,
            None,
            obj,
            manager=opts.manager,
            subresource="",
            api_version=kind.api_version(version),
            now=cluster.now(),
        )
        written = insert(cluster, kind, obj, opts)
    written.warnings = warnings
    return written


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata", "status")}


def _scope(
    kind: Kind, old: dict[str, Any], new: dict[str, Any], subresource: str, *, ssa: bool
) -> dict[str, Any]:
    """Limit a write to what its (sub)resource may change: the status alone through
    ``/status``, everything but the status through the main resource of a kind with a status
    subresource (see the module docstring)."""
    if subresource == "status":
        status, managed = new.get("status"), meta(new).get("managedFields")
        new = copy.deepcopy(old)
        new.pop("status", None)
        if status is not None:
            new["status"] = status
        if ssa:
            meta(new)["managedFields"] = managed
    elif kind.status_subresource:
        new.pop("status", None)
        if "status" in old:
            new["status"] = copy.deepcopy(old["status"])
    return new


def finish(
    cluster: Cluster,
    kind: Kind,
    version: str,
    old: dict[str, Any],
    new: dict[str, Any],
    opts: Options,
    *,
    ssa: bool = False,
) -> Written:
    """Common tail of every update of an existing object (see the module contract)."""
    om = meta(old)
    m = meta(new)
    for f in ("name", "namespace", *_SERVER_META):
        if f in om:
            m[f] = om[f]
        else:
            m.pop(f, None)
    new = _scope(kind, old, new, opts.subresource, ssa=ssa)
    m = meta(new)
    if om.get("deletionTimestamp"):
        added = set(m.get("finalizers") or []) - set(om.get("finalizers") or [])
        if added:
            why = "Forbidden: no new finalizers can be added if the object is being deleted"
            raise invalid(kind, m["name"], [("metadata.finalizers", why)])
    if kind.generation and _spec(old) != _spec(new):
        m["generation"] = int(om.get("generation") or 0) + 1
    if not ssa:
        record_update(
            kind,
            old,
            new,
            manager=opts.manager,
            subresource=opts.subresource,
            api_version=kind.api_version(version),
            now=cluster.now(),
        )
    if not m.get("managedFields"):
        m.pop("managedFields", None)
    new["apiVersion"], new["kind"] = old.get("apiVersion"), kind.kind  # stored version-free
    validate(kind, new)
    if new == old:
        return Written(old)
    if opts.dry_run:
        return Written(new)
    return Written(cluster.commit(kind, new))


def precondition(kind: Kind, old: dict[str, Any], new: dict[str, Any], name: str) -> None:
    rv = meta(new).get("resourceVersion")
    if rv and str(rv) != meta(old).get("resourceVersion"):
        raise conflict(kind, name, STALE)


def update(
    cluster: Cluster,
    kind: Kind,
    version: str,
    namespace: str,
    name: str,
    body: Any,
    opts: Options,
) -> Written:
    """PUT: replace the object (or its status)."""
    new = copy.deepcopy(check_type(kind, version, body))
    warnings = check_fields(kind, new, opts.validation or "Warn", apply=False)
    place(kind, new, namespace, name)
    with cluster.store.lock:
        old = cluster.require(kind, namespace, name)
        precondition(kind, old, new, name)
        if not meta(new).get("resourceVersion") and kind.custom:
            why = "Invalid value: 0x0: must be specified for an update"
            raise invalid(kind, name, [("metadata.resourceVersion", why)])
        written = finish(cluster, kind, version, old, new, opts)
    written.warnings = warnings
    return written
