"""Polling helper for tests that wait on a real cluster."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(
    what: str,
    check: Callable[[], Any],
    timeout: float = 60,
    *,
    alive: Callable[[], None] | None = None,
    detail: Callable[[], Any] | None = None,
    interval: float = 0.25,
) -> Any:
    """Call ``check`` every ``interval`` seconds until it returns something truthy and return
    that; raise AssertionError naming ``what`` and ``detail()`` (default: the last value)
    after ``timeout`` seconds. ``alive`` is called first on every round and raises when
    whatever is being waited on died (a controller thread), so a crash fails fast."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        if alive is not None:
            alive()
        last = check()
        if last:
            return last
        time.sleep(interval)
    shown = detail() if detail is not None else repr(last)
    raise AssertionError(f"timed out waiting for {what}; {shown}")
