"""render layer: turn one ApplicationSource checked out on disk into Kubernetes objects.

Entry point :func:`render` (see its docstring). Tools run only through a :class:`Runner`
(default :func:`kapstan.proc.run`); binary paths come from :class:`Tools` configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kapstan import proc
from kapstan.render import paths
from kapstan.render.base import (
    HelmRepoCredentials,
    Limits,
    Manifest,
    RenderError,
    RenderResult,
    Runner,
    SourceType,
    ToolMissing,
    Tools,
)
from kapstan.render.detect import detect
from kapstan.render.directory import render_directory
from kapstan.render.helm import render_helm
from kapstan.render.kustomize import render_kustomize
from kapstan.render.overrides import with_overrides

__all__ = [
    "HelmRepoCredentials",
    "Limits",
    "Manifest",
    "RenderError",
    "RenderResult",
    "Runner",
    "SourceType",
    "ToolMissing",
    "Tools",
    "detect",
    "render",
]


async def render(
    source: Mapping[str, Any],
    repo_dir: Path,
    *,
    app_name: str,
    namespace: str = "",
    tools: Tools | None = None,
    limits: Limits | None = None,
    refs: Mapping[str, Path] | None = None,
    runner: Runner | None = None,
    helm_repo: HelmRepoCredentials | None = None,
) -> RenderResult:
    """Render ``source`` (an ApplicationSource dict) from the checkout at ``repo_dir``.

    ``refs`` maps multi-source ``ref`` names to their checked-out directories (for
    ``$ref/...`` value files). All-or-nothing: on any problem a :class:`RenderError` is raised
    and no partial result exists; a tool past ``limits.timeout`` is killed and the error says
    it timed out. Objects are returned in tool order, each with its provenance.
    ``helm_repo`` holds the settings (credentials, OCI, plain HTTP) of the repository of a Helm
    chart source (``chart`` + ``repoURL``); it is not used for other sources. A source from a
    directory first takes the repository's ``.argocd-source*.yaml`` parameter overrides
    (:mod:`kapstan.render.overrides`).
    """
    tools = tools or Tools()
    limits = limits or Limits()
    run: Runner = runner or proc.run
    root = repo_dir.resolve()
    app_dir: Path | None = None
    if not source.get("chart"):
        app_dir = paths.confine(root, str(source.get("path") or "."), what="source path")
        if not app_dir.is_dir():
            raise RenderError("source path is not a directory", file=str(source.get("path")))
        # Before detection, as Argo CD: an override may say helm or kustomize.
        source = with_overrides(source, app_dir, root, app_name=app_name, limits=limits)
    kind = detect(source, app_dir)
    if kind == "Helm":
        manifests = await render_helm(
            source,
            app_dir,
            root,
            app_name=app_name,
            namespace=namespace,
            tools=tools,
            limits=limits,
            refs=refs or {},
            runner=run,
            repo=helm_repo,
        )
    elif kind == "Kustomize":
        assert app_dir is not None  # detect() never picks Kustomize without a directory
        manifests = await render_kustomize(
            source, app_dir, root, tools=tools, limits=limits, runner=run
        )
    else:
        assert app_dir is not None
        manifests = await render_directory(app_dir, root, source.get("directory") or {}, limits)
    if len(manifests) > limits.max_documents:
        raise RenderError(f"more than {limits.max_documents} documents in the render")
    return RenderResult(source_type=kind, manifests=tuple(manifests))
