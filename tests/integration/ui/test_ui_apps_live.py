"""The login page and the applications list in Chromium against ``kapstan server
--with-controller`` on the real cluster: what a user does, start to end.

- a wrong password shows the API's message; admin signs in through the form;
- an app created from the "New app" form (auto-sync off) shows up OutOfSync; selected and
  synced from the list, it goes through Syncing to Synced/Healthy while the page stays loaded
  (the list is fed by its stream, nothing reloads); its PreSync Job (testdata/migrated) keeps
  the operation Running long enough to be rendered, as a real app's hooks would;
- the table view shows the same app and stays chosen after a reload;
- the search and a status filter narrow the list, are kept in the URL, and the back button
  undoes them; logout returns to /login;
- at a 390-px phone width the list is usable: the app's link is visible, the page does not
  scroll sideways.

Screenshots (see conftest.screenshot): the login page and the list, light and dark; the "New
app" panel, the table view and the phone width.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from kapstan.testing.apiserver import ApiServerProcess
from tests.integration.ui.conftest import Install, login, screenshot

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

TESTDATA = Path(__file__).parent / "testdata"

# Records every operation badge that appears in the app's tile, however briefly it is shown,
# so "it went through Syncing" does not depend on sampling at the right moment.
WATCH_SYNCING = """key => {
    window.kapstanSeen = [];
    const look = () => {
        const tile = document.querySelector(`[data-app="${key}"]`);
        const running = tile && tile.querySelector('[data-operation="Running"]');
        if (running) window.kapstanSeen.push('Syncing');
    };
    const all = {subtree: true, childList: true, attributes: true};
    new MutationObserver(look).observe(document.body, all);
    look();
}"""


def test_login_create_sync_search_filter_and_logout(
    page: Any, ui: ApiServerProcess, install: Install, tmp_path: Path
) -> None:
    page.goto(f"{ui.base_url}/applications")
    page.wait_for_url(re.compile(r"/login"))  # not logged in: the shell sends us to login
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid username or password")
    screenshot(page, "login", tmp_path)
    page.emulate_media(color_scheme="dark")  # no choice stored: the OS preference decides
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    screenshot(page, "login", tmp_path)
    page.emulate_media(color_scheme="light")

    login(page, ui, "admin", install.admin_password())
    expect(page.get_by_text("Signed in as admin")).to_be_visible()

    path = install.add_app(TESTDATA / "migrated", "migrated")
    name = f"web-{uuid.uuid4().hex[:6]}"
    page.get_by_role("button", name="New app").click()
    panel = page.get_by_role("dialog", name="New application")
    panel.get_by_label("Application name").fill(name)
    panel.get_by_label("Repository URL").fill(install.repo.as_uri())
    panel.get_by_label("Path", exact=True).fill(path)
    panel.get_by_label("Revision").fill("main")
    panel.get_by_label("Namespace", exact=True).fill(name)
    panel.get_by_label("Auto-create namespace").check()
    assert not panel.get_by_label("Automated sync").is_checked()
    screenshot(page, "new-app", tmp_path)
    panel.get_by_role("button", name="Create").click()
    expect(panel).to_be_hidden()

    key = f"{install.ns}/{name}"
    tile = page.locator(f'[data-app="{key}"]')
    expect(tile.get_by_role("link", name=name)).to_have_attribute(
        "href", f"/applications/{install.ns}/{name}"
    )
    expect(tile.locator('[data-sync="OutOfSync"]')).to_be_visible(timeout=90_000)
    page.evaluate("window.kapstanNotReloaded = true")
    page.evaluate(WATCH_SYNCING, key)

    tile.get_by_role("checkbox", name=f"Select {name}").check()
    bulk = page.get_by_role("region", name="Bulk actions")
    bulk.get_by_role("button", name="Sync", exact=True).click()
    expect(bulk.get_by_role("status")).to_contain_text("Sync requested for 1 app")
    expect(tile.locator('[data-sync="Synced"]')).to_be_visible(timeout=120_000)
    expect(tile.locator('[data-health="Healthy"]')).to_be_visible(timeout=120_000)
    expect(tile.locator("[data-operation]")).to_have_count(0)
    assert "Syncing" in page.evaluate("window.kapstanSeen")
    assert page.evaluate("window.kapstanNotReloaded") is True  # the same page all along

    screenshot(page, "applications", tmp_path)
    page.get_by_role("button", name="Dark theme").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    screenshot(page, "applications", tmp_path)
    page.get_by_role("button", name="Dark theme").click()

    page.get_by_role("button", name="Table").click()
    expect(page.get_by_role("table", name="Applications")).to_be_visible()
    expect(tile.get_by_role("link", name=name)).to_be_visible()  # now a row of the table
    screenshot(page, "applications-table", tmp_path)
    page.reload()  # the view chosen is kept by the browser
    expect(page.get_by_role("button", name="Table")).to_have_attribute("aria-pressed", "true")
    expect(tile.locator('[data-sync="Synced"]')).to_be_visible()
    page.get_by_role("button", name="Tiles").click()

    search = page.get_by_role("searchbox", name="Search applications by name")
    search.fill("no-such-app")
    expect(tile).to_have_count(0)
    expect(page.get_by_text("No applications match the filters.")).to_be_visible()
    search.fill(name)
    expect(tile).to_be_visible()
    assert f"search={name}" in page.url
    search.fill("")
    # The cleared search is written to the URL first; a filter clicked while that navigation
    # is pending can be overwritten by it (seen once in CI: the click did not stick).
    expect(page).not_to_have_url(re.compile(r"search="))

    page.get_by_role("checkbox", name=re.compile(r"^OutOfSync")).check()
    expect(tile).to_have_count(0)  # it is Synced now
    assert "sync=OutOfSync" in page.url
    page.go_back()
    expect(tile).to_be_visible()
    assert "sync=OutOfSync" not in page.url

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto(f"{ui.base_url}/applications")
    page.wait_for_url(re.compile(r"/login\?return_url=%2Fapplications"))  # the session ended


def test_list_is_usable_at_phone_width(
    page: Any, ui: ApiServerProcess, install: Install, tmp_path: Path
) -> None:
    body = install.app_body("web")
    name = str(body["metadata"]["name"])
    token = install.login(ui, "admin", install.admin_password())
    with contextlib.closing(install.client(ui, token)) as http:
        answer = http.post("/api/v1/applications", json=body)
        assert answer.status_code == 200, answer.text

    page.set_viewport_size({"width": 390, "height": 844})
    login(page, ui, "admin", install.admin_password())
    link = page.locator(f'[data-app="{install.ns}/{name}"]').get_by_role("link", name=name)
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box is not None
    assert 0 <= box["x"] <= box["x"] + box["width"] <= 390
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 390px"
    page.get_by_role("button", name="Filters").click()
    expect(page.get_by_role("group", name="Sync status")).to_be_visible()
    screenshot(page, "applications-phone", tmp_path)
