"""A bounded in-memory cache of render results.

Contracts:

- the key (:func:`cache_key`) is the repository URL, the resolved commit SHA, the source path
  and the canonical JSON (sorted keys) of every other render input: the whole source spec, app
  name, namespace, refs' commits, kube version, API versions and tool versions — the same
  ingredients as Argo CD's manifest cache key, so a changed input is a different key;
- the cache is an LRU bounded both by entry count and by total bytes (JSON size of the
  objects); an entry larger than the byte budget is not stored;
- :meth:`RenderCache.get_or_render` calls the renderer only on a miss; errors are not cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from kapstan.render.base import RenderResult, Tools


@dataclass(frozen=True)
class CacheKey:
    """Identity of one render; ``params`` is canonical JSON of everything else."""

    repo_url: str
    commit: str
    path: str
    params: bytes


def cache_key(
    *,
    repo_url: str,
    commit: str,
    source: Mapping[str, Any],
    app_name: str,
    namespace: str,
    tools: Tools,
    ref_commits: Mapping[str, str] | None = None,
) -> CacheKey:
    """Build the key of one render (see the module contract)."""
    params = {
        "source": source,
        "appName": app_name,
        "namespace": namespace,
        "refs": dict(ref_commits or {}),
        "kubeVersion": tools.kube_version,
        "apiVersions": sorted(tools.api_versions),
        "toolVersions": dict(tools.versions),
    }
    return CacheKey(
        repo_url=repo_url,
        commit=commit,
        path=str(source.get("path") or source.get("chart") or ""),
        params=orjson.dumps(params, option=orjson.OPT_SORT_KEYS),
    )


class RenderCache:
    """LRU of :class:`RenderResult` bounded by ``max_entries`` and ``max_bytes``."""

    def __init__(self, *, max_entries: int = 1024, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, tuple[RenderResult, int]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def total_bytes(self) -> int:
        """Sum of the sizes of the cached results."""
        return self._bytes

    def get(self, key: CacheKey) -> RenderResult | None:
        """The cached result for ``key`` (now most recently used), or None."""
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: CacheKey, result: RenderResult) -> None:
        """Store ``result``, evicting least recently used entries to respect both bounds."""
        size = len(orjson.dumps([m.obj for m in result.manifests]))
        if key in self._entries:
            self._bytes -= self._entries.pop(key)[1]
        if size > self.max_bytes:
            return
        self._entries[key] = (result, size)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _old, (_result, old_size) = self._entries.popitem(last=False)
            self._bytes -= old_size

    async def get_or_render(
        self, key: CacheKey, renderer: Callable[[], Awaitable[RenderResult]]
    ) -> RenderResult:
        """Return the cached result or run ``renderer`` once and cache its result."""
        cached = self.get(key)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        result = await renderer()
        self.put(key, result)
        return result
