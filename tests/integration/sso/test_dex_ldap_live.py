"""Single sign-on through the bundled Dex with its LDAP connector against a real slapd, in
Chromium: the login page's SSO link, ``/api/dex`` served through ``kapstan server``, Dex's
own LDAP login form, back on the applications list with Dex's ID token as the session; the
LDAP groups (Dex's ``groups`` claim) map to roles through argocd-rbac-cm, so an ``admins``
member may sync and a ``devs`` member is refused; a wrong LDAP password gets Dex's error.

The set-up is what an operator writes (docs/sso.md uses the same snippets): argocd-cm ``url``
and ``dex.config`` with an ``ldap`` connector whose bind DN comes from a labelled Secret
(``$kapstan-ldap:bindDN``) and bind password from argocd-secret (``$dex.ldap.bindPW``), and
argocd-rbac-cm ``policy.csv``; ``kapstan dex`` and ``kapstan server --dex-server`` run as two
processes, as Argo CD's dex server and API server do.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import expect

from kapstan.demo.children import kapstan_argv
from kapstan.localcluster import process
from kapstan.localcluster.ports import free_port
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.waiting import wait_for
from tests.integration.sso.conftest import ALICE, BOB, DexProcess
from tests.integration.sso.slapd import ADMIN_DN, GROUPS, PEOPLE, LdapUser, Slapd
from tests.integration.ui.conftest import Install

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

RBAC = "g, admins, role:admin\ng, devs, role:readonly\n"


def dex_config(slapd: Slapd, name: str = "OpenLDAP") -> str:
    connector = {
        "type": "ldap",
        "id": "ldap",
        "name": name,
        "config": {
            "host": slapd.host,
            "insecureNoSSL": True,
            "bindDN": "$kapstan-ldap:bindDN",
            "bindPW": "$dex.ldap.bindPW",
            "usernamePrompt": "Username",
            "userSearch": {
                "baseDN": PEOPLE,
                "filter": "(objectClass=inetOrgPerson)",
                "username": "uid",
                "idAttr": "uid",
                "emailAttr": "mail",
                "nameAttr": "cn",
            },
            "groupSearch": {
                "baseDN": GROUPS,
                "filter": "(objectClass=groupOfNames)",
                "userMatchers": [{"userAttr": "DN", "groupAttr": "member"}],
                "nameAttr": "cn",
            },
        },
    }
    return yaml.safe_dump({"connectors": [connector]}, sort_keys=False)


@pytest.fixture(scope="module")
def ldap_sso(install: Install, dex: DexProcess, dex_ui: ApiServerProcess, slapd: Slapd) -> str:
    """The installation configured for Dex's LDAP connector; the app both users see."""
    patch = {"stringData": {"dex.ldap.bindPW": slapd.admin_password}}
    install.kubectl(
        "patch", "secret", "argocd-secret", "-n", install.ns, "--type", "merge",
        "-p", json.dumps(patch),
    )  # fmt: skip
    install.argo.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "kapstan-ldap",
                "labels": {"app.kubernetes.io/part-of": "argocd"},
            },
            "stringData": {"bindDN": ADMIN_DN},
        }
    )
    install.argo.set_argocd_cm({"url": dex_ui.base_url, "dex.config": dex_config(slapd)})
    install.argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm"},
            "data": {"policy.csv": RBAC},
        }
    )
    dex.wait_for_line(f"Dex serves {dex_ui.base_url}/api/dex")
    with dex_ui.client() as http:
        wait_for(
            "dex.config's connectors in the settings",
            lambda: http.get("/api/v1/settings").json().get("dexConfig"),
        )
        settings = http.get("/api/v1/settings").json()
        discovery = http.get("/api/dex/.well-known/openid-configuration")
    assert settings["dexConfig"] == {"connectors": [{"name": "OpenLDAP", "type": "ldap"}]}
    assert "oidcConfig" not in settings
    assert discovery.status_code == 200, discovery.text
    assert discovery.json()["issuer"] == f"{dex_ui.base_url}/api/dex"
    token = install.login(dex_ui, "admin", install.admin_password())
    body = install.app_body("web")
    with contextlib.closing(install.client(dex_ui, token)) as http:
        answer = http.post("/api/v1/applications", json=body)
        assert answer.status_code == 200, answer.text
    return str(body["metadata"]["name"])


def sign_in_through_dex(page: Any, ui: ApiServerProcess, user: LdapUser, password: str) -> None:
    page.goto(f"{ui.base_url}/applications")
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_role("link", name="Log in via SSO").click()
    page.wait_for_url(re.compile(re.escape(ui.base_url) + r"/api/dex/auth/ldap"))
    page.get_by_label("Username").fill(user.uid)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Login").click()


