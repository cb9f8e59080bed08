"""A real Keycloak (``make keycloak`` installs it, :mod:`kapstan.localcluster.keycloak`) for the
SSO tests: ``kc.sh start-dev`` on 127.0.0.1 with an in-memory database and a random admin
password, and realms set up through its admin REST API as an operator would.

Contract: :func:`keycloak_server` yields a running :class:`Keycloak` and stops it on exit
(the process also dies with the test run); it raises RuntimeError naming the fix when the
distribution is missing or Keycloak does not answer within :data:`START_TIMEOUT`.
:meth:`Keycloak.create_realm` makes a realm with a confidential OIDC client (its redirect
URIs exact), a ``groups`` client scope whose mapper puts the user's group names in the
``groups`` claim of ID tokens (Argo CD's documented Keycloak set-up), the groups, and users
with passwords and names (so no "update your profile" step interrupts a login).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from kapstan.localcluster import keycloak as distribution
from kapstan.localcluster.ports import free_port
from kapstan.localcluster.process import ProcessHandle, spawn, stop

START_TIMEOUT = 300.0  # seconds: a first start-dev builds Quarkus (85 s measured under load)


@dataclass(frozen=True)
class User:
    username: str
    password: str = field(repr=False)
    groups: tuple[str, ...] = ()
    first_name: str = "Test"
    last_name: str = "User"

    @property
    def email(self) -> str:
        return f"{self.username}@kapstan.test"


@dataclass
class Keycloak:
    base_url: str
    admin_password: str = field(repr=False)
    handle: ProcessHandle | None = None
    log: Path | None = None

    def issuer(self, realm: str) -> str:
        return f"{self.base_url}/realms/{realm}"

    def admin(self) -> httpx2.Client:
        """An HTTP client with a fresh admin token (master realm, admin-cli)."""
        with httpx2.Client(base_url=self.base_url, timeout=30) as http:
            answer = http.post(
                "/realms/master/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "admin-cli",
                    "username": "admin",
                    "password": self.admin_password,
                },
            )
        answer.raise_for_status()
        token = answer.json()["access_token"]
        return httpx2.Client(
            base_url=f"{self.base_url}/admin/realms",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    def create_realm(
        self,
        realm: str,
        *,
        client_id: str,
        client_secret: str,
        redirect_uris: Sequence[str],
        users: Sequence[User],
        token_lifespan: int = 3600,
        post_logout_redirect_uris: Sequence[str] = ("+",),
    ) -> None:
        with self.admin() as http:
            _ok(
                http.post(
                    "",
                    json={"realm": realm, "enabled": True, "accessTokenLifespan": token_lifespan},
                )
            )
            base = f"/{realm}"
            _ok(http.post(f"{base}/client-scopes", json=_groups_scope()))
            scope_id = _find(http.get(f"{base}/client-scopes").json(), "name", "groups")
            client = _client(client_id, client_secret, redirect_uris, post_logout_redirect_uris)
            _ok(http.post(f"{base}/clients", json=client))
            client_uuid = _find(
                http.get(f"{base}/clients", params={"clientId": client_id}).json(),
                "clientId",
                client_id,
            )
            _ok(http.put(f"{base}/clients/{client_uuid}/default-client-scopes/{scope_id}"))
            for group in sorted({g for u in users for g in u.groups}):
                _ok(http.post(f"{base}/groups", json={"name": group}))
            for user in users:
                _ok(http.post(f"{base}/users", json=_user(user)))

    def add_public_client(self, realm: str, client_id: str, redirect_uris: Sequence[str]) -> None:
        """A public client (PKCE, no secret: a CLI's) with the ``groups`` scope."""
        with self.admin() as http:
            base = f"/{realm}"
            body = {**_client(client_id, "", redirect_uris), "publicClient": True}
            body.pop("secret")
            _ok(http.post(f"{base}/clients", json=body))
            scope_id = _find(http.get(f"{base}/client-scopes").json(), "name", "groups")
            found = http.get(f"{base}/clients", params={"clientId": client_id}).json()
            client = _find(found, "clientId", client_id)
            _ok(http.put(f"{base}/clients/{client}/default-client-scopes/{scope_id}"))

    def rotate_signing_key(self, realm: str) -> str:
        """A new RS256 key with a higher priority than any other, as an operator rotates keys:
        new tokens are signed with it; its ``kid``."""
        with self.admin() as http:
            base = f"/{realm}"
            realm_id = http.get(base).json()["id"]
            component = {
                "name": f"rotated-{secrets.token_hex(3)}",
                "providerId": "rsa-generated",
                "providerType": "org.keycloak.keys.KeyProvider",
                "parentId": realm_id,
                "config": {"priority": ["1000"], "keySize": ["2048"], "algorithm": ["RS256"]},
            }
            _ok(http.post(f"{base}/components", json=component))
            keys = http.get(f"{base}/keys").json()
            return str(keys["active"]["RS256"])

    def set_user_groups(self, realm: str, username: str, groups: Sequence[str]) -> None:
        """Replace a user's group memberships (an operator moving someone between teams)."""
        with self.admin() as http:
            base = f"/{realm}"
            user = _find(
                http.get(f"{base}/users", params={"username": username, "exact": "true"}).json(),
                "username",
                username,
            )
            all_groups = {g["name"]: g["id"] for g in http.get(f"{base}/groups").json()}
            for current in http.get(f"{base}/users/{user}/groups").json():
                _ok(http.delete(f"{base}/users/{user}/groups/{current['id']}"))
            for group in groups:
                _ok(http.put(f"{base}/users/{user}/groups/{all_groups[group]}"))


def _ok(answer: httpx2.Response) -> None:
    if answer.status_code >= 300:
        raise RuntimeError(
            f"Keycloak {answer.request.method} {answer.request.url.path}: "
            f"{answer.status_code} {answer.text[:300]}"
        )


def _find(items: list[dict[str, Any]], key: str, value: str) -> str:
    for item in items:
        if item.get(key) == value:
            return str(item["id"])
    raise RuntimeError(f"Keycloak has no {key}={value}")


def _groups_scope() -> dict[str, Any]:
    return {
        "name": "groups",
        "protocol": "openid-connect",
        "attributes": {"include.in.token.scope": "true", "display.on.consent.screen": "false"},
        "protocolMappers": [
            {
                "name": "groups",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-group-membership-mapper",
                "config": {
                    "full.path": "false",
                    "id.token.claim": "true",
                    "access.token.claim": "true",
                    "userinfo.token.claim": "true",
                    "claim.name": "groups",
                },
            }
        ],
    }


def _client(
    client_id: str,
    secret: str,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str] = ("+",),
) -> dict[str, Any]:
    return {
        "clientId": client_id,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": secret,
        "standardFlowEnabled": True,
        "directAccessGrantsEnabled": False,
        "redirectUris": list(redirect_uris),
        "attributes": {
            "post.logout.redirect.uris": "##".join(post_logout_redirect_uris),
            "pkce.code.challenge.method": "S256",
        },
    }


