"""The bundled UI as ``kapstan server`` serves it: on the API's port, deep links answered with
its index.html, a Content-Security-Policy that allows no inline or foreign script, and nothing
loaded from outside the origin."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.testing.apiserver import ApiServerProcess

pytestmark = [pytest.mark.cluster, pytest.mark.browser]


def test_deep_link_loads_the_ui_with_a_strict_csp_and_nothing_foreign(
    page: Any, ui: ApiServerProcess
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    answer = page.goto(f"{ui.base_url}/applications/argocd/guestbook?tab=diff")
    assert answer is not None
    assert answer.status == 200
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("style-src")[0]
    assert page.title() == "Kapstan"
    page.wait_for_load_state("networkidle")
    foreign = [url for url in requested if not url.startswith(ui.base_url)]
    assert foreign == []
