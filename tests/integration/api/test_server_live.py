"""``kapstan server`` and ``kapstan controller`` as processes against the real cluster, driven
over HTTP with a plain client the way Argo CD's UI, CLI and scripts drive Argo CD:

- admin logs in with the generated initial password, creates an app, syncs it and watches it
  reach Synced/Healthy on the application stream (NDJSON and SSE); reads its resource tree,
  managed resources and events (with the audit entries naming admin); rolls back to the
  first revision; terminates a sync stuck on a hook; deletes with cascade;
- the same with an API key of a local account and with a project role token;
- a read-only user of one project gets 403 on sync and sees only that project's apps in
  the list and on the stream;
- the sixth bad password within the window is refused even with the right password.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.redisserver import Redis
from kapstan.testing.waiting import wait_for
from tests.integration.api.conftest import Install, Stream

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def server(install: Install, redis: Redis) -> ApiServerProcess:
    """Split mode: the controller publishes snapshots to Redis, the API server reads them."""
    install.argo.set_argocd_cm(
        {
            "accounts.ci": "apiKey",
            "accounts.viewer": "login",
        }
    )
    install.argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm"},
            "data": {
                "policy.csv": "p, ci, applications, *, default/*, allow\n"
                "p, viewer, applications, get, team-a/*, allow\n"
                "p, viewer, projects, get, team-a, allow\n"
            },
        }
    )
    install.argo.apply(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "team-a"},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"server": "*", "namespace": "*"}],
                "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
                "roles": [
                    {
                        "name": "deployer",
                        "policies": [
                            "p, proj:team-a:deployer, applications, get, team-a/*, allow",
                            "p, proj:team-a:deployer, applications, sync, team-a/*, allow",
                        ],
                    }
                ],
            },
        }
    )
    install.start_controller(redis=redis)
    return install.start_server(redis=redis)


@pytest.fixture(scope="module")
def admin(install: Install, server: ApiServerProcess) -> Iterator[httpx2.Client]:
    token = install.login(server, "admin", install.admin_password())
    with install.client(server, token) as http:
        yield http


def _get(http: httpx2.Client, name: str) -> dict[str, Any]:
    answer = http.get(f"/api/v1/applications/{name}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _synced_healthy(frames: list[dict[str, Any]]) -> bool:
    for frame in reversed(frames):
        status = (frame.get("application") or {}).get("status") or {}
        if (status.get("sync") or {}).get("status") == "Synced" and (
            status.get("health") or {}
        ).get("status") == "Healthy":
            return True
    return False


def _create(http: httpx2.Client, body: dict[str, Any]) -> str:
    answer = http.post("/api/v1/applications", json=body)
    assert answer.status_code == 200, answer.text
    return str(body["metadata"]["name"])


def _sync(http: httpx2.Client, name: str, **options: Any) -> dict[str, Any]:
    answer = http.post(f"/api/v1/applications/{name}/sync", json=options)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _operation_done(http: httpx2.Client, name: str, user: str) -> dict[str, Any] | None:
    app = _get(http, name)
    state = (app.get("status") or {}).get("operationState") or {}
    by = ((state.get("operation") or {}).get("initiatedBy") or {}).get("username")
    if by == user and state.get("finishedAt") and not app.get("operation"):
        return dict(state)
    return None


def test_admin_drives_an_app_over_http(
    install: Install, server: ApiServerProcess, admin: httpx2.Client
) -> None:
    name = _create(admin, install.app_body("web"))
    stream = Stream(
        server.client(headers=dict(admin.headers)), f"/api/v1/stream/applications?name={name}"
    )
    sse = Stream(
        server.client(cookies={"argocd.token": admin.headers["Authorization"].split()[1]}),
        f"/api/v1/stream/applications?name={name}",
        sse=True,
    )
    try:
        stream.wait("the ADDED event", lambda f: any(x.get("type") == "ADDED" for x in f))
        operation = _sync(admin, name, prune=True)
        assert operation["operation"]["initiatedBy"]["username"] == "admin"
        stream.wait("Synced/Healthy on the stream", _synced_healthy)
        sse.wait("Synced/Healthy on the SSE stream", _synced_healthy)
        assert sse.content_type.startswith("text/event-stream")
    finally:
        stream.close()
        sse.close()

    tree = wait_for(
        "the resource tree with the pod",
        lambda: _tree_kinds(admin, name) >= {"Deployment", "ReplicaSet", "Pod", "Service"},
        60,
    )
    assert tree
    managed = admin.get(f"/api/v1/applications/{name}/managed-resources").json()["items"]
    kinds = {item["kind"] for item in managed}
    assert {"Deployment", "Service", "ConfigMap"} <= kinds
    deployment = next(i for i in managed if i["kind"] == "Deployment")
    assert json.loads(deployment["liveState"])["metadata"]["name"] == "web"
    assert json.loads(deployment["targetState"])["kind"] == "Deployment"

    events = admin.get(f"/api/v1/applications/{name}/events").json()["items"]
    assert any("admin" in e.get("message", "") for e in events), events

    # Roll back: a second revision, synced, then back to the first by its history id.
    first = _get(admin, name)["status"]["sync"]["revision"]
    install.commit(2)
    assert _get(admin, f"{name}?refresh=normal")["status"]["sync"]["status"] == "OutOfSync"
    _sync(admin, name)
    wait_for("the second revision", lambda: _operation_done(admin, name, "admin"), 90)
    history = _get(admin, name)["status"]["history"]
    assert len(history) == 2
    answer = admin.post(f"/api/v1/applications/{name}/rollback", json={"id": history[0]["id"]})
    assert answer.status_code == 200, answer.text
    wait_for(
        "the rollback",
        lambda: (
            (_get(admin, name)["status"].get("operationState") or {})
            .get("syncResult", {})
            .get("revision")
            == first
            and _operation_done(admin, name, "admin")
        ),
        90,
    )
    live = install.kubectl.get_json("configmap", "settings", "-n", name)
    assert live["data"]["version"] == "1"

    # Delete with cascade: the app and what it deployed go.
    answer = admin.delete(f"/api/v1/applications/{name}?cascade=true")
    assert answer.status_code == 200, answer.text
    wait_for(
        "the app to go", lambda: admin.get(f"/api/v1/applications/{name}").status_code == 403, 90
    )
    wait_for(
        "the deployment to go",
        lambda: "web" not in install.kubectl("get", "deployments", "-n", name, "-o", "name"),
        90,
    )


def _tree_kinds(http: httpx2.Client, name: str) -> set[str]:
    answer = http.get(f"/api/v1/applications/{name}/resource-tree")
    assert answer.status_code == 200, answer.text
    return {node["kind"] for node in answer.json().get("nodes", [])}


def test_terminate_a_stuck_sync(install: Install, admin: httpx2.Client) -> None:
    name = _create(admin, install.app_body("stuck"))
    _sync(admin, name)
    wait_for(
        "the sync to wait on its hook",
        lambda: (_get(admin, name)["status"].get("operationState") or {}).get("phase") == "Running",
        60,
    )
    answer = admin.delete(f"/api/v1/applications/{name}/operation")
    assert answer.status_code == 200, answer.text
    state = wait_for("the termination", lambda: _operation_done(admin, name, "admin"), 60)
    assert state["phase"] in ("Failed", "Error"), state
    assert "after" not in install.kubectl("get", "configmaps", "-n", name, "-o", "name")
    again = admin.delete(f"/api/v1/applications/{name}/operation")
    assert again.status_code == 400
    assert again.json()["message"] == "Unable to terminate operation. No operation is in progress"
    admin.delete(f"/api/v1/applications/{name}?cascade=true")


def test_api_key_of_a_local_account(
    install: Install, server: ApiServerProcess, admin: httpx2.Client
) -> None:
    answer = admin.post("/api/v1/account/ci/token", json={"id": "pipeline"})
    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]
    body = install.app_body("web")
    created = body["metadata"]["name"]
    with install.client(server, token) as ci:
        wait_for(
            "the new key to verify",
            lambda: ci.post("/api/v1/applications", json=body).status_code == 200,
            30,
        )
        _sync(ci, created)
        wait_for("ci's sync", lambda: _operation_done(ci, created, "ci"), 90)
        # Revoked: deleting the record stops the key.
        assert admin.delete("/api/v1/account/ci/token/pipeline").status_code == 200
        wait_for("the revocation", lambda: ci.get("/api/v1/applications").status_code == 401, 30)
        assert ci.get("/api/v1/applications").json()["code"] == 16
        admin.delete(f"/api/v1/applications/{created}?cascade=true")


def test_project_role_token(
    install: Install, server: ApiServerProcess, admin: httpx2.Client
) -> None:
    mine = _create(admin, install.app_body("web", project="team-a"))
    other = _create(admin, install.app_body("web"))
    answer = admin.post("/api/v1/projects/team-a/roles/deployer/token", json={"id": "deploy-1"})
    assert answer.status_code == 200, answer.text
    with install.client(server, answer.json()["token"]) as deployer:
        wait_for(
            "the token to verify",
            lambda: deployer.get(f"/api/v1/applications/{mine}").status_code == 200,
            30,
        )
        _sync(deployer, mine)
        state = wait_for(
            "the role's sync", lambda: _operation_done(deployer, mine, "proj:team-a:deployer"), 90
        )
        assert state["phase"] == "Succeeded"
        denied = deployer.post(f"/api/v1/applications/{other}/sync", json={})
        assert (denied.status_code, denied.json()["code"]) == (403, 7)
    for app in (mine, other):
        admin.delete(f"/api/v1/applications/{app}?cascade=true")


def test_read_only_user_of_one_project(
    install: Install, server: ApiServerProcess, admin: httpx2.Client
) -> None:
    answer = admin.put(
        "/api/v1/account/password",
        json={
            "name": "viewer",
            "currentPassword": install.admin_password(),
            "newPassword": "Viewer-Pa55",
        },
    )
    assert answer.status_code == 200, answer.text
    visible = _create(admin, install.app_body("web", project="team-a"))
    hidden = _create(admin, install.app_body("web"))
    token = wait_for("viewer's login", lambda: _try_login(server, "viewer", "Viewer-Pa55"), 30)
    with install.client(server, token) as viewer:
        stream = Stream(install.client(server, token), "/api/v1/stream/applications")
        try:
            names = {
                a["metadata"]["name"] for a in viewer.get("/api/v1/applications").json()["items"]
            }
            assert visible in names
            assert hidden not in names
            denied = viewer.post(f"/api/v1/applications/{visible}/sync", json={})
            assert (denied.status_code, denied.json()["code"]) == (403, 7)
            # Argo CD's getAppEnforceRBAC: one answer for "absent" and "not allowed".
            assert denied.json()["message"] == "permission denied"
            admin.post(f"/api/v1/applications/{hidden}/sync", json={})
            admin.post(f"/api/v1/applications/{visible}/sync", json={})
            stream.wait(
                "a change of the visible app",
                lambda f: any(
                    x["type"] == "MODIFIED" and x["application"]["metadata"]["name"] == visible
                    for x in f
                ),
            )
            seen = {x["application"]["metadata"]["name"] for x in stream.results}
            assert hidden not in seen
        finally:
            stream.close()
    for app in (visible, hidden):
        admin.delete(f"/api/v1/applications/{app}?cascade=true")


def _try_login(server: ApiServerProcess, username: str, password: str) -> str | None:
    with server.client() as http:
        answer = http.post("/api/v1/session", json={"username": username, "password": password})
    return str(answer.json()["token"]) if answer.status_code == 200 else None


def test_sixth_bad_password_is_refused_even_when_right(
    install: Install, server: ApiServerProcess
) -> None:
    password = install.admin_password()
    with server.client() as http:
        for _ in range(5):
            bad = http.post("/api/v1/session", json={"username": "admin", "password": "wrong"})
            assert (bad.status_code, bad.json()["code"]) == (401, 16)
        started = time.monotonic()
        sixth = http.post("/api/v1/session", json={"username": "admin", "password": password})
        assert (sixth.status_code, sixth.json()["message"]) == (401, "Invalid username or password")
        assert time.monotonic() - started >= 0.4  # the same delay as a wrong password
