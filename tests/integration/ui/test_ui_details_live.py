"""The Application details page in Chromium against ``kapstan server --with-controller`` and the
real cluster: the header follows the app live; the tree shows Deployment → ReplicaSet → Pod
with health; a node opens the resource panel through the URL (back button included); the
list and pods views; a resource removed in Git is pruned by a sync from the sync panel,
whose per-resource results and the app's return to Synced show without a reload; a rollback
from history; a rollback refused while auto-sync is on, then run once App details turned
auto-sync off; a read-only user sees no Sync button and, opening the sync panel by URL
(``?operation=sync``), a clear message instead of the form.

Signing in posts ``api/v1/session`` from the page's own context (the cookie a form login
sets), so these tests depend on the details page only.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kapstan.testing import gitservers
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.waiting import wait_for
from tests.integration.ui.conftest import Install, login, screenshot

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

VIEWER, VIEWER_PASSWORD = "viewer", "Viewer-Pa55-ui"
LIVE = 90_000  # ms: a sync on the local cluster, seen through the stream


@pytest.fixture(scope="module")
def accounts(install: Install) -> None:
    """A local read-only account, set up the way an administrator does (argocd-cm, rbac-cm)."""
    install.argo.set_argocd_cm({f"accounts.{VIEWER}": "login"})
    install.argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm"},
            "data": {"policy.csv": f"g, {VIEWER}, role:readonly\n"},
        }
    )


@pytest.fixture(scope="module")
def server(accounts: None, ui: ApiServerProcess) -> ApiServerProcess:
    del accounts  # configured before the server starts
    return ui


@pytest.fixture(scope="module")
def admin(install: Install, server: ApiServerProcess) -> Iterator[httpx2.Client]:
    token = install.login(server, "admin", install.admin_password())
    with contextlib.closing(install.client(server, token)) as http:
        yield http


def own_path(install: Install) -> str:
    """A copy of the ``web`` app in the repository, for one test's commits alone."""
    return install.add_app(install.repo / "web", "details")


def create_app(admin: httpx2.Client, body: dict[str, Any]) -> str:
    answer = admin.post("/api/v1/applications", json=body)
    assert answer.status_code == 200, answer.text
    return str(body["metadata"]["name"])


def details_url(server: ApiServerProcess, install: Install, name: str, query: str = "") -> str:
    return f"{server.base_url}/applications/{install.ns}/{name}{query}"


def header_sync(page: Any, status: str) -> Any:
    return page.locator(f".app-title [data-sync='{status}']")


def node(page: Any, kind: str, health: str | None = None) -> Any:
    extra = f"[data-health='{health}']" if health else ""
    return page.locator(f".tree-node[data-kind='{kind}']{extra}")


def results_row(page: Any, kind: str, name: str) -> Any:
    table = page.get_by_role("table", name="Resource results")
    return table.locator(f"tr[data-kind='{kind}'][data-name='{name}']")


