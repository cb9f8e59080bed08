"""Kapstan's own ``POST /api/v1/applications/{name}/local-manifests``: a directory the client
uploads, rendered with the app's source settings (``app diff --local DIR
--server-side-generate``). Argo CD does this over a gRPC stream (``GetManifestsWithFiles``);
this is its REST form.

Contract: RBAC ``applications, get`` (as ``.../manifests``). The body is the directory as a
gzip-compressed tar (``Content-Type: application/gzip``, ``application/x-gzip`` or
``application/octet-stream``), unpacked under :class:`~kapstan.api.uploads.ArchiveLimits`;
anything the limits refuse, a body over the compressed limit, another content type, or a
``sourcePosition`` (1-based; required for a multi-source app) out of range is
InvalidArgument (HTTP 400) with the reason. The files stand for the source's ``path`` and
are rendered with its Helm/Kustomize/directory settings by the repo-server role
(:meth:`~kapstan.services.manifests.ManifestService.generate_local`); nothing is stored or
cached, the unpacked files are deleted before the answer. The answer is
``repositoryManifestResponse`` as ``.../manifests`` gives it (``revision`` empty), except
that Secret values are not masked: they come from the caller's own files (and the app's spec,
which the caller may read), and the client diffs them against the live objects (masked on
that side by ``server-side-diff``). A render failure is code 2 with the tool's message.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api.body import read_limited
from kapstan.api.common import Caller, Ctx
from kapstan.api.errors import invalid
from kapstan.api.live import Scope, lookup_app
from kapstan.api.routes.manifests import manifest_response, service, unknown
from kapstan.api.uploads import ArchiveLimits, ArchiveRefused, unpack
from kapstan.services.manifests import ManifestGenerationError

router = APIRouter()
LIMITS = ArchiveLimits()
CONTENT_TYPES = ("application/gzip", "application/x-gzip", "application/octet-stream")


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it passes ``limit`` (never held whole)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in CONTENT_TYPES:
        raise invalid(f"the body must be a tar.gz archive ({', '.join(CONTENT_TYPES)})")
    return await read_limited(request, limit)


def _source(spec: Mapping[str, Any], position: int) -> Mapping[str, Any]:
    listed = list(spec.get("sources") or [])
    if not listed:
        if position not in (0, 1):
            raise invalid("sourcePosition is out of range: the app has one source")
        return spec.get("source") or {}
    if position == 0:
        raise invalid("a multi-source app needs sourcePosition (1-based)")
    if position < 0 or position > len(listed):
        raise invalid(f"sourcePosition {position} is out of range (1..{len(listed)})")
    source: Mapping[str, Any] = listed[position - 1]
    return source


@router.post("/api/v1/applications/{name}/local-manifests")
async def local_manifests(
    name: str,
    request: Request,
    ctx: Ctx,
    principal: Caller,
    scope: Scope,
    source_position: int = Query(default=0, alias="sourcePosition"),
) -> Response:
    """``repositoryManifestResponse`` of the uploaded directory (see the module contract)."""
    app = lookup_app(ctx, principal, "get", name, scope)
    spec = app.get("spec") or {}
    source = _source(spec, source_position)
    generator = service(ctx)
    body = await _body(request, LIMITS.compressed)
    namespace = str((spec.get("destination") or {}).get("namespace") or "")
    with tempfile.TemporaryDirectory(prefix="kapstan-local-") as work:
        root = Path(work)
        try:
            await asyncio.to_thread(unpack, body, root, LIMITS)
        except ArchiveRefused as err:
            raise invalid(str(err)) from None
        try:
            generated = await generator.generate_local(
                app_name=name, namespace=namespace, source=source, directory=root
            )
        except ManifestGenerationError as err:
            raise unknown(f"error generating manifests: {err}") from None
    # Not masked: every input of this render is the caller's own upload or the app's spec,
    # which the caller may read, and the CLI diffs these objects against the live ones.
    return await manifest_response(ctx, app, name, generated, mask=False)


__all__ = ["CONTENT_TYPES", "LIMITS", "router"]
