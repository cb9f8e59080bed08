"""The two ways to run Kapstan's API, against the real cluster, both serving the resource tree
of the same kind of app:

- one process: ``kapstan server --with-controller`` (the controller runs inside the server and
  they share the snapshot store; no Redis);
- split: ``kapstan controller --redis`` publishes comparison snapshots to a real
  redis-server and two ``kapstan server --redis`` replicas read them.

Also: without ``--insecure`` the server speaks TLS with a certificate it generated into
``argocd-secret``, which a client can pin.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.redisserver import Redis
from kapstan.testing.waiting import wait_for
from tests.integration.api.conftest import Install

pytestmark = pytest.mark.cluster
WANTED = {"Deployment", "ReplicaSet", "Pod", "Service", "ConfigMap"}


@pytest.fixture
def fresh(kubectl: Kubectl, kubeconfig: Path, argocd: str, tmp_path: Path) -> Iterator[Install]:
    del argocd
    found = Install(kubectl, kubeconfig, tmp_path)
    try:
        yield found
    finally:
        found.close()


def _deploy(install: Install, server: ApiServerProcess) -> tuple[httpx2.Client, str]:
    http = install.client(server, install.login(server, "admin", install.admin_password()))
    body = install.app_body(
        "web", syncPolicy={"automated": {}, "syncOptions": ["CreateNamespace=true"]}
    )
    assert http.post("/api/v1/applications", json=body).status_code == 200
    return http, str(body["metadata"]["name"])


def _tree(http: httpx2.Client, name: str) -> dict[str, Any] | None:
    answer = http.get(f"/api/v1/applications/{name}/resource-tree")
    if answer.status_code != 200:
        return None
    tree: dict[str, Any] = answer.json()
    kinds = {n["kind"] for n in tree.get("nodes", [])}
    return tree if kinds >= WANTED else None


def _uids(tree: dict[str, Any]) -> set[str]:
    return {n["uid"] for n in tree["nodes"]}


def test_one_process_mode_serves_the_tree(fresh: Install) -> None:
    server = fresh.start_server("--with-controller")
    http, name = _deploy(fresh, server)
    with contextlib.closing(http):
        tree = wait_for("the tree from the in-process controller", lambda: _tree(http, name), 90)
        managed = http.get(f"/api/v1/applications/{name}/managed-resources").json()["items"]
        assert {i["kind"] for i in managed} >= {"Deployment", "Service", "ConfigMap"}
        assert _uids(tree)


def test_split_mode_two_replicas_read_snapshots_from_redis(fresh: Install, redis: Redis) -> None:
    fresh.start_controller(redis=redis)
    first = fresh.start_server(redis=redis)
    second = fresh.start_server(redis=redis)
    http, name = _deploy(fresh, first)
    other = fresh.client(second, fresh.login(second, "admin", fresh.admin_password()))
    with contextlib.closing(http), contextlib.closing(other):
        one = wait_for("the tree on the first replica", lambda: _tree(http, name), 90)
        two = wait_for("the same tree on the second", lambda: _tree(other, name), 30)
        assert _uids(one) <= _uids(two) or _uids(two) <= _uids(one)


def test_split_mode_without_redis_says_what_to_do(fresh: Install) -> None:
    fresh.start_controller()
    server = fresh.start_server()
    http, name = _deploy(fresh, server)
    with contextlib.closing(http):
        answer = http.get(f"/api/v1/applications/{name}/resource-tree")
        assert answer.status_code == 503
        assert answer.json()["code"] == 14
        assert "--with-controller" in answer.json()["message"]


def test_tls_with_the_certificate_generated_into_argocd_secret(fresh: Install) -> None:
    server = fresh.start_server(insecure=False)
    secret = fresh.kubectl.get_json("secret", "argocd-secret", "-n", fresh.ns)
    cert = base64.b64decode(secret["data"]["tls.crt"])
    with server.client(ca_pem=cert) as https:
        answer = https.get("/api/version")
        assert answer.status_code == 200
        assert answer.json()["Version"].startswith("v")
    # A restart serves the same certificate (it was stored, not regenerated).
    server.stop()
    again = fresh.start_server(insecure=False)
    with again.client(ca_pem=cert) as https:
        assert https.get("/healthz").status_code == 200


def test_sessions_renew_near_expiry_and_logout_holds_on_every_replica(
    fresh: Install, redis: Redis
) -> None:
    """With sessions shorter than Argo CD's 5-minute renewal window every authenticated
    answer hands back a fresh ``argocd.token`` cookie; a logout on one replica revokes that
    token on the other within seconds (shared through Redis), and the renewed one still works."""
    fresh.argo.set_argocd_cm({"users.session.duration": "4m"})
    first = fresh.start_server(redis=redis)
    second = fresh.start_server(redis=redis)
    token = fresh.login(first, "admin", fresh.admin_password())
    with first.client() as one, second.client() as two:
        answer = one.get("/api/v1/applications", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        renewed = answer.cookies.get("argocd.token")
        assert renewed
        assert renewed != token
        assert "httponly" in answer.headers["set-cookie"].lower()
        with second.client(cookies={"argocd.token": renewed}) as browser:
            assert browser.get("/api/v1/session/userinfo").json()["loggedIn"]

        assert (
            one.delete("/api/v1/session", headers={"Authorization": f"Bearer {token}"}).status_code
            == 200
        )
        refused = one.get("/api/v1/applications", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
        assert refused.json()["code"] == 16
        wait_for(
            "the logout on the other replica",
            lambda: (
                two.get(
                    "/api/v1/applications", headers={"Authorization": f"Bearer {token}"}
                ).status_code
                == 401
            ),
            10,
        )
        still = two.get("/api/v1/applications", headers={"Authorization": f"Bearer {renewed}"})
        assert still.status_code == 200, still.text


def test_login_throttle_holds_across_replicas(fresh: Install, redis: Redis) -> None:
    """Five bad passwords spread over two replicas: the sixth attempt is refused on either,
    with the right password (the counts are shared through Redis, as Argo CD's)."""
    first = fresh.start_server(redis=redis)
    second = fresh.start_server(redis=redis)
    bad = {"username": "admin", "password": "not-the-password"}
    good = {"username": "admin", "password": fresh.admin_password()}
    with first.client() as one, second.client() as two:
        for replica in (one, two, one, two, one):
            assert replica.post("/api/v1/session", json=bad).status_code == 401
        for replica in (two, one):
            refused = replica.post("/api/v1/session", json=good)
            assert refused.status_code == 401, refused.text
            assert refused.json()["message"] == "Invalid username or password"