def _user(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "enabled": True,
        "email": user.email,
        "emailVerified": True,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "credentials": [{"type": "password", "value": user.password, "temporary": False}],
        "groups": list(user.groups),
    }


def _answers(url: str) -> bool:
    with contextlib.suppress(httpx2.TransportError):
        return httpx2.get(url, timeout=5).status_code == 200
    return False


@contextlib.contextmanager
def keycloak_server(work: Path, env: Mapping[str, str] | None = None) -> Iterator[Keycloak]:
    """A running Keycloak (see the module contract)."""
    if not distribution.installed():
        raise RuntimeError(
            f"Keycloak is not installed in {distribution.home()}: run `make keycloak`"
        )
    work.mkdir(parents=True, exist_ok=True)
    port, management = free_port(), free_port()
    password = secrets.token_urlsafe(16)
    log = work / "keycloak.log"
    argv = [
        str(distribution.home() / "bin" / "kc.sh"),
        "start-dev",
        "--db=dev-mem",
        "--http-host=127.0.0.1",
        f"--http-port={port}",
        f"--http-management-port={management}",
    ]
    child_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(work)),
        "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
        "KC_BOOTSTRAP_ADMIN_PASSWORD": password,
        **(env or {}),
    }
    if "JAVA_HOME" in os.environ:
        child_env["JAVA_HOME"] = os.environ["JAVA_HOME"]
    handle = spawn("keycloak", argv, log=log, env=child_env, die_with_parent=True)
    server = Keycloak(f"http://127.0.0.1:{port}", password, handle, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        ready = f"{server.base_url}/realms/master/.well-known/openid-configuration"
        while not _answers(ready):
            if not handle.alive():
                raise RuntimeError(f"Keycloak exited during start-up; see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Keycloak did not answer in {START_TIMEOUT:.0f}s; see {log}")
            time.sleep(1)
        yield server
    finally:
        stop(handle, grace=15)


__all__ = ["Keycloak", "User", "keycloak_server"]
