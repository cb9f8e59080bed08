"""``kapstan login SERVER --sso`` against a real Keycloak: the CLI prints the sign-in URL and
waits on its 127.0.0.1 callback port; the browser step is done in Chromium (Keycloak's own
page); the ID token and refresh token land in the CLI's config, later commands use them, and
a token close to expiry is refreshed before it is used."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import expect

from kapstan.demo.children import kapstan_argv
from kapstan.localcluster import process
from kapstan.localcluster.ports import free_port
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.keycloak import Keycloak, User
from kapstan.testing.waiting import wait_for
from tests.integration.keycloak_fixture import keycloak
from tests.integration.ui.conftest import Install

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
__all__ = ["keycloak"]

CARL = User("carl", secrets.token_urlsafe(12), ("devs",), "Carl", "Cli")


@pytest.fixture(scope="module")
def cli_sso(install: Install, ui: ApiServerProcess, keycloak: Keycloak) -> dict[str, Any]:
    realm = f"cli-{uuid.uuid4().hex[:6]}"
    port = free_port()
    secret = secrets.token_urlsafe(24)
    # Two minutes of token life: less than the CLI's refresh margin, so the next command
    # refreshes.
    keycloak.create_realm(
        realm,
        client_id="kapstan",
        client_secret=secret,
        redirect_uris=[f"{ui.base_url}/auth/callback"],
        users=[CARL],
        token_lifespan=120,
    )
    keycloak.add_public_client(realm, "kapstan-cli", [f"http://127.0.0.1:{port}/auth/callback"])
    patch = {"stringData": {"oidc.keycloak.clientSecret": secret}}
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
    config = (
        f"name: Keycloak\nissuer: {keycloak.issuer(realm)}\nclientID: kapstan\n"
        "clientSecret: $oidc.keycloak.clientSecret\ncliClientID: kapstan-cli\n"
        "requestedScopes: [openid, profile, email, groups]\n"
    )
    install.argo.set_argocd_cm({"url": ui.base_url, "oidc.config": config})
    install.argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm"},
            "data": {"policy.csv": "g, devs, role:readonly\n"},
        }
    )
    with ui.client() as http:
        wait_for(
            "cliClientID in the settings",
            lambda: (http.get("/api/v1/settings").json().get("oidcConfig") or {}).get(
                "cliClientID"
            ),
        )
    token = install.login(ui, "admin", install.admin_password())
    body = install.app_body("web")
    with contextlib.closing(install.client(ui, token)) as http:
        assert http.post("/api/v1/applications", json=body).status_code == 200
    return {"port": port, "app": str(body["metadata"]["name"])}


def _kapstan(config: Path, *args: str, log: Path) -> str:
    return process.run(
        kapstan_argv(*args, "--config", str(config)), log=log, env=dict(os.environ), timeout=120
    )


def test_kapstan_login_sso_through_keycloak_then_commands_use_and_refresh_the_token(
    page: Any, ui: ApiServerProcess, cli_sso: dict[str, Any], tmp_path: Path
) -> None:
    config = tmp_path / "config"
    log = tmp_path / "login.log"
    server = f"127.0.0.1:{ui.port}"
    argv = kapstan_argv(
        "login",
        server,
        "--plaintext",
        "--sso",
        "--sso-port",
        str(cli_sso["port"]),
        "--no-sso-launch-browser",
        "--config",
        str(config),
    )
    handle = process.spawn(
        "kapstan-login", argv, log=log, env=dict(os.environ), die_with_parent=True
    )
    try:
        url = wait_for(
            "the sign-in URL printed",
            lambda: re.search(
                r"^(http\S+/protocol/openid-connect/auth\?\S+)$", log.read_text(), re.M
            ),
            60,
        )[1]
        page.goto(url)
        page.get_by_label("Username or email").fill(CARL.username)
        page.get_by_label("Password", exact=True).fill(CARL.password)
        page.get_by_role("button", name="Sign In").click()
        expect(page.get_by_text("Authentication successful")).to_be_visible()
        wait_for("the CLI to finish", lambda: not handle.alive(), 60)
    finally:
        process.stop(handle)
    printed = log.read_text()
    assert "'carl@kapstan.test' logged in successfully" in printed, printed
    stored = yaml.safe_load(config.read_text())
    user = next(u for u in stored["users"] if u["name"] == server)
    first = user["auth-token"]
    assert user["refresh-token"]
    assert first not in printed  # tokens are never printed

    time.sleep(1)  # a refreshed token has a later iat, so it differs from the first
    listed = _kapstan(config, "app", "list", log=tmp_path / "list.log")
    assert cli_sso["app"] in listed
    refreshed = next(u for u in yaml.safe_load(config.read_text())["users"] if u["name"] == server)
    assert refreshed["auth-token"] != first  # under 5 minutes left: refreshed before use
    denied = tmp_path / "sync.log"
    with pytest.raises(process.CommandError):
        _kapstan(config, "app", "sync", cli_sso["app"], log=denied)
    assert "permission denied" in denied.read_text()