def test_sync_tree_panel_prune_and_rollback(
    page: Any, server: ApiServerProcess, install: Install, admin: httpx2.Client, tmp_path: Path
) -> None:
    path = own_path(install)
    name = create_app(admin, install.app_body(path))  # manual sync: the user syncs
    login(page, server, "admin", install.admin_password())
    page.goto(details_url(server, install, name))
    page.get_by_role("heading", name=name).wait_for()
    page.get_by_role("button", name="Refresh", exact=True).click()  # see the next test
    header_sync(page, "OutOfSync").wait_for(timeout=LIVE)

    # First sync from the panel: its results and the header follow live.
    page.get_by_role("button", name="Sync", exact=True).click()
    assert "operation=sync" in page.url
    page.get_by_role("button", name="Synchronize").click()
    results_row(page, "Deployment", "web").wait_for(timeout=LIVE)
    header_sync(page, "Synced").wait_for(timeout=LIVE)
    page.get_by_role("button", name="Close Sync").click()
    assert "operation=" not in page.url

    # The tree: Deployment → ReplicaSet → Pod, each with its health.
    node(page, "Pod", "Healthy").wait_for(timeout=LIVE)
    node(page, "ReplicaSet", "Healthy").wait_for()
    deployment = node(page, "Deployment", "Healthy")
    deployment.wait_for()
    assert page.locator(".tree-edges path").count() >= 5  # app→4 resources, deploy→rs, rs→pod
    page.locator(".app-title [data-health='Healthy']").wait_for(timeout=LIVE)
    screenshot(page, "details-tree", tmp_path)
    page.get_by_role("button", name="Dark theme").click()
    screenshot(page, "details-tree", tmp_path)
    page.get_by_role("button", name="Dark theme").click()  # pressed again: light

    # A node opens the resource panel through the URL; closing it and going back work.
    deployment.click()
    page.wait_for_url(
        re.compile(r"resource=apps%2FDeployment%2F[^&]+%2Fweb|resource=apps/Deployment/")
    )
    panel = page.get_by_role("dialog", name=re.compile(r"Deployment web"))
    panel.wait_for()
    panel.get_by_role("button", name=re.compile(r"^Close Deployment")).click()
    panel.wait_for(state="detached")
    assert "resource=" not in page.url
    page.go_back()
    panel.wait_for()
    page.go_back()
    panel.wait_for(state="detached")

    # The views are in the URL too: the list names the pod; the pods view groups it.
    page.get_by_role("button", name="List", exact=True).click()
    assert "view=list" in page.url
    page.get_by_role("button", name=re.compile(r"^Open Deployment web")).wait_for()
    page.get_by_role("button", name="Pods", exact=True).click()
    page.get_by_role("button", name=re.compile(r"^Pod web-.*health Healthy")).wait_for()
    # Grouped by the node the scheduler chose (the tree node's Argo CD `info`), never
    # "node not reported".
    page.get_by_role("region", name=re.compile(r"^Node (?!node not reported)\S+")).wait_for()
    # The network view follows the Service's selector to its pod (the tree's networkingInfo).
    page.get_by_role("button", name="Network", exact=True).click()
    behind = page.get_by_role("list", name="Pods behind web")
    behind.get_by_role("button", name=re.compile(r"^Pod web-")).wait_for()
    page.go_back()
    page.set_viewport_size({"width": 390, "height": 800})
    screenshot(page, "details-pods-phone", tmp_path)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.go_back()
    page.go_back()
    node(page, "Deployment").wait_for()

    # Git drops the ConfigMap: refresh, then sync with prune; the results say Pruned.
    (install.repo / path / "settings.yaml").unlink()
    gitservers.commit_all(install.repo, f"{path}: drop the settings ConfigMap")
    page.get_by_role("button", name="Refresh", exact=True).click()
    header_sync(page, "OutOfSync").wait_for(timeout=LIVE)
    page.get_by_role("button", name="Sync", exact=True).click()
    panel = page.get_by_role("dialog", name="Sync")
    panel.get_by_label("Prune", exact=True).check()
    panel.get_by_role("button", name="Synchronize").click()
    pruned = results_row(page, "ConfigMap", "settings")
    pruned.wait_for(timeout=LIVE)
    wait_for("the prune result", lambda: "Pruned" in pruned.inner_text(), LIVE / 1000)
    header_sync(page, "Synced").wait_for(timeout=LIVE)
    screenshot(page, "details-sync", tmp_path)
    panel.get_by_role("button", name="Close Sync").click()

    # History: roll back to the first deployment; the ConfigMap comes back.
    node(page, "ConfigMap").wait_for(state="detached", timeout=LIVE)
    page.get_by_role("button", name="History and rollback").click()
    history = page.get_by_role("table", name="Deployment history")
    wait_for("two history entries", lambda: history.locator("tbody tr").count() == 2, 60)
    history.get_by_text("add ").wait_for(timeout=LIVE)  # the commit message, from the metadata
    page.get_by_role("button", name="Rollback to 0").click()
    page.get_by_role("button", name="Confirm rollback").click()
    wait_for("the rollback in history", lambda: history.locator("tbody tr").count() == 3, 90)
    node(page, "ConfigMap").wait_for(timeout=LIVE)


