"""The browser's SSO session refreshed with a real Keycloak (argocd-cm ``oidc.config``
``refreshTokenThreshold``, Argo CD 3.3's): the realm's ID tokens live two minutes and the
threshold is 1m50s, so ten seconds after signing in a page load gets a new ``argocd.token``
cookie (the server traded Keycloak's refresh token, which the browser never sees), the API
accepts the new token, and after logging out nothing is refreshed any more.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import time
import uuid
from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect

from kapstan.services.auth.oidc.idtoken import unverified_claims
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.keycloak import Keycloak, User
from kapstan.testing.waiting import wait_for
from tests.integration.keycloak_fixture import keycloak
from tests.integration.ui.conftest import Install
from tests.integration.ui.test_ui_sso_live import oidc_config, sign_in_with_keycloak

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
__all__ = ["keycloak"]

RITA = User("rita", secrets.token_urlsafe(12), ("admins",), "Rita", "Refresh")
LIFESPAN = 120  # seconds: the realm's token lifespan
THRESHOLD = 110  # refreshTokenThreshold 1m50s: due ten seconds after signing in


@pytest.fixture(scope="module")
def realm(install: Install, ui: ApiServerProcess, keycloak: Keycloak) -> str:
    name = f"refresh-{uuid.uuid4().hex[:6]}"
    client_secret = secrets.token_urlsafe(24)
    keycloak.create_realm(
        name,
        client_id="kapstan",
        client_secret=client_secret,
        redirect_uris=[f"{ui.base_url}/auth/callback"],
        users=[RITA],
        token_lifespan=LIFESPAN,
        post_logout_redirect_uris=[f"{ui.base_url}/login"],
    )
    patch = {"stringData": {"oidc.keycloak.clientSecret": client_secret}}
    install.kubectl(
        "patch", "secret", "argocd-secret", "-n", install.ns, "--type", "merge",
        "-p", json.dumps(patch),
    )  # fmt: skip
    config = oidc_config(keycloak.issuer(name)) + "refreshTokenThreshold: 1m50s\n"
    install.argo.set_argocd_cm({"url": ui.base_url, "oidc.config": config})
    install.argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm"},
            "data": {"policy.csv": "g, admins, role:admin\n"},
        }
    )
    with ui.client() as http:
        wait_for(
            "argocd-cm's oidc.config in the settings",
            lambda: (
                (http.get("/api/v1/settings").json().get("oidcConfig") or {}).get("issuer")
                == keycloak.issuer(name)
            ),
        )
    return name


def _session(page: Any) -> str:
    return str(next(c["value"] for c in page.context.cookies() if c["name"] == "argocd.token"))


def _userinfo(ui: ApiServerProcess, token: str) -> httpx2.Response:
    with contextlib.closing(
        httpx2.Client(base_url=ui.base_url, headers={"Authorization": f"Bearer {token}"})
    ) as http:
        return http.get("/api/v1/session/userinfo")


def test_a_session_in_the_threshold_gets_a_new_token_and_none_after_logout(
    page: Any, ui: ApiServerProcess, keycloak: Keycloak, realm: str
) -> None:
    sign_in_with_keycloak(page, ui, keycloak, RITA)
    expect(page.get_by_text("Signed in as rita@kapstan.test")).to_be_visible()
    first = _session(page)
    claims = unverified_claims(first)
    assert claims["iss"] == keycloak.issuer(realm)
    # The realm's short-lived tokens (Keycloak rounds iat and exp separately).
    assert LIFESPAN - 2 <= claims["exp"] - claims["iat"] <= LIFESPAN
    page.reload()  # not due yet: the cookie stays
    expect(page.get_by_text("Signed in as rita@kapstan.test")).to_be_visible()
    assert _session(page) == first
    refreshed = f"SSO session of {claims['sub']} refreshed"  # the server logs the subject
    assert refreshed not in ui.output()

    # Into the threshold (less than 1m50s left), then a page load: its API calls are answered
    # with a new argocd.token cookie.
    time.sleep(max(claims["iat"] + (LIFESPAN - THRESHOLD) + 1 - time.time(), 0))
    with page.expect_response(re.compile(r"/api/v1/")) as answered:
        page.reload()
    expect(page.get_by_text("Signed in as rita@kapstan.test")).to_be_visible()
    wait_for("the renewed cookie", lambda: _session(page) != first, timeout=10)
    renewed = _session(page)
    new_claims = unverified_claims(renewed)
    assert new_claims["sub"] == claims["sub"]
    assert new_claims["exp"] > claims["exp"]
    assert answered.value.status == 200
    info = _userinfo(ui, renewed).json()  # the API accepts the new token by itself
    assert (info["loggedIn"], info["username"], info["groups"]) == (
        True,
        "rita@kapstan.test",
        ["admins"],
    )
    output = ui.output()
    assert refreshed in output
    assert first not in output
    assert renewed not in output

    # Logging out (through Keycloak's end-session endpoint) forgets the refresh token: the
    # renewed token is refused and nothing is refreshed.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{ui.base_url}/login")
    refreshes = ui.output().count(refreshed)
    refused = _userinfo(ui, renewed)
    assert refused.json() == {}  # userinfo of a refused session: logged out
    assert "set-cookie" not in refused.headers
    with contextlib.closing(
        httpx2.Client(base_url=ui.base_url, headers={"Authorization": f"Bearer {renewed}"})
    ) as http:
        answer = http.get("/api/v1/applications")
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers
    earlier = _userinfo(ui, first)  # the first token, still in the threshold, not revoked
    assert "set-cookie" not in earlier.headers
    assert ui.output().count(refreshed) == refreshes
