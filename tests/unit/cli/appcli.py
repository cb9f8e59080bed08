"""Running ``kapstan app …`` against the API in process: the connection flags, an app's
object as stored, and the mirror catching up with a write."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from kapstan.testing.api import ApiHarness
from kapstan.testing.cli import CliResult, run
from kapstan.testing.fakes import until
from tests.unit.api.conftest import NS

CONFIG = Path(tempfile.gettempdir()) / "kapstan-cli-app-tests-no-config"


async def cli(api: ApiHarness, *argv: str, stdin: str | None = None, user: str = "admin",
              env: dict[str, str] | None = None) -> CliResult:  # fmt: skip
    """``kapstan <argv>`` as ``user`` against ``api`` (no local config)."""
    server = api.base_url.removeprefix("http://")
    words = [*argv, "--server", server, "--plaintext", "--auth-token", f"token-{user}"]
    environment = {"KAPSTAN_CONFIG": str(CONFIG), **(env or {})}
    return await asyncio.to_thread(run, words, env=environment, stdin=stdin)


def stored(api: ApiHarness, name: str) -> dict[str, Any] | None:
    """The Application as the fake Kubernetes holds it."""
    return api.fake.get_object("Application", name, NS, group="argoproj.io")


async def mirrored(api: ApiHarness, name: str, check: Any = None) -> dict[str, Any]:
    """The app once the API's mirror has it (and ``check(app)`` holds)."""

    def ready() -> Any:
        found = api.ctx.mirror.app(name)
        return found if found is not None and (check is None or check(found)) else None

    found: dict[str, Any] = await until(f"{name} is mirrored", ready)
    return found