def test_rollback_refused_while_auto_sync_is_on_then_allowed_once_off(
    page: Any, server: ApiServerProcess, install: Install, admin: httpx2.Client
) -> None:
    path = own_path(install)
    body = install.app_body(
        path, syncPolicy={"automated": {}, "syncOptions": ["CreateNamespace=true"]}
    )
    name = create_app(admin, body)
    login(page, server, "admin", install.admin_password())
    page.goto(details_url(server, install, name, "?operation=history"))
    # The controller may still hold main's previous commit (its revision cache, as Argo
    # CD's): the header says "source path is not a directory" until a refresh.
    page.get_by_role("button", name="Refresh", exact=True).click()
    history = page.get_by_role("table", name="Deployment history")
    history.locator("tbody tr").first.wait_for(timeout=LIVE)
    settings = install.repo / path / "settings.yaml"
    settings.write_text(settings.read_text().replace('"1"', '"2"'))
    gitservers.commit_all(install.repo, f"{path}: version 2")
    page.get_by_role("button", name="Refresh", exact=True).click()
    wait_for("a second deployment", lambda: history.locator("tbody tr").count() == 2, 90)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/rollback") else None)
    page.get_by_role("button", name="Rollback to 0").click()
    refusal = page.get_by_role("alert").filter(has_text="not allowed while auto-sync")
    refusal.wait_for()
    assert page.get_by_role("button", name="Confirm rollback").count() == 0
    assert sent == []

    # As the reason says: auto-sync off in App details (saved through the API), then it rolls back.
    page.get_by_role("button", name="Close History and rollback").click()
    page.get_by_role("button", name="App details").click()
    details = page.get_by_role("dialog", name="App details")
    details.get_by_label("Automated sync").uncheck()
    details.get_by_role("button", name="Save").click()
    details.get_by_role("status").filter(has_text="Saved.").wait_for()
    spec = admin.get(f"/api/v1/applications/{name}").json()["spec"]
    assert "automated" not in spec.get("syncPolicy", {})
    details.get_by_role("button", name="Close App details").click()
    page.get_by_role("button", name="History and rollback").click()
    page.get_by_role("button", name="Rollback to 0").click()
    page.get_by_role("button", name="Confirm rollback").click()
    wait_for("the rollback in history", lambda: history.locator("tbody tr").count() == 3, 90)


def test_read_only_user_sees_no_sync_and_a_clear_message_by_url(
    page: Any, server: ApiServerProcess, install: Install, admin: httpx2.Client
) -> None:
    answer = admin.put(
        "/api/v1/account/password",
        json={
            "name": VIEWER,
            "currentPassword": install.admin_password(),
            "newPassword": VIEWER_PASSWORD,
        },
    )
    assert answer.status_code == 200, answer.text
    name = create_app(admin, install.app_body(own_path(install)))

    def signed_in() -> bool:
        with server.client() as http:
            login = {"username": VIEWER, "password": VIEWER_PASSWORD}
            return http.post("/api/v1/session", json=login).status_code == 200

    wait_for("the viewer account", signed_in, 30)
    login(page, server, VIEWER, VIEWER_PASSWORD)
    page.goto(details_url(server, install, name))
    page.get_by_role("heading", name=name).wait_for()
    toolbar = page.get_by_role("toolbar", name="Application actions")
    toolbar.get_by_role("button", name="History and rollback").wait_for()
    page.wait_for_load_state("networkidle")  # the can-i answers are in
    for action in ("Sync", "Delete"):
        assert toolbar.get_by_role("button", name=action, exact=True).count() == 0
    page.goto(details_url(server, install, name, "?operation=sync"))
    message = page.get_by_role("dialog", name="Sync").get_by_role("alert")
    message.wait_for()
    assert "not allowed to sync" in message.inner_text()
    assert page.get_by_role("button", name="Synchronize").count() == 0
    page.goto(details_url(server, install, name, "?operation=edit"))
    page.get_by_text("Read only: your role may not update").wait_for()
    assert page.get_by_role("button", name="Save").count() == 0
