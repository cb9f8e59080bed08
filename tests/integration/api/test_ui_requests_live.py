"""The requests Argo CD v3.6.1's web UI makes on its login page, application list, application
details (tree) and resource panel (summary, live and desired manifests, diff, events), sent
as the UI sends them (its query parameters, ``fields`` projections, the ``argocd.token``
cookie and no Authorization header, ``EventSource`` streams with ``Accept:
text/event-stream``) to ``kapstan server --with-controller --staticassets`` on the real
cluster. Every answer must be < 400 and carry what the UI reads from it.

The list of requests comes from the UI's sources (``ui/src/app/shared/services/*.ts`` and the
pages' components); the test that clicks through the real UI in Chromium is
``test_argocd_ui.py`` (opt-in: the UI has to be built).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from kapstan.testing.apiserver import ApiServerProcess
from tests.integration.api.conftest import Install

pytestmark = pytest.mark.cluster
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# ui/src/app/applications/components/applications-list/applications-list.tsx (APP_FIELDS)
APP_FIELDS = [
    "metadata.name",
    "metadata.namespace",
    "metadata.annotations",
    "metadata.labels",
    "metadata.creationTimestamp",
    "metadata.deletionTimestamp",
    "spec.destination",
    "spec.project",
    "spec.source",
    "spec.sources",
    "spec.sourceHydrator",
    "spec.syncPolicy",
    "operation.sync",
    "status.sourceHydrator",
    "status.summary",
    "status.sync.status",
    "status.sync.revision",
    "status.health",
    "status.operationState.phase",
    "status.operationState.operation.sync",
    "status.operationState.syncResult.revision",
    "status.operationState.syncResult.revisions",
    "status.resources",
]
DIFF_FIELDS = ",".join(
    f"items.{f}"
    for f in ("normalizedLiveState", "predictedLiveState", "group", "kind", "namespace", "name")
)


class Browser:
    """An HTTP client that authenticates as the UI does: the login's cookie only."""

    def __init__(self, server: ApiServerProcess) -> None:
        self.http = server.client()
        self.failures: list[str] = []

    def get(self, path: str, params: Any = None, accept: str = "application/json") -> Any:
        answer = self.http.get(path, params=params, headers={"Accept": accept})
        if answer.status_code >= 400:
            self.failures.append(f"GET {answer.request.url} -> {answer.status_code} {answer.text}")
        return answer

    def first_event(self, path: str, params: Any = None, timeout: float = 30) -> dict[str, Any]:
        """The first ``data:`` frame of an ``EventSource`` stream."""
        found: dict[str, Any] = {}

        def read() -> None:
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
            with self.http.stream(
                "GET", path, params=params, headers=headers, timeout=timeout
            ) as s:
                found["status"] = s.status_code
                found["type"] = s.headers.get("content-type", "")
                for line in s.iter_lines():
                    if line.startswith("data: "):
                        found["result"] = json.loads(line.removeprefix("data: "))["result"]
                        return

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        thread.join(timeout)
        if found.get("status", 0) >= 400 or "result" not in found:
            self.failures.append(f"EventSource {path} {params} -> {found}")
        return found


@pytest.fixture(scope="module")
def ui_server(
    install: Install, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ApiServerProcess, str]:
    """``kapstan server --with-controller --staticassets <a stand-in build>`` and the ``web``
    app, automated, Synced and Healthy."""
    ui = tmp_path_factory.mktemp("ui")
    (ui / "index.html").write_text('<!DOCTYPE html><html><head><base href="/"></head></html>')
    (ui / "main.0123456789abcdef0123.js").write_text("//\n")
    server = install.start_server("--with-controller", "--staticassets", str(ui))
    _, name = install.deploy_web(server)
    return server, name  # the install stops the server


@pytest.fixture
def browser(ui_server: tuple[ApiServerProcess, str]) -> Iterator[Browser]:
    found = Browser(ui_server[0])
    with contextlib.closing(found.http):
        yield found


