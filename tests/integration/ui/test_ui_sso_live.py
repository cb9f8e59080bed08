"""Single sign-on through direct OIDC with a real Keycloak, in Chromium: the login page's
"Log in via Keycloak" link, Keycloak's own sign-in page, back on the applications list with
the ID token as the session; argocd-rbac-cm maps the token's ``groups`` claim to roles, so a
``devs`` member (``role:readonly``) is refused a sync and an ``admins`` member may sync.

The set-up is what an operator writes (docs/sso.md uses the same snippets): a Keycloak realm
with a confidential client, a ``groups`` client scope and users, made through Keycloak's admin
REST API; argocd-cm ``url`` and ``oidc.config``; the client secret in argocd-secret,
referenced as ``$oidc.keycloak.clientSecret``; argocd-rbac-cm ``policy.csv``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.keycloak import Keycloak, User
from kapstan.testing.waiting import wait_for
from tests.integration.keycloak_fixture import keycloak
from tests.integration.ui.conftest import Install

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
__all__ = ["keycloak"]

DANA = User("dana", secrets.token_urlsafe(12), ("devs",), "Dana", "Dev")
ADA = User("ada", secrets.token_urlsafe(12), ("admins",), "Ada", "Admin")
RBAC = "g, devs, role:readonly\ng, admins, role:admin\n"


def oidc_config(issuer: str) -> str:
    return (
        "name: Keycloak\n"
        f"issuer: {issuer}\n"
        "clientID: kapstan\n"
        "clientSecret: $oidc.keycloak.clientSecret\n"
        "requestedScopes: [openid, profile, email, groups]\n"
    )


@pytest.fixture(scope="module")
def sso(install: Install, ui: ApiServerProcess, keycloak: Keycloak) -> dict[str, str]:
    """Keycloak and the installation configured for each other; the app both users see."""
    realm = f"kapstan-{uuid.uuid4().hex[:6]}"
    client_secret = secrets.token_urlsafe(24)
    keycloak.create_realm(
        realm,
        client_id="kapstan",
        client_secret=client_secret,
        redirect_uris=[f"{ui.base_url}/auth/callback"],
        users=[DANA, ADA],
        post_logout_redirect_uris=[f"{ui.base_url}/login"],
    )
    patch = {"stringData": {"oidc.keycloak.clientSecret": client_secret}}
    install.kubectl(
        "patch",
        "secret",
        "argocd-secret",
        "-n",
        install.ns,
        "--type",
        "merge",
        "-p",
        json.dumps(patch),
    )
    install.argo.set_argocd_cm(
        {"url": ui.base_url, "oidc.config": oidc_config(keycloak.issuer(realm))}
    )
    install.argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm"},
            "data": {"policy.csv": RBAC},
        }
    )
    with ui.client() as http:
        wait_for(
            "argocd-cm's oidc.config in the settings",
            lambda: http.get("/api/v1/settings").json().get("oidcConfig"),
        )
        settings = http.get("/api/v1/settings").json()
    assert settings["oidcConfig"]["name"] == "Keycloak"
    assert settings["oidcConfig"]["issuer"] == keycloak.issuer(realm)
    assert "clientSecret" not in json.dumps(settings)
    token = install.login(ui, "admin", install.admin_password())
    body = install.app_body("web")
    with contextlib.closing(install.client(ui, token)) as http:
        answer = http.post("/api/v1/applications", json=body)
        assert answer.status_code == 200, answer.text
    return {"realm": realm, "app": str(body["metadata"]["name"]), "secret": client_secret}


def sign_in_with_keycloak(page: Any, ui: ApiServerProcess, keycloak: Keycloak, user: User) -> None:
    page.goto(f"{ui.base_url}/applications")
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_role("link", name="Log in via Keycloak").click()
    page.wait_for_url(
        re.compile(re.escape(keycloak.base_url) + r"/realms/.*/protocol/openid-connect/auth")
    )
    page.get_by_label("Username or email").fill(user.username)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{ui.base_url}/applications")


def test_a_devs_member_signs_in_with_keycloak_and_is_refused_a_sync(
    page: Any, ui: ApiServerProcess, keycloak: Keycloak, sso: dict[str, str], install: Install
) -> None:
    sign_in_with_keycloak(page, ui, keycloak, DANA)
    expect(page.get_by_text("Signed in as dana@kapstan.test")).to_be_visible()
    tile = page.locator(f'[data-app="{install.ns}/{sso["app"]}"]')
    expect(tile.get_by_role("link", name=sso["app"])).to_be_visible()  # role:readonly sees it
    info = page.request.get(f"{ui.base_url}/api/v1/session/userinfo").json()
    assert info["loggedIn"] is True
    assert info["username"] == "dana@kapstan.test"
    assert info["groups"] == ["devs"]
    assert info["iss"] == keycloak.issuer(sso["realm"])
    cookie = next(c for c in page.context.cookies() if c["name"] == "argocd.token")
    assert cookie["httpOnly"] is True
    tile.get_by_role("checkbox", name=f"Select {sso['app']}").check()
    bulk = page.get_by_role("region", name="Bulk actions")
    bulk.get_by_role("button", name="Sync", exact=True).click()
    expect(bulk.get_by_role("alert")).to_contain_text(f"{sso['app']}: permission denied")
    refused = page.request.post(f"{ui.base_url}/api/v1/applications/{sso['app']}/sync", data={})
    assert (refused.status, refused.json()["code"]) == (403, 7)
    assert refused.json()["message"].startswith("permission denied")
    assert sso["secret"] not in ui.output()
    assert cookie["value"] not in ui.output()  # the token is never logged


def test_an_admins_member_signs_in_with_keycloak_and_may_sync(
    page: Any, ui: ApiServerProcess, keycloak: Keycloak, sso: dict[str, str], install: Install
) -> None:
    sign_in_with_keycloak(page, ui, keycloak, ADA)
    expect(page.get_by_text("Signed in as ada@kapstan.test")).to_be_visible()
    info = page.request.get(f"{ui.base_url}/api/v1/session/userinfo").json()
    assert info["groups"] == ["admins"]
    tile = page.locator(f'[data-app="{install.ns}/{sso["app"]}"]')
    tile.get_by_role("checkbox", name=f"Select {sso['app']}").check()
    bulk = page.get_by_role("region", name="Bulk actions")
    bulk.get_by_role("button", name="Sync", exact=True).click()
    expect(bulk.get_by_role("status")).to_contain_text("Sync requested for 1 app")
    expect(bulk.get_by_role("alert")).to_have_count(0)
    expect(tile.locator('[data-sync="Synced"]')).to_be_visible(timeout=120_000)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "argocd.token")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{ui.base_url}/login")  # back from Keycloak's end-session endpoint
    replay = page.request.get(
        f"{ui.base_url}/api/v1/applications", headers={"Authorization": f"Bearer {token}"}
    )
    assert replay.status == 401  # the ID token was revoked at logout (its jti)
    # The logout went through Keycloak's end-session endpoint: signing in again asks for the
    # password instead of coming straight back.
    page.get_by_role("link", name="Log in via Keycloak").click()
    expect(page.get_by_label("Username or email")).to_be_visible()


def test_a_forged_session_cookie_is_refused(
    page: Any, ui: ApiServerProcess, sso: dict[str, str]
) -> None:
    del sso  # SSO configured
    page.context.add_cookies(
        [{"name": "argocd.token", "value": "eyJhbGciOiJub25lIn0.e30.", "url": ui.base_url}]
    )
    answer = page.request.get(f"{ui.base_url}/api/v1/applications")
    assert answer.status == 401


def test_login_refuses_foreign_return_urls_and_a_callback_without_a_login(
    page: Any, ui: ApiServerProcess, sso: dict[str, str]
) -> None:
    del sso  # SSO configured
    redirect = page.request.get(
        f"{ui.base_url}/auth/login?return_url=https://evil.example/applications", max_redirects=0
    )
    assert redirect.status == 400
    assert "Invalid return_url" in redirect.json()["message"]
    page.goto(f"{ui.base_url}/auth/callback?code=stolen&state=guess")
    expect(page.get_by_role("alert")).to_have_text(
        "no login in progress (the oauthstate cookie is missing)"
    )
    page.get_by_role("link", name="Back to the login page").click()
    expect(page.get_by_role("link", name="Log in via Keycloak")).to_be_visible()


def _kid(token: str) -> str:
    header = token.split(".", maxsplit=1)[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def test_a_signing_key_rotated_at_keycloak_is_followed_without_a_restart(
    page: Any, ui: ApiServerProcess, keycloak: Keycloak, sso: dict[str, str], browser: Any
) -> None:
    sign_in_with_keycloak(page, ui, keycloak, DANA)
    before = next(c["value"] for c in page.context.cookies() if c["name"] == "argocd.token")
    new_kid = keycloak.rotate_signing_key(sso["realm"])
    assert _kid(before) != new_kid
    later = browser.new_context()
    try:
        fresh = later.new_page()
        sign_in_with_keycloak(fresh, ui, keycloak, DANA)
        after = next(c["value"] for c in later.cookies() if c["name"] == "argocd.token")
        assert _kid(after) == new_kid  # signed with the new key, which the server fetched
        info = fresh.request.get(f"{ui.base_url}/api/v1/session/userinfo").json()
        assert info["groups"] == ["devs"]
    finally:
        later.close()
    # The session signed with the previous key still works: Keycloak keeps publishing it.
    assert page.request.get(f"{ui.base_url}/api/v1/session/userinfo").json()["loggedIn"] is True
