"""Dex's own password database (``enablePasswordDB`` with ``staticPasswords`` in argocd-cm
``dex.config``, passed through to Dex as Argo CD does), beside an LDAP connector, in Chromium:
Dex offers both, the user picks "Log in with Email", signs in with a static password and lands
on the applications list. A static user has no groups, so argocd-rbac-cm ``scopes: '[groups,
email]'`` maps the email claim to a subject, and ``g, <email>, role:admin`` lets that user
sync; another static user, in no policy, is refused.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from typing import Any

import bcrypt
import pytest
import yaml
from playwright.sync_api import expect

from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.waiting import wait_for
from tests.integration.sso.conftest import DexProcess
from tests.integration.sso.slapd import ADMIN_DN, Slapd
from tests.integration.sso.test_dex_ldap_live import dex_config
from tests.integration.ui.conftest import Install

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

CAROL, DAVE = "carol@example.com", "dave@example.com"
PASSWORDS = {CAROL: secrets.token_urlsafe(12), DAVE: secrets.token_urlsafe(12)}


def _static_config(slapd: Slapd) -> str:
    config = yaml.safe_load(dex_config(slapd))
    config["enablePasswordDB"] = True
    config["staticPasswords"] = [
        {
            "email": email,
            # Cost 10: Dex refuses cheaper hashes ("does not meet minimum cost").
            "hash": bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode(),
            "username": email.split("@")[0],
            "userID": f"id-{email.split('@')[0]}",
        }
        for email, password in PASSWORDS.items()
    ]
    return yaml.safe_dump(config, sort_keys=False)


@pytest.fixture(scope="module")
def static_sso(install: Install, dex: DexProcess, dex_ui: ApiServerProcess, slapd: Slapd) -> str:
    patch = {"stringData": {"dex.ldap.bindPW": slapd.admin_password}}
    install.kubectl(
        "patch", "secret", "argocd-secret", "-n", install.ns, "--type", "merge",
        "-p", json.dumps(patch),
    )  # fmt: skip
    install.argo.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "kapstan-ldap", "labels": {"app.kubernetes.io/part-of": "argocd"}},
            "stringData": {"bindDN": ADMIN_DN},
        }
    )
    install.argo.set_argocd_cm({"url": dex_ui.base_url, "dex.config": _static_config(slapd)})
    install.argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm"},
            "data": {"policy.csv": f"g, {CAROL}, role:admin\n", "scopes": "[groups, email]"},
        }
    )
    dex.wait_for_line(f"Dex serves {dex_ui.base_url}/api/dex")
    with dex_ui.client() as http:
        wait_for(
            "dex.config in the settings",
            lambda: http.get("/api/v1/settings").json().get("dexConfig"),
        )
    token = install.login(dex_ui, "admin", install.admin_password())
    body = install.app_body("web")
    with contextlib.closing(install.client(dex_ui, token)) as http:
        answer = http.post("/api/v1/applications", json=body)
        assert answer.status_code == 200, answer.text
    return str(body["metadata"]["name"])


def _sign_in(page: Any, ui: ApiServerProcess, email: str) -> None:
    page.goto(f"{ui.base_url}/applications")
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_role("link", name="Log in via SSO").click()
    page.get_by_role("button", name="Log in with Email").click()
    page.get_by_label("Email Address").fill(email)
    page.get_by_label("Password").fill(PASSWORDS[email])
    page.get_by_role("button", name="Login").click()
    page.wait_for_url(f"{ui.base_url}/applications")


@pytest.mark.parametrize(("email", "status"), [(CAROL, 200), (DAVE, 403)])
def test_a_static_dex_user_signs_in_and_the_email_claim_decides_the_role(
    page: Any, dex_ui: ApiServerProcess, static_sso: str, email: str, status: int
) -> None:
    _sign_in(page, dex_ui, email)
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
    info = page.request.get(f"{dex_ui.base_url}/api/v1/session/userinfo").json()
    assert info["loggedIn"] is True
    assert info["username"] == email
    synced = page.request.post(f"{dex_ui.base_url}/api/v1/applications/{static_sso}/sync", data={})
    assert synced.status == status, synced.text()