def _login(browser: Browser, install: Install) -> None:
    answer = browser.http.post(
        "/api/v1/session",
        json={"username": "admin", "password": install.admin_password()},
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert "argocd.token" in browser.http.cookies
    assert "httponly" in answer.headers["set-cookie"].lower()


def test_boot_and_login_pages(browser: Browser, install: Install) -> None:
    page = browser.get("/login", accept=HTML)
    assert page.headers["content-type"].startswith("text/html")
    deep = browser.get("/applications/argocd/web", accept=HTML)
    assert '<base href="/">' in deep.text
    assert (
        browser.get("/extensions.js", accept="*/*")
        .headers["content-type"]
        .startswith("application/javascript")
    )
    assert browser.get("/api/version").json()["Version"].startswith("v")
    assert browser.get("/api/v1/session/userinfo").json() == {}
    settings = browser.get("/api/v1/settings").json()
    assert "userLoginsDisabled" not in settings  # the login form is shown
    assert isinstance(settings["help"], dict)  # the banner and help pages read help.* unchecked
    wrong = browser.http.post("/api/v1/session", json={"username": "admin", "password": "not-it"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "Invalid username or password"  # what the form shows
    _login(browser, install)
    info = browser.get("/api/v1/session/userinfo").json()
    assert (info["loggedIn"], info["username"]) == (True, "admin")
    assert not browser.failures, "\n".join(browser.failures)


def test_application_list_page(
    browser: Browser, install: Install, ui_server: tuple[ApiServerProcess, str]
) -> None:
    _, name = ui_server
    _login(browser, install)
    fields = ",".join(["metadata.resourceVersion", *(f"items.{f}" for f in APP_FIELDS)])
    listed = browser.get(
        "/api/v1/applications", {"selector": "", "appNamespace": "", "fields": fields}
    ).json()
    assert listed["metadata"]["resourceVersion"]
    app = next(a for a in listed["items"] if a["metadata"]["name"] == name)
    assert app["status"]["sync"]["status"] == "Synced"
    assert {r["kind"] for r in app["status"]["resources"]} >= {"Deployment", "Service"}
    assert "spec" in app
    assert "history" not in app["status"]
    favourites = browser.get("/api/v1/applications", {"names": name, "fields": fields}).json()
    assert [a["metadata"]["name"] for a in favourites["items"]] == [name]
    browser.get("/api/v1/clusters")
    browser.get("/api/v1/projects", {"fields": "items.metadata.name"})
    # The list's watch: resumes at the list's resourceVersion, frames projected to the fields.
    watch_fields = ",".join(["result.type", *(f"result.application.{f}" for f in APP_FIELDS)])
    params = {"resourceVersion": "", "fields": watch_fields, "selector": ""}
    event = browser.first_event("/api/v1/stream/applications", params)
    assert event.get("type", "").startswith("text/event-stream")
    assert event["result"]["type"] == "ADDED"
    assert not browser.failures, "\n".join(browser.failures)


def test_application_details_and_resource_panel(
    browser: Browser, install: Install, ui_server: tuple[ApiServerProcess, str]
) -> None:
    _, name = ui_server
    _login(browser, install)
    ns = install.ns
    page = browser.get(f"/applications/{ns}/{name}", accept=HTML)
    assert page.headers["cache-control"].startswith("no-cache")
    app = browser.get(f"/api/v1/applications/{name}", {"appNamespace": ns}).json()
    revision = app["status"]["sync"]["revision"]
    tree = browser.get(f"/api/v1/applications/{name}/resource-tree", {"appNamespace": ns}).json()
    kinds = {n["kind"] for n in tree["nodes"]}
    assert kinds >= {"Deployment", "ReplicaSet", "Pod", "Service"}
    watched = browser.first_event("/api/v1/stream/applications", {"name": name, "appNamespace": ns})
    assert watched["result"]["application"]["metadata"]["name"] == name
    streamed = browser.first_event(
        f"/api/v1/stream/applications/{name}/resource-tree", {"appNamespace": ns}
    )
    assert {n["kind"] for n in streamed["result"]["nodes"]} >= {"Deployment", "Pod"}
    windows = browser.get(
        f"/api/v1/applications/{name}/syncwindows", {"name": name, "appNamespace": ns}
    )
    assert "canSync" in windows.json()
    browser.get(f"/api/v1/applications/{name}/revisions/{revision}/metadata", {"appNamespace": ns})
    browser.get(f"/api/v1/applications/{name}/links", {"namespace": ns})
    browser.get(f"/api/v1/applications/{name}/events", {"appNamespace": ns})
    browser.get(
        f"/api/v1/applications/{name}/managed-resources",
        {"appNamespace": ns, "fields": DIFF_FIELDS},
    )
    browser.get("/api/v1/account/can-i/logs/get/default/" + name)

    # The resource panel of the Deployment: summary, live manifest, desired manifest and diff.
    node = next(n for n in tree["nodes"] if n["kind"] == "Deployment")
    ident = {
        "name": node["name"],
        "namespace": node["namespace"],
        "kind": "Deployment",
        "group": "apps",
    }
    managed = browser.get(
        f"/api/v1/applications/{name}/managed-resources?appNamespace={ns}", {**ident, "fields": ""}
    ).json()["items"]
    state = next(m for m in managed if m["kind"] == "Deployment")
    desired = json.loads(state["targetState"])
    assert desired["kind"] == "Deployment"
    assert json.loads(state["normalizedLiveState"])["metadata"]["name"] == "web"
    ref = {
        "name": node["name"],
        "appNamespace": ns,
        "namespace": node["namespace"],
        "resourceName": node["name"],
        "version": node["version"],
        "kind": node["kind"],
        "group": node.get("group") or "",
    }
    live = json.loads(browser.get(f"/api/v1/applications/{name}/resource", ref).json()["manifest"])
    assert live["metadata"]["uid"] == node["uid"]
    events = browser.get(
        f"/api/v1/applications/{name}/events",
        {
            "appNamespace": ns,
            "resourceUID": live["metadata"]["uid"],
            "resourceNamespace": ns,
            "resourceName": "web",
        },
    )
    assert "items" in events.json()
    browser.get(f"/api/v1/applications/{name}/resource/links", ref)
    actions = {k: v for k, v in ref.items() if k != "name"}
    assert "actions" in browser.get(f"/api/v1/applications/{name}/resource/actions", actions).json()
    pod = next(n for n in tree["nodes"] if n["kind"] == "Pod")
    browser.get(
        f"/api/v1/applications/{name}/resource",
        {
            **ref,
            "name": pod["name"],
            "resourceName": pod["name"],
            "kind": "Pod",
            "group": "",
            "version": "v1",
        },
    )
    browser.get(
        f"/api/v1/applications/{name}/manifests",
        {"name": name, "revision": revision, "appNamespace": ns},
    )
    assert not browser.failures, "\n".join(browser.failures)
