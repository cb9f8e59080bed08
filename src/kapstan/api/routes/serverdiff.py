"""What a sync would change, without syncing: ``GET /api/v1/applications/{name}/server-side-diff``
(Argo CD 2.13's ``ServerSideDiff``, extended so that the server renders the target itself).

Contract: RBAC ``applications, get``. The target is ``targetManifests`` (Argo CD's query: JSON
or YAML text, one object each) when given; otherwise the app's source rendered by the
repo-server role (``ctx.manifests``) at ``revision`` (a branch, tag or commit: the PR-preview
extension; default the app's ``targetRevision``), or for ``spec.sources`` each
``sourcePositions[i]`` at ``revisions[i]``, as ``.../manifests`` renders them. The live side
is the app's tracked objects read now from the destination cluster. Both are compared as the
controller compares them (:func:`~kapstan.engine.compare.compute_status`: tracking stamp,
argocd-cm's and the app's ignore rules, status-field option, excluded kinds, hooks and
``Skip`` left out), three-way.

The answer is ``ApplicationServerSideDiffResponse``: ``items`` (one ``ResourceDiff`` per
compared resource, as ``managed-resources`` shapes them: states as JSON text, Secret values
masked) sorted by group, kind, namespace and name, and ``modified`` (any item modified); an
object only in the target is ``liveState: "null"`` (a sync would create it), one only live is
``targetState: "null"`` (a sync with prune would delete it). ``revision`` (extension) is the
commit the target was rendered at. A generation failure is code 2 (Unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml
from fastapi import APIRouter, Query
from starlette.responses import Response

from kapstan.api.common import JSON, Caller, Ctx
from kapstan.api.errors import ApiError, Code, invalid
from kapstan.api.live import Scope, cluster_of, lookup_app
from kapstan.api.routes.applications import api_error
from kapstan.api.routes.manifests import sources_for
from kapstan.engine.compare import CompareSettings, compute_status
from kapstan.engine.diff import ResourceDiff
from kapstan.engine.ignore import IgnoreConfigError, app_rules
from kapstan.engine.pairing import with_namespace
from kapstan.engine.snapshot import managed_resource
from kapstan.kube.errors import KubeError
from kapstan.model.application import Application
from kapstan.model.keys import ResourceKey
from kapstan.services.livestate import from_api
from kapstan.services.manifests import ManifestGenerationError

router = APIRouter()


@dataclass(frozen=True)
class _Given:
    """Target manifests the client sent (the :class:`~kapstan.engine.compare.TargetState`)."""

    objects: list[dict[str, Any]]
    revisions: tuple[str, ...] = ()
    source_types: tuple[str, ...] = ()


def parse_manifests(texts: list[str]) -> list[dict[str, Any]]:
    """Objects of ``targetManifests`` (JSON is YAML); anything else is InvalidArgument."""
    out: list[dict[str, Any]] = []
    for text in texts:
        try:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as err:
            raise invalid(f"targetManifests: {err}") from None
        for doc in docs:
            if not isinstance(doc, dict) or not doc.get("kind"):
                raise invalid("targetManifests: every manifest must be a Kubernetes object")
            out.append(doc)
    return out


async def _target(
    ctx: Ctx, app: Mapping[str, Any], name: str, revision: str, pos: list[int], revs: list[str]
) -> Any:
    if ctx.manifests is None:
        raise ApiError(Code.UNAVAILABLE, "manifest generation is not configured")
    spec = app.get("spec") or {}
    namespace = str((spec.get("destination") or {}).get("namespace") or "")
    source, sources = sources_for(spec, revision, pos, revs)
    try:
        return await ctx.manifests.generate(
            app_name=name, namespace=namespace, source=source, sources=sources
        )
    except ManifestGenerationError as err:
        raise ApiError(Code.UNKNOWN, f"error generating manifests: {err}") from None


@router.get("/api/v1/applications/{name}/server-side-diff")
async def server_side_diff(
    name: str,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
    revision: str = "",
    target_manifests: list[str] = Query(default=[], alias="targetManifests"),  # noqa: B008
    source_positions: list[int] = Query(default=[], alias="sourcePositions"),  # noqa: B008
    revisions: list[str] = Query(default=[]),  # noqa: B008
) -> Response:
    """``ApplicationServerSideDiffResponse`` (see the module contract)."""
    app = lookup_app(ctx, principal, "get", name, scope)
    settings = ctx.settings().settings
    try:
        rules = (*settings.ignore_rules, *app_rules(Application.of(app).spec.ignore_differences))
    except IgnoreConfigError as err:
        raise invalid(f"invalid spec.ignoreDifferences: {err}") from None
    if target_manifests:
        target: Any = _Given(parse_manifests(target_manifests))
    else:
        target = await _target(ctx, app, name, revision, source_positions, revisions)
    cluster = await cluster_of(ctx, app)
    tracking = settings.tracking
    try:
        model = await cluster.discovery.model()
        live = await from_api(cluster.kube, model, app, target.objects, tracking)
    except KubeError as err:
        raise api_error(err) from None
    diffs: dict[ResourceKey, ResourceDiff] = {}
    compute_status(
        app,
        target,
        None,
        live,
        now=datetime.now(UTC),
        is_namespaced=model.namespaced,
        settings=CompareSettings(
            tracking=tracking,
            health=settings.health,
            ignore_rules=rules,
            status_field=settings.compare_options.ignore_resource_status_field,
        ),
        diffs_out=diffs,
        allows=lambda group, kind: settings.resource_filter.allows(group, kind, cluster.server),
    )
    dest_ns = str(((app.get("spec") or {}).get("destination") or {}).get("namespace") or "")
    desired = {}
    for obj in target.objects:
        placed = tracking.stamp(name, with_namespace(obj, dest_ns, model.namespaced))
        desired[ResourceKey.from_obj(placed)] = placed
    current = {ResourceKey.from_obj(o): o for o in live if tracking.is_managed(name, o)}
    items = [
        managed_resource(key, diff, target=desired.get(key), live=current.get(key))
        for key, diff in diffs.items()
    ]
    items.sort(key=lambda i: (i["group"], i["kind"], i["namespace"], i["name"]))
    body: dict[str, Any] = {"items": items, "modified": any(i["modified"] for i in items)}
    if target.revisions:
        body["revision"] = target.revisions[0]
    return JSON(body)


__all__ = ["parse_manifests", "router"]
