"""Dex's SAML 2.0 and OIDC connectors against a real Keycloak, in Chromium, with Dex run by
``kapstan server --with-dex`` itself (one-process mode): one ``dex.config``
with both (Dex then shows its connector choice), a Keycloak realm with a SAML client (signed
assertions, email NameID, ``email``/``name``/``groups`` attributes) and an OIDC client for
Dex; a user picks a connector on Dex's page, signs in on Keycloak's and lands on Kapstan's
applications list with their Keycloak groups as RBAC subjects."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import expect

from kapstan.localcluster.ports import free_port
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.keycloak import Keycloak, User
from kapstan.testing.waiting import wait_for
from tests.integration.keycloak_fixture import keycloak
from tests.integration.ui.conftest import Install

# Keycloak's first start takes up to a few minutes on a loaded machine (205 s measured), and the
# session's first test pays for it: more than the default 300 s per test.
pytestmark = [pytest.mark.cluster, pytest.mark.browser, pytest.mark.timeout(900)]
__all__ = ["keycloak"]

SARA = User("sara", secrets.token_urlsafe(12), ("admins",), "Sara", "Saml")
OLLIE = User("ollie", secrets.token_urlsafe(12), ("devs",), "Ollie", "Oidc")
RBAC = "g, admins, role:admin\ng, devs, role:readonly\n"
OIDC_CLIENT, SAML_CLIENT = "kapstan-dex", "kapstan-dex-saml"


def _saml_client(callback: str) -> dict[str, Any]:
    def attribute(name: str, mapper: str, **config: str) -> dict[str, Any]:
        return {
            "name": name,
            "protocol": "saml",
            "protocolMapper": mapper,
            "config": {"attribute.name": name, "attribute.nameformat": "Basic", **config},
        }

    return {
        "clientId": SAML_CLIENT,
        "protocol": "saml",
        "enabled": True,
        "redirectUris": [callback],
        "attributes": {
            "saml_assertion_consumer_url_post": callback,
            "saml.client.signature": "false",  # Dex does not sign its AuthnRequests
            "saml.server.signature": "true",
            "saml.assertion.signature": "true",
            "saml.authnstatement": "true",
            "saml_name_id_format": "email",
            "saml.force.name.id.format": "true",
        },
        "protocolMappers": [
            attribute("email", "saml-user-property-mapper", **{"user.attribute": "email"}),
            attribute("name", "saml-user-property-mapper", **{"user.attribute": "username"}),
            attribute(
                "groups", "saml-group-membership-mapper", **{"full.path": "false", "single": "true"}
            ),
        ],
    }


def _signing_certificate(keycloak: Keycloak, realm: str) -> str:
    """The realm's RS256 signing certificate as PEM (what Dex checks SAML signatures with)."""
    with keycloak.admin() as http:
        keys = http.get(f"/{realm}/keys").json()["keys"]
    der = next(
        k["certificate"] for k in keys if k.get("algorithm") == "RS256" and "certificate" in k
    )
    body = "\n".join(textwrap.wrap(der, 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


@pytest.fixture(scope="module")
def dex_ui(install: Install, dex_binary: Path) -> ApiServerProcess:
    """``kapstan server --with-controller --with-dex``: Dex inside the server process, at the
    ``--dex-server`` address (Argo CD's ``host:port`` form)."""
    del dex_binary  # built
    address = f"127.0.0.1:{free_port()}"
    return install.start_server("--with-controller", "--with-dex", "--dex-server", address)


@pytest.fixture(scope="module")
def keycloak_sso(install: Install, dex_ui: ApiServerProcess, keycloak: Keycloak) -> dict[str, str]:
    realm = f"dex-{uuid.uuid4().hex[:6]}"
    callback = f"{dex_ui.base_url}/api/dex/callback"
    secret = secrets.token_urlsafe(24)
    keycloak.create_realm(
        realm, client_id=OIDC_CLIENT, client_secret=secret, redirect_uris=[callback],
        users=[SARA, OLLIE],
    )  # fmt: skip
    with keycloak.admin() as http:
        answer = http.post(f"/{realm}/clients", json=_saml_client(callback))
        assert answer.status_code < 300, answer.text
    pem = _signing_certificate(keycloak, realm)
    connectors = [
        {
            "type": "saml",
            "id": "saml",
            "name": "Keycloak SAML",
            "config": {
                "ssoURL": f"{keycloak.issuer(realm)}/protocol/saml",
                "ssoIssuer": keycloak.issuer(realm),
                "entityIssuer": SAML_CLIENT,
                "caData": base64.b64encode(pem.encode()).decode(),
                "usernameAttr": "name",
                "emailAttr": "email",
                "groupsAttr": "groups",
                "nameIDPolicyFormat": "emailAddress",
            },
        },
        {
            "type": "oidc",
            "id": "keycloak",
            "name": "Keycloak OIDC",
            "config": {
                "issuer": keycloak.issuer(realm),
                "clientID": OIDC_CLIENT,
                "clientSecret": "$dex.keycloak.clientSecret",
                "scopes": ["profile", "email", "groups"],
                "insecureEnableGroups": True,
            },
        },
    ]
    patch = {"stringData": {"dex.keycloak.clientSecret": secret}}
    install.kubectl(
        "patch", "secret", "argocd-secret", "-n", install.ns, "--type", "merge",
        "-p", json.dumps(patch),
    )  # fmt: skip
    install.argo.set_argocd_cm(
        {"url": dex_ui.base_url, "dex.config": yaml.safe_dump({"connectors": connectors})}
    )
    install.argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm"},
            "data": {"policy.csv": RBAC},
        }
    )
    wait_for(
        "the server's Dex to start",
        lambda: f"Dex serves {dex_ui.base_url}/api/dex" in dex_ui.output(),
    )
    with dex_ui.client() as http:
        wait_for(
            "both connectors in the settings",
            lambda: len((http.get("/api/v1/settings").json().get("dexConfig") or {}).get(
                "connectors", []
            )) == 2,
        )  # fmt: skip
    token = install.login(dex_ui, "admin", install.admin_password())
    body = install.app_body("web")
    with contextlib.closing(install.client(dex_ui, token)) as http:
        answer = http.post("/api/v1/applications", json=body)
        assert answer.status_code == 200, answer.text
    return {"realm": realm, "app": str(body["metadata"]["name"]), "secret": secret}


