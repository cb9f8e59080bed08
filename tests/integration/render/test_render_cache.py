"""The render cache in front of a real helm: a hit runs no tool, a changed source renders
again."""

from __future__ import annotations

import asyncio
from typing import Any

from kapstan.render import Tools, render
from kapstan.render.cache import RenderCache, cache_key
from kapstan.testing.runners import RecordingRunner

from .conftest import APPS


def test_cache_hit_runs_no_tool(tools: Tools) -> None:
    spy = RecordingRunner()
    cache = RenderCache()
    source = {"path": "guestbook-helm", "helm": {"parameters": [{"name": "a", "value": "1"}]}}

    def key(src: dict[str, Any]) -> Any:
        return cache_key(
            repo_url="https://git.example/r.git", commit="abc", source=src,
            app_name="gb", namespace="demo", tools=tools,
        )  # fmt: skip

    async def go(src: dict[str, Any]) -> Any:
        return await cache.get_or_render(
            key(src),
            lambda: render(src, APPS, app_name="gb", namespace="demo", tools=tools, runner=spy),
        )

    first = asyncio.run(go(source))
    second = asyncio.run(go(dict(source)))
    assert second is first
    assert len(spy.calls) == 1
    changed = {"path": "guestbook-helm", "helm": {"parameters": [{"name": "a", "value": "2"}]}}
    asyncio.run(go(changed))
    assert len(spy.calls) == 2
    assert (cache.hits, cache.misses) == (1, 2)
