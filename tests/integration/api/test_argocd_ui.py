"""Argo CD v3.6.1's own web UI (built unchanged from its Go module's ``ui/`` by ``make
argocd-ui``) in the system Chromium, through Playwright, against ``kapstan server
--with-controller --insecure --staticassets <build>`` on the real cluster: a wrong password
shows the form's error, admin logs in with the initial password, the ``web`` app is in the
list, its details page draws the resource tree (Deployment, ReplicaSet, Pod), and the
Deployment's panel shows its live manifest, its diff and its desired manifest. Every API
request the page makes that answers >= 400 or fails is recorded, and there must be none
(but the wrong password's 401). A screenshot of the details page is left in
``$KAPSTAN_UI_SCREENSHOT`` (default ``/tmp/argocd-ui-app.png``).

Opt-in: ``make test-argocd-ui`` builds the UI and runs this with ``KAPSTAN_ARGOCD_UI=1``,
where a missing build, Chromium or Playwright fails the test. Without that variable (``make
test``) the test is skipped when the build is absent, before any cluster starts.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.argocd_ui import ArgoCdUi
from kapstan.testing.apiserver import ApiServerProcess
from tests.integration.api.conftest import Install

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
REQUIRED = os.environ.get("KAPSTAN_ARGOCD_UI") == "1"
BUILD = ArgoCdUi()
SCREENSHOT = Path(os.environ.get("KAPSTAN_UI_SCREENSHOT", "/tmp/argocd-ui-app.png"))
TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.browser,
    pytest.mark.skipif(
        not REQUIRED and not BUILD.is_built(),
        reason=f"Argo CD's UI is not built in {BUILD.app_dir}: `make test-argocd-ui` builds it "
        "and runs this test (opt-in, see docs/argocd-ui.md)",
    ),
]


def _require() -> Any:
    """Playwright's sync API, failing (opt-in run) or skipping with what is missing."""
    problems = []
    if not BUILD.is_built():
        problems.append(f"the UI is not built in {BUILD.app_dir} (make argocd-ui)")
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} is missing (make deps installs Debian's chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
        problems.append("the playwright package is missing (make deps installs it)")
    if problems:
        (pytest.fail if REQUIRED else pytest.skip)("; ".join(problems))
    return sync_api


@pytest.fixture(scope="module")
def served(install: Install) -> tuple[ApiServerProcess, str]:
    """The server with the UI build, and an automated ``web`` app Synced and Healthy."""
    _require()
    server = install.start_server("--with-controller", "--staticassets", str(BUILD.app_dir))
    _, name = install.deploy_web(server)
    return server, name  # the install stops the server


class Recorder:
    """Every API request of the page that answered >= 400 or failed."""

    def __init__(self) -> None:
        self.bad: list[str] = []

    def response(self, response: Any) -> None:
        if "/api/" in response.url and response.status >= 400:
            self.bad.append(f"{response.request.method} {response.url} -> {response.status}")

    def failed(self, request: Any) -> None:
        failure = request.failure or ""
        # Streams (EventSource) are aborted by the page when it navigates away: not a fault.
        if "/api/" in request.url and not ("/stream/" in request.url and "ABORTED" in failure):
            self.bad.append(f"{request.method} {request.url} failed: {failure}")


def test_argo_cd_ui_logs_in_lists_and_shows_the_app(
    served: tuple[ApiServerProcess, str], install: Install, tmp_path: Path
) -> None:
    sync_api = _require()
    server, name = served
    recorder = Recorder()
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh profile every run
            executable_path=str(CHROMIUM),
            args=FLAGS,
            headless=True,
            viewport={"width": 1600, "height": 1000},
        )
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("response", recorder.response)
            page.on("requestfailed", recorder.failed)
            expect = sync_api.expect

            # Not logged in: the UI sends the browser to its login page.
            page.goto(f"{server.base_url}/applications")
            page.wait_for_url(re.compile(r"/login"))
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", "not-the-password")
            page.get_by_role("button", name="Sign In").click()
            error = page.locator(".argo-form-row__error-msg")
            expect(error).to_have_text("Invalid username or password")
            recorder.bad.clear()  # the wrong password's 401, and the 401s before login

            page.fill("input[name=password]", install.admin_password())
            page.get_by_role("button", name="Sign In").click()
            page.wait_for_url(re.compile(r"/applications"))
            tile = page.get_by_text(name, exact=True).first
            expect(tile).to_be_visible()

            tile.click()
            page.wait_for_url(re.compile(rf"/applications/{install.ns}/{name}"))
            kinds = page.locator(".application-resource-tree__node-kind")
            for kind in ("deploy", "rs", "pod"):
                expect(kinds.filter(has_text=re.compile(rf"^{kind}$")).first).to_be_visible()
            page.wait_for_timeout(1000)  # let the tree's layout settle for the picture
            page.screenshot(path=str(SCREENSHOT), full_page=False)

            deployment = page.locator(".application-resource-tree__node").filter(
                has=page.locator(".application-resource-tree__node-kind", has_text="deploy")
            )
            deployment.first.click()
            page.get_by_text("Live Manifest", exact=True).first.click()
            editor = page.locator(".monaco-editor").first
            expect(editor).to_contain_text("kind: Deployment")
            expect(editor).to_contain_text("readyReplicas")
            page.get_by_text("Diff", exact=True).first.click()
            expect(page.locator(".application-resources-diff").first).to_be_visible()
            page.get_by_text("Desired Manifest", exact=True).first.click()
            desired = page.locator(".monaco-editor").first
            expect(desired).to_contain_text("image: nginx")
        finally:
            context.close()
    assert not recorder.bad, "API requests of the UI that failed:\n" + "\n".join(recorder.bad)
