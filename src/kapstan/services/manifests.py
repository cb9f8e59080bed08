"""Manifest generation for one Application (the repo-server role): resolve, cache, render.

Contract of :meth:`ManifestGenerator.generate`:

- takes an Argo CD ``spec.source`` dict or a ``spec.sources`` list (multi-source: a source
  with ``ref`` supplies ``$ref/...`` value files; a source with only ``repoURL`` +
  ``targetRevision`` + ``ref`` is not rendered itself);
- every git source's ``targetRevision`` is resolved to a commit SHA first (``ls-remote``; a
  full SHA needs no round trip); a Helm repository chart (``chart`` set) to the chart version
  its ``targetRevision`` picks (:mod:`kapstan.services.chartversions`), which is the revision
  reported, rendered and cached;
- the render cache is consulted, per rendered source, with the key (normalized repo URL, SHA,
  path, canonical render params incl. the commits of the refs it uses, tool versions) BEFORE
  anything is fetched or checked out; only on a miss are the needed repositories checked out
  (each repository/commit once per call) and rendered; checkouts are deleted afterwards;
- credentials come from the current :class:`~kapstan.services.repositories.Repositories`
  (watched Secrets): git sources by repository URL, Helm chart repositories (HTTP or OCI) from
  ``type: helm`` Secrets; a changed credential takes effect on the next generation;
- all-or-nothing: any source or render failure raises :class:`ManifestGenerationError` and no
  partial list is returned; errors are not cached; a tool that is not installed is named in the
  error together with how to install it.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kapstan.render import (
    Limits,
    Manifest,
    RenderError,
    RenderResult,
    Runner,
    ToolMissing,
    Tools,
    render,
)
from kapstan.render.cache import CacheKey, RenderCache, cache_key
from kapstan.services.chartversions import ChartVersions
from kapstan.services.repositories import Repositories
from kapstan.services.tools import MISSING_HINT
from kapstan.services.trees import TreeCache
from kapstan.source.credentials import RepoCredentials
from kapstan.source.errors import SourceError
from kapstan.source.git import CommitMetadata, GitClient
from kapstan.source.urls import normalize_url, strip_credentials

RepositoriesLookup = Callable[[], Repositories]


class ManifestSource(Protocol):
    """What the controller needs of manifest generation (:class:`ManifestGenerator`; tests
    pass an in-memory stand-in)."""

    async def generate(
        self,
        *,
        app_name: str,
        namespace: str = "",
        source: Mapping[str, Any] | None = None,
        sources: Sequence[Mapping[str, Any]] | None = None,
        refresh_cache: bool = False,
        revision_max_age: float = 0.0,
    ) -> GeneratedManifests: ...


class ManifestService(ManifestSource, Protocol):
    """What the API needs of the repo-server role: manifests, and the metadata of a commit
    read through the same cached clone (:class:`ManifestGenerator`)."""

    async def revision_metadata(self, repo_url: str, revision: str) -> CommitMetadata:
        """The commit ``revision`` (a branch, tag or SHA) of ``repo_url``; raises
        :class:`ManifestGenerationError` when it cannot be read."""
        ...

    async def generate_local(
        self, *, app_name: str, namespace: str, source: Mapping[str, Any], directory: Path
    ) -> GeneratedManifests:
        """``source``'s settings (Helm, Kustomize, directory options) applied to the files of
        ``directory`` instead of its repository path (``app diff --local``); not cached;
        raises :class:`ManifestGenerationError` as :meth:`generate` does."""
        ...


ClientFactory = Callable[[str, RepoCredentials, Path], GitClient]
_NO_REPOSITORIES = Repositories()


class ManifestGenerationError(RuntimeError):
    """Manifests could not be generated; the message names the source and the cause."""

    def __init__(self, message: str, *, source_index: int | None = None) -> None:
        super().__init__(message)
        self.source_index = source_index


@dataclass(frozen=True)
class GeneratedManifests:
    """The complete output for one Application: objects of every source, in source order."""

    manifests: tuple[Manifest, ...]
    revisions: tuple[str, ...]  # per source: commit SHA (git) or chart version (Helm repo)
    source_types: tuple[str, ...]  # per source: Helm/Kustomize/Directory ("" for ref-only)
    cache_hits: int = 0
    rendered: int = 0

    @property
    def objects(self) -> list[dict[str, Any]]:
        """The plain-dict manifests, in order."""
        return [m.obj for m in self.manifests]


@dataclass
class _Plan:
    index: int
    source: Mapping[str, Any]
    url: str  # credential-free
    revision: str  # resolved SHA, or chart version for Helm repositories
    is_chart: bool
    key: CacheKey | None = None
    refs_used: dict[str, int] = field(default_factory=dict)

    @property
    def cacheable(self) -> bool:
        """A chart version constraint (``0.1.*``, ``>=1 <2``) may match a newly published
        version at any time, so only exact chart versions and git commits are cached."""
        return not self.is_chart or is_exact_chart_version(self.revision)


# Three numeric parts: helm (Masterminds semver) reads a partial version like "1.2" as a range.
_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$")


def is_exact_chart_version(revision: str) -> bool:
    """True when ``revision`` names one chart version rather than a semver constraint."""
    return bool(_EXACT_VERSION.match(revision.strip()))


def _is_ref_only(source: Mapping[str, Any]) -> bool:
    return bool(source.get("ref")) and not source.get("path") and not source.get("chart")


def _refs_used(source: Mapping[str, Any]) -> set[str]:
    """Names of refs that ``$ref/...`` value files of ``source`` use."""
    spec = source.get("helm") or {}
    found: set[str] = set()
    for raw in spec.get("valueFiles") or []:
        text = str(raw)
        if text.startswith("$"):
            found.add(text[1:].partition("/")[0])
    return found


def _no_repositories() -> Repositories:
    return _NO_REPOSITORIES


def _default_client(url: str, creds: RepoCredentials, cache_root: Path) -> GitClient:
    return GitClient(url, creds, cache_root=cache_root)


class ManifestGenerator:
    """Generates manifests through a shared :class:`RenderCache` and git cache."""

    def __init__(
        self,
        *,
        cache_root: Path,
        tools: Tools | None = None,
        limits: Limits | None = None,
        cache: RenderCache | None = None,
        repositories: RepositoriesLookup | None = None,
        runner: Runner | None = None,
        client_factory: ClientFactory | None = None,
        tool_hint: str = MISSING_HINT,
    ) -> None:
        self.cache_root = Path(cache_root)
        self.tools = tools or Tools()
        self.limits = limits or Limits()
        self.cache = cache if cache is not None else RenderCache()
        self._repositories = repositories or _no_repositories
        self._runner = runner
        self._factory = client_factory or _default_client
        self._clients: dict[str, tuple[RepoCredentials, GitClient]] = {}
        self._tool_hint = tool_hint
        self.trees = TreeCache(self.cache_root / "trees")
        self.chart_versions = ChartVersions(
            tools=self.tools,
            limits=self.limits,
            repositories=self._repositories,
            runner=runner,
            is_exact=is_exact_chart_version,
        )

    def client(self, url: str) -> GitClient:
        """The (shared) git client of ``url``, with the repository's current credentials: a
        client made with credentials that have changed since is replaced."""
        key = normalize_url(url)
        creds = self._repositories().credentials(url)
        found = self._clients.get(key)
        if found is None or found[0] != creds:
            found = (creds, self._factory(url, creds, self.cache_root / "git"))
            self._clients[key] = found
        return found[1]

    async def generate(
        self,
        *,
        app_name: str,
        namespace: str = "",
        source: Mapping[str, Any] | None = None,
        sources: Sequence[Mapping[str, Any]] | None = None,
        refresh_cache: bool = False,
        revision_max_age: float = 0.0,
    ) -> GeneratedManifests:
        """Manifests for ``source`` or ``sources`` (see the module contract); with
        ``refresh_cache`` (a hard refresh) the render cache is not consulted;
        ``revision_max_age`` lets branch/tag resolution reuse a ``git ls-remote`` answer
        that recent (see :meth:`GitClient.ls_remote`)."""
        if sources:
            specs = list(sources)
        elif source:
            specs = [source]
        else:
            raise ManifestGenerationError("application has neither source nor sources")
        plans = [await self._resolve(i, s, revision_max_age) for i, s in enumerate(specs)]
        render_plans = self._key_plans(plans, app_name, namespace)
        results: dict[int, RenderResult] = {}
        missing: list[_Plan] = []
        for plan in render_plans:
            assert plan.key is not None
            cached = self.cache.get(plan.key) if plan.cacheable and not refresh_cache else None
            if cached is None:
                missing.append(plan)
            else:
                self.cache.hits += 1
                results[plan.index] = cached
        if missing:
            rendered = await self._render_missing(missing, plans, app_name, namespace)
            results.update(rendered)
        manifests: list[Manifest] = []
        types: list[str] = []
        for plan in plans:
            found = results.get(plan.index)
            types.append(found.source_type if found is not None else "")
            if found is not None:
                manifests.extend(found.manifests)
        return GeneratedManifests(
            manifests=tuple(manifests),
            revisions=tuple(p.revision for p in plans),
            source_types=tuple(types),
            cache_hits=len(render_plans) - len(missing),
            rendered=len(missing),
        )

    async def revision_metadata(self, repo_url: str, revision: str) -> CommitMetadata:
        """See :meth:`ManifestService.revision_metadata` (credentials as for manifests)."""
        client = self.client(repo_url)
        try:
            sha = await client.resolve(revision or "HEAD")
            return await client.revision_metadata(sha)
        except SourceError as e:
            raise ManifestGenerationError(str(e)) from None

    async def generate_local(
        self, *, app_name: str, namespace: str, source: Mapping[str, Any], directory: Path
    ) -> GeneratedManifests:
        """See :meth:`ManifestService.generate_local`: the directory stands for the source's
        path, so a chart or ``$ref`` value files of another source cannot be used."""
        local = {k: v for k, v in source.items() if k not in ("chart", "ref")}
        local["path"] = "."
        try:
            result = await render(
                local, directory, app_name=app_name, namespace=namespace, tools=self.tools,
                limits=self.limits, refs={}, runner=self._runner,
            )  # fmt: skip
        except ToolMissing as e:
            hint = self._tool_hint.format(tool=e.tool)
            raise ManifestGenerationError(f"{e.tool} is not installed: {hint}") from None
        except RenderError as e:
            raise ManifestGenerationError(f"local directory: {e}") from None
        return GeneratedManifests(
            manifests=tuple(result.manifests), revisions=("",),
            source_types=(result.source_type,), rendered=1,
        )  # fmt: skip

    def _key_plans(self, plans: list[_Plan], app_name: str, namespace: str) -> list[_Plan]:
        """Link refs and compute the cache key of every source that is rendered."""
        ref_plans: dict[str, _Plan] = {}
        for plan in plans:
            ref = plan.source.get("ref")
            if ref:
                if plan.is_chart:
                    msg = f"source {plan.index}: a Helm chart cannot be a ref"
                    raise ManifestGenerationError(msg, source_index=plan.index)
                ref_plans[str(ref)] = plan
        render_plans = [p for p in plans if not _is_ref_only(p.source)]
        for plan in render_plans:
            for name in sorted(_refs_used(plan.source)):
                if name not in ref_plans:
                    raise ManifestGenerationError(
                        f"source {plan.index}: values file uses unknown source ref {name!r}",
                        source_index=plan.index,
                    )
                plan.refs_used[name] = ref_plans[name].index
            plan.key = cache_key(
                repo_url=normalize_url(plan.url),
                commit=plan.revision,
                # The resolved commit stands for targetRevision, the normalized URL for repoURL:
                # "main" and its SHA share one entry.
                source={
                    k: v
                    for k, v in plan.source.items()
                    if k != "repoURL" and (plan.is_chart or k != "targetRevision")
                },
                app_name=app_name,
                namespace=namespace,
                tools=self.tools,
                ref_commits={
                    name: f"{normalize_url(ref_plans[name].url)}@{ref_plans[name].revision}"
                    for name in plan.refs_used
                },
            )
        return render_plans

    def _not_installed(self, index: int, missing: ToolMissing) -> ManifestGenerationError:
        hint = self._tool_hint.format(tool=missing.tool)
        return ManifestGenerationError(
            f"source {index}: {missing.tool} is not installed: {hint}", source_index=index
        )

    async def _resolve(self, index: int, source: Mapping[str, Any], max_age: float) -> _Plan:
        raw_url = str(source.get("repoURL") or "")
        if not raw_url:
            raise ManifestGenerationError(f"source {index}: no repoURL", source_index=index)
        url = strip_credentials(raw_url)[0]
        target = str(source.get("targetRevision") or "")
        if source.get("chart"):
            if not target:
                raise ManifestGenerationError(
                    f"source {index}: chart {source['chart']!r} needs a targetRevision",
                    source_index=index,
                )
            try:
                version = await self.chart_versions.resolve(source, max_age)
            except ToolMissing as e:
                raise self._not_installed(index, e) from None
            except RenderError as e:
                raise ManifestGenerationError(
                    f"source {index}: chart {source['chart']!r} {target!r} from {url}: {e}",
                    source_index=index,
                ) from None
            # The render pulls exactly the version reported, never a newer one published since.
            return _Plan(index, {**source, "targetRevision": version}, url, version, is_chart=True)
        try:
            sha = await self.client(raw_url).resolve(target or "HEAD", max_age)
        except SourceError as e:
            raise ManifestGenerationError(f"source {index}: {e}", source_index=index) from None
        return _Plan(index, source, url, sha, is_chart=False)

    async def _render_missing(
        self, missing: list[_Plan], plans: list[_Plan], app_name: str, namespace: str
    ) -> dict[int, RenderResult]:
        by_index = {p.index: p for p in plans}
        needed: dict[tuple[str, str], _Plan] = {}
        for plan in missing:
            wanted = [plan] if not plan.is_chart else []
            wanted += [by_index[i] for i in plan.refs_used.values()]
            for p in wanted:
                needed.setdefault((normalize_url(p.url), p.revision), p)
        out: dict[int, RenderResult] = {}
        async with contextlib.AsyncExitStack() as trees:
            dirs: dict[tuple[str, str], Path] = {}
            for ident, p in needed.items():
                try:
                    dirs[ident] = await trees.enter_async_context(
                        self.trees.tree(self.client(str(p.source["repoURL"])), ident[0], p.revision)
                    )
                except SourceError as e:
                    raise ManifestGenerationError(
                        f"source {p.index}: {e}", source_index=p.index
                    ) from None
            empty = Path(trees.enter_context(tempfile.TemporaryDirectory(prefix="kapstan-")))
            for plan in missing:
                repo_dir = (
                    empty if plan.is_chart else dirs[(normalize_url(plan.url), plan.revision)]
                )
                refs = {
                    name: dirs[(normalize_url(by_index[i].url), by_index[i].revision)]
                    for name, i in plan.refs_used.items()
                }
                try:
                    result = await render(
                        plan.source,
                        repo_dir,
                        app_name=app_name,
                        namespace=namespace,
                        tools=self.tools,
                        limits=self.limits,
                        refs=refs,
                        runner=self._runner,
                        helm_repo=self._repositories().helm(plan.url) if plan.is_chart else None,
                    )
                except ToolMissing as e:
                    raise self._not_installed(plan.index, e) from None
                except RenderError as e:
                    raise ManifestGenerationError(
                        f"source {plan.index} ({plan.url} at {plan.revision}): {e}",
                        source_index=plan.index,
                    ) from None
                out[plan.index] = result
        # Only a complete render of every missing source is cached (all-or-nothing).
        for plan in missing:
            assert plan.key is not None
            self.cache.misses += 1
            if plan.cacheable:
                self.cache.put(plan.key, out[plan.index])
        return out
