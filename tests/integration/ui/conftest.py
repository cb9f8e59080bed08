"""Kapstan's web UI in Debian's Chromium (Playwright with ``executable_path``; Playwright never
downloads a browser here) against ``kapstan server --with-controller`` and the real cluster.

- ``install`` (from the API tests): a namespace with ``kapstan server`` processes and a git
  repository of apps; ``ui`` starts one server serving the bundled UI (``make ui`` builds it:
  a missing build fails, it never skips);
- ``browser``: one Chromium per test module (Playwright's sync API keeps an event loop
  running in the main thread while it is open, so it must be closed before other modules'
  ``asyncio.run``); ``page``: a fresh context per test at 1280x800 that
  records the page's uncaught errors and every API answer >= 500 — a test fails if any
  happened, so nothing fails silently;
- :func:`login` signs in through the login form; :func:`screenshot` writes
  ``<name>-<theme>.png`` into ``$KAPSTAN_UI_SCREENSHOTS`` (``docs/ui`` to refresh the README's
  pictures) or the test's temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.api.static import BUNDLED
from kapstan.testing.apiserver import ApiServerProcess
from tests.integration.api.conftest import Install, install, redis

__all__ = ["Install", "install", "redis"]  # fixtures re-exported for this directory

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def ui(install: Install) -> ApiServerProcess:
    """``kapstan server --with-controller`` serving the bundled UI build."""
    if not (BUNDLED / "index.html").is_file():
        pytest.fail(f"the web UI is not built in {BUNDLED}: run `make ui`")
    return install.start_server("--with-controller")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make deps` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        found = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            yield found
        finally:
            found.close()


class PageProblems:
    """What went wrong in the page while a test ran (uncaught errors, API answers >= 500)."""

    def __init__(self) -> None:
        self.items: list[str] = []


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    found = context.new_page()
    problems = PageProblems()
    found.on("pageerror", lambda error: problems.items.append(f"page error: {error}"))

    def answered(response: Any) -> None:
        if "/api/" in response.url and response.status >= 500:
            problems.items.append(f"{response.request.method} {response.url}: {response.status}")

    found.on("response", answered)
    try:
        yield found
    finally:
        context.close()
    assert not problems.items, problems.items


def login(page: Any, server: ApiServerProcess, username: str, password: str) -> None:
    """Sign in through the login form and wait for the applications list."""
    page.goto(f"{server.base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/applications")


def screenshot(page: Any, name: str, tmp_path: Path) -> Path:
    """``<name>-<theme>.png`` of the page (see the module doc for where it goes)."""
    folder = Path(os.environ.get("KAPSTAN_UI_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    theme = page.evaluate("document.documentElement.dataset.theme || 'light'")
    target = folder / f"{name}-{theme}.png"
    page.screenshot(path=str(target), full_page=False)
    return target
