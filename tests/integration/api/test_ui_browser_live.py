"""The browser mechanics Argo CD's UI relies on, in the real (system) Chromium against
``kapstan server --with-controller --staticassets`` on the real cluster, with a stand-in UI
build (so it runs without building Argo CD's UI): a deep client-side route loads
``index.html``; ``POST /api/v1/session`` from the page sets the ``argocd.token`` cookie, which
scripts cannot read (httpOnly) and which alone authenticates the page's later ``fetch``es and
its ``EventSource`` streams (the application watch and the resource-tree watch).

Needs Chromium and Playwright (``make deps`` installs both); their absence fails.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from tests.integration.api.conftest import Install
from tests.integration.api.test_argocd_ui import CHROMIUM, FLAGS

HAVE = CHROMIUM.exists() and importlib.util.find_spec("playwright") is not None
pytestmark = [pytest.mark.cluster, pytest.mark.browser]
# What the UI's requests.ts does: EventSource on a relative URL, the first message's data.
FIRST_EVENT = """url => new Promise((resolve, reject) => {
    const source = new EventSource(url);
    const timer = setTimeout(() => {
        source.close(); reject(new Error('no event: ' + url)); }, 30000);
    source.onmessage = msg => {
        clearTimeout(timer); source.close(); resolve(JSON.parse(msg.data)); };
})"""
LOGIN = """async ([username, password]) => {
    const answer = await fetch('api/v1/session', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({username, password})});
    return {status: answer.status, cookieVisible: document.cookie.includes('argocd.token')};
}"""
GET_JSON = (
    "async url => { const r = await fetch(url); return {status: r.status, body: await r.json()}; }"
)


def test_cookie_session_fetch_and_event_source_in_chromium(
    install: Install, tmp_path: Path
) -> None:
    if not HAVE:
        pytest.fail("needs /usr/bin/chromium and the playwright package (make deps)")
    from playwright.sync_api import sync_playwright

    ui = tmp_path / "ui"
    ui.mkdir()
    (ui / "index.html").write_text(
        '<!DOCTYPE html><html><head><base href="/"><title>stand-in</title></head>'
        '<body><div id="app">stand-in UI</div></body></html>'
    )
    server = install.start_server("--with-controller", "--staticassets", str(ui))
    name = install.deploy_web(server)[1]
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=FLAGS, headless=True
        )
        try:
            page = context.new_page()
            answer = page.goto(f"{server.base_url}/applications/{install.ns}/{name}")
            assert answer is not None
            assert answer.status == 200
            assert page.title() == "stand-in"
            before: dict[str, Any] = page.evaluate(GET_JSON, "api/v1/session/userinfo")
            assert before == {"status": 200, "body": {}}
            login: dict[str, Any] = page.evaluate(LOGIN, ["admin", install.admin_password()])
            assert login == {"status": 200, "cookieVisible": False}
            listed: dict[str, Any] = page.evaluate(
                GET_JSON, "api/v1/applications?fields=metadata.resourceVersion,items.metadata.name"
            )
            assert listed["status"] == 200
            assert name in [a["metadata"]["name"] for a in listed["body"]["items"]]
            watched: dict[str, Any] = page.evaluate(
                FIRST_EVENT, f"api/v1/stream/applications?name={name}&appNamespace={install.ns}"
            )
            assert watched["result"]["type"] == "ADDED"
            assert watched["result"]["application"]["metadata"]["name"] == name
            tree: dict[str, Any] = page.evaluate(
                FIRST_EVENT,
                f"api/v1/stream/applications/{name}/resource-tree?appNamespace={install.ns}",
            )
            assert {"Deployment", "ReplicaSet", "Pod"} <= {
                n["kind"] for n in tree["result"]["nodes"]
            }
        finally:
            context.close()
