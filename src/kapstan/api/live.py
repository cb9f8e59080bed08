"""One live resource of an Application, reached as Argo CD's API reaches it
(``getAppLiveResource`` / ``getUnstructuredLiveResourceOrApp``).

Contract:

- :func:`lookup_app` is :func:`~kapstan.api.common.find_app` plus ``appNamespace`` (only the
  control-plane namespace holds Applications here: any other is PermissionDenied, as Argo CD
  answers a namespace that is not enabled) and Argo CD 3's fine-grained RBAC for
  ``update``/``delete`` of a resource: the action checked is
  ``<verb>/<group>/<kind>/<namespace>/<name>``; with argocd-cm
  ``server.rbac.disableApplicationFineGrainedRBACInheritance: "false"`` the plain verb is
  tried first and the fine-grained one only when it is denied;
- :func:`live_resource` finds the resource in the app's resource tree (the snapshot store):
  a resource that is not there is InvalidArgument ``<kind> <group> <name> not found as part
  of application <app>``, Argo CD's answer, so only the app's own resources can be read,
  patched, deleted or acted on; then reads it from the destination cluster (its tree version
  unless ``version`` is given);
- :func:`target_object` is the same, except that ``kind: Application, group: argoproj.io``
  named like the app is the Application itself (actions and links on the app);
- :func:`shown` is what leaves the API of a live object: Secrets masked as Argo CD masks them
  (:func:`~kapstan.engine.redact.hide_secret_data`, with argocd-cm's
  ``resource.sensitive.mask.annotations``), JSON with sorted keys as Go marshals maps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query

from kapstan.api.common import find_app
from kapstan.api.context import ApiContext
from kapstan.api.errors import ApiError, Code, invalid
from kapstan.api.routes.applications import api_error
from kapstan.api.security import Principal
from kapstan.engine.redact import hide_secret_data, sensitive_annotations
from kapstan.kube.discovery import ResourceInfo
from kapstan.kube.errors import KubeError
from kapstan.model.vocabulary import API_VERSION, GROUP, application_path
from kapstan.services.clusterclients import ClusterClient
from kapstan.services.clusters import DestinationError

FINE_GRAINED_INHERITANCE = "server.rbac.disableApplicationFineGrainedRBACInheritance"
FINE_GRAINED_VERBS = ("update", "delete")


@dataclass(frozen=True)
class ResourceRef:
    """Which resource of the app a request names (Argo CD's ``ApplicationResourceRequest``)."""

    namespace: str = ""
    name: str = ""
    version: str = ""
    group: str = ""
    kind: str = ""


def resource_ref(
    namespace: str = "",
    resource_name: str = Query(default="", alias="resourceName"),
    version: str = "",
    group: str = "",
    kind: str = "",
) -> ResourceRef:
    """The query parameters that name a resource (a FastAPI dependency)."""
    return ResourceRef(namespace, resource_name, version, group, kind)


@dataclass(frozen=True)
class AppScope:
    """Where the app is looked for: ``project`` (Argo CD's NotFound-vs-PermissionDenied rule)
    and ``appNamespace``."""

    project: str = ""
    app_namespace: str = ""


def app_scope(
    app_namespace: str = Query(default="", alias="appNamespace"), project: str = ""
) -> AppScope:
    """The query parameters that place the app (a FastAPI dependency)."""
    return AppScope(project, app_namespace)


Scope = Annotated[AppScope, Depends(app_scope)]
ANYWHERE = AppScope()


@dataclass(frozen=True)
class Live:
    """A resource of an app as read from its cluster (``node`` is ``None`` for the
    Application itself)."""

    app: dict[str, Any]
    node: Mapping[str, Any] | None
    cluster: ClusterClient | None
    info: ResourceInfo | None
    obj: dict[str, Any]

    @property
    def path(self) -> str:
        """The object's API path on its cluster."""
        if self.info is None:
            meta = self.obj.get("metadata") or {}
            return application_path(str(meta.get("namespace") or ""), str(meta.get("name")))
        meta = self.obj.get("metadata") or {}
        return self.info.path(str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _fine_grained_inherits(ctx: ApiContext) -> bool:
    value = str(ctx.settings().cm.get(FINE_GRAINED_INHERITANCE) or "true").strip().lower()
    return value == "false"


def lookup_app(
    ctx: ApiContext,
    principal: Principal,
    action: str,
    name: str,
    scope: AppScope = ANYWHERE,
    ref: ResourceRef | None = None,
) -> dict[str, Any]:
    """The app ``name`` if ``principal`` may ``action`` it (see the module contract)."""
    project = scope.project
    if scope.app_namespace not in ("", ctx.namespace):
        raise ApiError(Code.PERMISSION_DENIED, "permission denied")
    if ref is None or action not in FINE_GRAINED_VERBS:
        return find_app(ctx, principal, action, name, project)
    fine = f"{action}/{ref.group}/{ref.kind}/{ref.namespace}/{ref.name}"
    if not _fine_grained_inherits(ctx):
        return find_app(ctx, principal, fine, name, project)
    try:
        return find_app(ctx, principal, action, name, project)
    except ApiError as err:
        if err.code is not Code.PERMISSION_DENIED:
            raise
        return find_app(ctx, principal, fine, name, project)


async def cluster_of(ctx: ApiContext, app: Mapping[str, Any]) -> ClusterClient:
    """The destination cluster of ``app``."""
    if ctx.clusters is None:
        raise ApiError(Code.UNAVAILABLE, "destination clusters are not configured")
    destination = (app.get("spec") or {}).get("destination") or {}
    try:
        return await ctx.clusters.resolve(destination)
    except DestinationError as err:
        raise ApiError(Code.UNKNOWN, f"error getting application cluster config: {err}") from None
    except KubeError as err:
        raise api_error(err) from None


async def find_node(ctx: ApiContext, app: Mapping[str, Any], ref: ResourceRef) -> Mapping[str, Any]:
    """The tree node ``ref`` names (see the module contract)."""
    name = str((app.get("metadata") or {}).get("name") or "")
    snapshot = await ctx.snapshots.get(ctx.namespace, name)
    nodes = (snapshot.tree.get("nodes") or []) if snapshot is not None else []
    for node in nodes:
        if (
            node.get("group", "") == ref.group
            and node.get("kind", "") == ref.kind
            and node.get("namespace", "") == ref.namespace
            and node.get("name", "") == ref.name
            and node.get("uid")
        ):
            return dict(node)
    raise invalid(f"{ref.kind} {ref.group} {ref.name} not found as part of application {name}")


async def live_resource(ctx: ApiContext, app: dict[str, Any], ref: ResourceRef) -> Live:
    """The tree resource ``ref`` names, read from the app's cluster."""
    node = await find_node(ctx, app, ref)
    cluster = await cluster_of(ctx, app)
    version = ref.version or str(node.get("version") or "")
    try:
        info = await cluster.discovery.lookup(ref.group, ref.kind, version)
        obj = await cluster.kube.get(info.path(ref.namespace, ref.name))
    except KubeError as err:
        raise api_error(err) from None
    return Live(app, node, cluster, info, obj)


def is_the_app(app: Mapping[str, Any], ref: ResourceRef) -> bool:
    """Whether ``ref`` names the Application itself."""
    name = (app.get("metadata") or {}).get("name")
    return ref.kind == "Application" and ref.group == GROUP and ref.name == name


async def target_object(ctx: ApiContext, app: dict[str, Any], ref: ResourceRef) -> Live:
    """The Application itself or one of its tree resources (see the module contract)."""
    if is_the_app(app, ref):
        obj = {"apiVersion": API_VERSION, "kind": "Application", **app}
        return Live(app, None, None, None, obj)
    return await live_resource(ctx, app, ref)


def masked(ctx: ApiContext, obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj`` as it may be shown (Secret values masked as Argo CD masks them)."""
    hidden = sensitive_annotations(ctx.settings().cm)
    return hide_secret_data(None, obj, hidden)[1] or {}


def shown(ctx: ApiContext, obj: Mapping[str, Any]) -> str:
    """The ``manifest`` string of a live object (masked, keys sorted)."""
    return orjson.dumps(masked(ctx, obj), option=orjson.OPT_SORT_KEYS).decode()


__all__ = [
    "FINE_GRAINED_INHERITANCE",
    "AppScope",
    "Live",
    "ResourceRef",
    "Scope",
    "app_scope",
    "cluster_of",
    "find_node",
    "is_the_app",
    "live_resource",
    "lookup_app",
    "masked",
    "resource_ref",
    "shown",
    "target_object",
]
