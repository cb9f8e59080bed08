"""A Helm chart source's version constraint resolved to the version it picks now.

Contract of :meth:`ChartVersions.resolve`: for a repository chart (``chart`` set) whose
``targetRevision`` is an exact version, that version unchanged, without a round trip; for a
constraint (``0.1.*``, ``^1.2``, ``>=1 <2``), the version helm resolves it to today
(:func:`kapstan.render.helm.chart_version`, the repository's current settings and
credentials, HTTP repositories and OCI registries alike), as Argo CD's repo-server reports it
in ``status.sync.revision``. The render then pulls exactly that version, so the revision shown
and the manifests rendered agree, and a newly published chart is a new revision to auto-sync.
An answer is reused for ``max_age`` seconds per (repository, chart, constraint); a hard
refresh passes 0. Failures raise :class:`~kapstan.render.RenderError` /
:class:`~kapstan.render.ToolMissing` and are never cached.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kapstan.render import Limits, Runner, Tools
from kapstan.render.helm import chart_version
from kapstan.services.repositories import Repositories
from kapstan.source.urls import normalize_url, strip_credentials

_MAX_ANSWERS = 4096


class ChartVersions:
    """Resolves chart version constraints, remembering recent answers (see module contract)."""

    def __init__(
        self,
        *,
        tools: Tools,
        limits: Limits,
        repositories: Callable[[], Repositories],
        runner: Runner | None,
        is_exact: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tools = tools
        self._limits = limits
        self._repositories = repositories
        self._runner = runner
        self._is_exact = is_exact
        self._clock = clock
        self._answers: dict[tuple[str, str, str], tuple[str, float]] = {}

    async def resolve(self, source: Mapping[str, Any], max_age: float) -> str:
        """The chart version ``source`` renders at (see the module contract)."""
        target = str(source.get("targetRevision") or "").strip()
        if self._is_exact(target):
            return target
        url = strip_credentials(str(source.get("repoURL") or ""))[0]
        key = (normalize_url(url), str(source.get("chart") or ""), target)
        known = self._answers.get(key)
        now = self._clock()
        if known is not None and now - known[1] <= max_age:
            return known[0]
        version = await chart_version(
            source,
            tools=self._tools,
            limits=self._limits,
            runner=self._runner,
            repo=self._repositories().helm(url),
        )
        if len(self._answers) >= _MAX_ANSWERS:
            self._answers.clear()  # a bound, not an LRU: constraints are few in practice
        self._answers[key] = (version, now)
        return version