def test_an_ldap_admin_signs_in_through_dex_and_may_sync(
    page: Any, dex_ui: ApiServerProcess, ldap_sso: str, dex: DexProcess, slapd: Slapd
) -> None:
    sign_in_through_dex(page, dex_ui, ALICE, ALICE.password)
    page.wait_for_url(f"{dex_ui.base_url}/applications")
    expect(page.get_by_text(f"Signed in as {ALICE.email}")).to_be_visible()
    info = page.request.get(f"{dex_ui.base_url}/api/v1/session/userinfo").json()
    assert info["loggedIn"] is True
    assert info["username"] == ALICE.email
    assert info["groups"] == ["admins"]
    assert info["iss"] == f"{dex_ui.base_url}/api/dex"
    synced = page.request.post(f"{dex_ui.base_url}/api/v1/applications/{ldap_sso}/sync", data={})
    assert synced.status == 200, synced.text()
    cookie = next(c for c in page.context.cookies() if c["name"] == "argocd.token")
    for log in (dex_ui.output(), dex.output()):
        assert cookie["value"] not in log  # tokens are never logged
        assert slapd.admin_password not in log  # nor the resolved bind password
        assert ALICE.password not in log


def test_an_ldap_devs_member_signs_in_through_dex_and_is_refused_a_sync(
    page: Any, dex_ui: ApiServerProcess, ldap_sso: str, install: Install
) -> None:
    sign_in_through_dex(page, dex_ui, BOB, BOB.password)
    page.wait_for_url(f"{dex_ui.base_url}/applications")
    tile = page.locator(f'[data-app="{install.ns}/{ldap_sso}"]')
    expect(tile.get_by_role("link", name=ldap_sso)).to_be_visible()  # role:readonly sees it
    info = page.request.get(f"{dex_ui.base_url}/api/v1/session/userinfo").json()
    assert (info["username"], info["groups"]) == (BOB.email, ["devs"])
    refused = page.request.post(f"{dex_ui.base_url}/api/v1/applications/{ldap_sso}/sync", data={})
    assert (refused.status, refused.json()["code"]) == (403, 7)
    assert refused.json()["message"].startswith("permission denied")


def test_a_wrong_ldap_password_is_refused_with_dexs_error(
    page: Any, dex_ui: ApiServerProcess, ldap_sso: str
) -> None:
    del ldap_sso  # configured
    sign_in_through_dex(page, dex_ui, ALICE, "not-" + ALICE.password)
    expect(page.get_by_text("Invalid Username and password.")).to_be_visible()
    assert "/api/dex/auth/ldap" in page.url
    assert not [c for c in page.context.cookies() if c["name"] == "argocd.token"]
    answer = page.request.get(f"{dex_ui.base_url}/api/v1/session/userinfo").json()
    assert answer.get("loggedIn", False) is False  # Argo CD's JSON leaves false out


def _dex_child_config(dex: DexProcess) -> Path:
    """The configuration file the ``kapstan dex`` of ``dex`` started Dex with."""
    for pid in process.processes_mentioning("kapstan-dex-"):
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if len(argv) >= 3 and argv[1] == b"serve":
            path = Path(argv[2].decode())
            if f"127.0.0.1:{dex.port}" in path.read_text():
                return path
    raise AssertionError(f"no Dex child of kapstan dex on port {dex.port}")


def test_dex_gets_a_private_config_and_restarts_when_dex_config_changes(
    install: Install, dex: DexProcess, dex_ui: ApiServerProcess, ldap_sso: str, slapd: Slapd
) -> None:
    del ldap_sso  # configured
    config = _dex_child_config(dex)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    rendered = yaml.safe_load(config.read_text())
    assert rendered["connectors"][0]["config"]["bindDN"] == ADMIN_DN  # $kapstan-ldap:bindDN
    assert [c["id"] for c in rendered["staticClients"]] == ["argo-cd", "argo-cd-cli"]
    mark = len(dex.output())
    install.argo.set_argocd_cm(
        {"url": dex_ui.base_url, "dex.config": dex_config(slapd, name="Corporate LDAP")}
    )
    dex.wait_for_line(f"Dex serves {dex_ui.base_url}/api/dex", after=mark)
    with dex_ui.client() as http:
        wait_for(
            "the renamed connector in the settings",
            lambda: (
                http.get("/api/v1/settings").json()["dexConfig"]["connectors"][0]["name"]
                == "Corporate LDAP"
            ),
        )
    # A broken dex.config is reported and the running Dex keeps serving the last good one.
    mark = len(dex.output())
    install.argo.set_argocd_cm({"url": dex_ui.base_url, "dex.config": "connectors: [oops"})
    dex.wait_for_line("dex.config not applied, the running Dex is kept", after=mark)
    assert "dex.config is not valid YAML" in dex.output()[mark:]
    with dex_ui.client() as http:
        assert http.get("/api/dex/.well-known/openid-configuration").status_code == 200
    # A configuration Dex itself refuses: Dex's reason is logged, the previous one runs again.
    mark = len(dex.output())
    bad = yaml.safe_dump({"connectors": [{"type": "no-such-connector", "id": "x", "name": "X"}]})
    install.argo.set_argocd_cm({"url": dex_ui.base_url, "dex.config": bad})
    dex.wait_for_line("the previous Dex configuration is running again", after=mark, timeout=90)
    assert "Dex refused the new configuration" in dex.output()[mark:]
    with dex_ui.client() as http:
        assert http.get("/api/dex/.well-known/openid-configuration").status_code == 200
    mark = len(dex.output())
    install.argo.set_argocd_cm({"url": dex_ui.base_url, "dex.config": dex_config(slapd)})
    dex.wait_for_line(f"Dex serves {dex_ui.base_url}/api/dex", after=mark)


