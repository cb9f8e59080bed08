"""One multiplexed stream per tab, live, through the UI's own pages: in Chromium, signed in
through the form, the applications list subscribes its topic and, after a click into an app,
the details page adds the app's and its resource tree's topics — all over the one
``EventSource`` to ``/api/v1/stream/multiplex`` the tab opened first (Argo CD's UI opens one
connection per watch and runs into the browser's six-connection limit). Leaving the list for
the details page swaps topics without reconnecting."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kapstan.testing.apiserver import ApiServerProcess
from tests.integration.api.conftest import Install
from tests.integration.ui.conftest import login

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
MULTIPLEX = "/api/v1/stream/multiplex"


def test_the_pages_share_one_stream_connection(
    page: Any, ui: ApiServerProcess, install: Install
) -> None:
    _token, name = install.deploy_web(ui)
    opened: list[str] = []
    other_streams: list[str] = []
    added: list[str] = []

    def requested(request: Any) -> None:
        url = request.url
        if MULTIPLEX in url and url.endswith("/topics"):
            body = json.loads(request.post_data or "{}")
            added.extend(topic.get("type", "") for topic in body.get("add", []))
        elif MULTIPLEX in url:
            opened.append(url)
        elif "/api/v1/stream/" in url:
            other_streams.append(url)

    page.on("request", requested)
    login(page, ui, "admin", install.admin_password())
    page.get_by_role("link", name=name).first.click()
    page.wait_for_url(f"**/applications/{install.ns}/{name}*")
    page.wait_for_function("() => document.querySelector('[data-health=\"Healthy\"]') !== null")
    page.wait_for_timeout(500)  # let the page add its topics
    assert "applications" in added, added
    assert "tree" in added, added
    assert len(opened) == 1, opened
    assert other_streams == [], other_streams
