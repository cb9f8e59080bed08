"""Shared helpers of the auth tests: a fake clock, fast hashes, testdata tables, ``run``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import bcrypt
import yaml

NS = "argocd"
TESTDATA = Path(__file__).parent / "testdata"
START = 1_800_000_000.0  # 2027-01-15: any fixed instant will do
T = TypeVar("T")


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def body() -> T:
        return await factory()

    return asyncio.run(body())


def cases(name: str) -> list[dict[str, Any]]:
    """The documents of ``testdata/<name>``."""
    return [c for c in yaml.safe_load_all((TESTDATA / name).read_text()) if c]


class FakeClock:
    """Epoch seconds that move only when told to."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fast_hash(password: str) -> str:
    """A bcrypt hash at the minimum cost (tests verify it quickly; verification is the same)."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(4, prefix=b"2a")).decode()