def test_stopping_kapstan_dex_stops_dex_and_removes_its_config(
    install: Install, dex_ui: ApiServerProcess, ldap_sso: str
) -> None:
    del ldap_sso  # configured
    second = DexProcess(install)
    try:
        second.wait_for_line(f"Dex serves {dex_ui.base_url}/api/dex")
        config = _dex_child_config(second)
    finally:
        second.stop()
    assert not config.parent.exists()
    wait_for("Dex to be gone", lambda: not _dex_pids(config), 10)


def _dex_pids(config: Path) -> list[int]:
    return process.processes_mentioning(str(config))


def test_a_server_whose_dex_is_down_or_off_says_so(install: Install, ldap_sso: str) -> None:
    del ldap_sso  # configured
    dead = f"http://127.0.0.1:{free_port()}"
    down = install.start_server("--dex-server", dead)
    off = install.start_server("--dex-server", "")
    try:
        with down.client() as http:
            answer = http.get("/api/dex/.well-known/openid-configuration")
        assert answer.status_code == 502
        assert f"Dex is unreachable at {dead}" in answer.text
        assert "kapstan dex" in answer.text
        with off.client() as http:
            answer = http.get("/api/dex/.well-known/openid-configuration")
        assert answer.status_code == 503
        assert "Dex is not enabled on this server" in answer.text
    finally:
        down.stop()
        off.stop()


def test_the_dex_proxy_refuses_an_oversized_body(dex_ui: ApiServerProcess, ldap_sso: str) -> None:
    del ldap_sso  # configured
    with dex_ui.client() as http:
        answer = http.post("/api/dex/token", content=b"x" * (1024 * 1024 + 1))
    assert answer.status_code == 413
    assert "larger than 1048576 bytes" in answer.text


def test_kapstan_login_sso_through_dex_then_commands_use_the_token(
    page: Any, dex_ui: ApiServerProcess, ldap_sso: str, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    log = tmp_path / "login.log"
    server = f"127.0.0.1:{dex_ui.port}"
    # Dex accepts only the CLI client's exact redirect URIs: the default port, 8085.
    wait_for("port 8085 to be free for the CLI's callback", lambda: _free(8085), 60)
    argv = kapstan_argv(
        "login", server, "--plaintext", "--sso", "--no-sso-launch-browser",
        "--config", str(config),
    )  # fmt: skip
    handle = process.spawn(
        "kapstan-login", argv, log=log, env=dict(os.environ), die_with_parent=True
    )
    try:
        url = wait_for(
            "the sign-in URL printed",
            lambda: re.search(r"^(http\S+/api/dex/auth\?\S+)$", log.read_text(), re.M),
            60,
        )[1]
        assert "client_id=argo-cd-cli" in url
        page.goto(url)
        page.get_by_label("Username").fill(BOB.uid)
        page.get_by_label("Password").fill(BOB.password)
        page.get_by_role("button", name="Login").click()
        expect(page.get_by_text("Authentication successful")).to_be_visible()
        wait_for("the CLI to finish", lambda: not handle.alive(), 60)
    finally:
        process.stop(handle)
    printed = log.read_text()
    assert f"'{BOB.email}' logged in successfully" in printed, printed
    stored = yaml.safe_load(config.read_text())
    user = next(u for u in stored["users"] if u["name"] == server)
    assert user["refresh-token"]  # offline_access: Dex gave one
    assert user["auth-token"] not in printed
    listed = process.run(
        kapstan_argv("app", "list", "--config", str(config)),
        log=tmp_path / "list.log", env=dict(os.environ), timeout=120,
    )  # fmt: skip
    assert ldap_sso in listed
    denied = tmp_path / "sync.log"
    with pytest.raises(process.CommandError):
        process.run(
            kapstan_argv("app", "sync", ldap_sso, "--config", str(config)),
            log=denied, env=dict(os.environ), timeout=120,
        )  # fmt: skip
    assert "permission denied" in denied.read_text()  # bob is in devs: role:readonly


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
