"""Run client commands against an :func:`~kapstan.testing.api.api_on` server as a user would:
``--server``/``--plaintext``/``--auth-token`` added, in a worker thread (the server runs in the
test's loop), and a wait for the API's mirror to see what a previous command wrote."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from kapstan.testing.api import ApiHarness
from kapstan.testing.cli import CliResult, run


@dataclass
class Cli:
    api: ApiHarness
    home: Path
    user: str = "admin"

    async def __call__(self, *argv: str, stdin: str | None = None, user: str = "") -> CliResult:
        server = self.api.base_url.removeprefix("http://")
        words = [
            *argv,
            "--server",
            server,
            "--plaintext",
            "--auth-token",
            f"token-{user or self.user}",
        ]
        env = {"KAPSTAN_CONFIG": str(self.home / "config")}
        result = await asyncio.to_thread(run, words, env=env, stdin=stdin)
        await self.settle()
        return result

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until the API's mirror has every AppProject as stored (reads of projects come
        from the mirror, so the next command would otherwise see an older one)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            stored = {
                p["metadata"]["name"]: p["metadata"].get("resourceVersion")
                for p in self.api.fake.objects("AppProject", namespace=self.api.ctx.namespace)
            }
            seen = {
                p["metadata"]["name"]: p["metadata"].get("resourceVersion")
                for p in self.api.ctx.mirror.projects()
            }
            if stored == seen:
                return
            await asyncio.sleep(0.01)

    async def ok(self, *argv: str, stdin: str | None = None) -> str:
        result = await self(*argv, stdin=stdin)
        assert result.exit_code == 0, (argv, result.stdout, result.stderr)
        return result.stdout


__all__ = ["Cli"]
