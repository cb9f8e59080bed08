"""A recording stand-in for the render layer's tool runner."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from kapstan import proc


class RecordingRunner:
    """Runs tools for real through :func:`kapstan.proc.run` and records every call, so tests
    can prove what ran (and that a cache hit ran nothing)."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    @property
    def tools(self) -> list[str]:
        """The program names run so far, in order."""
        return [Path(argv[0]).name for argv, _env in self.calls]

    async def __call__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = proc.DEFAULT_TIMEOUT,
        max_output: int = proc.DEFAULT_MAX_OUTPUT,
    ) -> proc.Completed:
        self.calls.append((list(argv), dict(env or {})))
        return await proc.run(argv, cwd=cwd, env=env, timeout=timeout, max_output=max_output)