def sign_in(
    page: Any, ui: ApiServerProcess, keycloak: Keycloak, connector: str, user: User
) -> None:
    page.goto(f"{ui.base_url}/login")
    page.get_by_role("link", name="Log in via SSO").click()
    page.get_by_role("button", name=f"Log in with {connector}").click()
    page.wait_for_url(re.compile(re.escape(keycloak.base_url) + r"/realms/"))
    page.get_by_label("Username or email").fill(user.username)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{ui.base_url}/applications")


def test_a_keycloak_admin_signs_in_through_dexs_saml_connector_and_may_sync(
    page: Any, dex_ui: ApiServerProcess, keycloak: Keycloak, keycloak_sso: dict[str, str]
) -> None:
    sign_in(page, dex_ui, keycloak, "Keycloak SAML", SARA)
    info = page.request.get(f"{dex_ui.base_url}/api/v1/session/userinfo").json()
    assert (info["loggedIn"], info["username"], info["groups"]) == (True, SARA.email, ["admins"])
    assert info["iss"] == f"{dex_ui.base_url}/api/dex"
    app = keycloak_sso["app"]
    synced = page.request.post(f"{dex_ui.base_url}/api/v1/applications/{app}/sync", data={})
    assert synced.status == 200, synced.text()


def test_a_keycloak_devs_member_signs_in_through_dexs_oidc_connector_and_is_refused(
    page: Any,
    dex_ui: ApiServerProcess,
    keycloak: Keycloak,
    keycloak_sso: dict[str, str],
) -> None:
    sign_in(page, dex_ui, keycloak, "Keycloak OIDC", OLLIE)
    expect(page.get_by_text(f"Signed in as {OLLIE.email}")).to_be_visible()
    info = page.request.get(f"{dex_ui.base_url}/api/v1/session/userinfo").json()
    assert (info["username"], info["groups"]) == (OLLIE.email, ["devs"])
    app = keycloak_sso["app"]
    refused = page.request.post(f"{dex_ui.base_url}/api/v1/applications/{app}/sync", data={})
    assert (refused.status, refused.json()["code"]) == (403, 7)
    assert "dex: " in dex_ui.output()  # Dex's own lines are in the server's log
    assert keycloak_sso["secret"] not in dex_ui.output()  # the resolved secret never is
