"""``GET/POST /api/v1/applications/{name}/resource/actions[/v2]``: listing and running
resource actions through the API, on FakeKube (the actions themselves are pinned by
tests/unit/engine/actions)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kapstan.testing.api import ApiHarness, Rules, bearer
from kapstan.testing.fakekube import FakeKube
from tests.unit.api.conftest import NS
from tests.unit.api.resources import APP_NS, Body, deployment, query, serve

ACTIONS = "/api/v1/applications/guestbook/resource/actions"
RULES = [("admin", "*", "*", "*"), ("bob", "applications", "*", "*/guestbook")]


def run(
    body: Body,
    *objects: dict[str, Any],
    cm: dict[str, str] | None = None,
    project_spec: dict[str, Any] | None = None,
    setup: Callable[[FakeKube], None] | None = None,
) -> None:
    serve(body, objects, cm=cm, project_spec=project_spec, setup=setup, rules=Rules(allow=RULES))


def _v2(obj: dict[str, Any], action: str, **params: str) -> dict[str, Any]:
    q = query(obj)
    return {
        "namespace": q["namespace"],
        "resourceName": q["resourceName"],
        "version": q["version"],
        "group": q["group"],
        "kind": q["kind"],
        "action": action,
        "resourceActionParameters": [{"name": k, "value": v} for k, v in params.items()],
    }


def _events(api: ApiHarness) -> list[str]:
    return [e["message"] for e in api.fake.objects("Event", group="", namespace=NS)]


def test_list_offers_the_builtin_actions() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.get(ACTIONS, params=query(stored[0]), headers=bearer("admin"))
        assert resp.status_code == 200, resp.text
        assert resp.json() == {
            "actions": [
                {"name": "restart"},
                {"name": "resume", "disabled": True},
                {"name": "scale", "params": [{"name": "replicas", "default": "2"}]},
            ]
        }

    run(body, deployment())


def test_restart_stamps_the_template_and_records_the_user() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        before = datetime.now(UTC).replace(microsecond=0)
        resp = await api.http.post(
            ACTIONS + "/v2", json=_v2(stored[0], "restart"), headers=bearer("bob")
        )
        assert resp.status_code == 200, resp.text
        assert resp.json() == {}
        live = api.fake.get_object("Deployment", "web", APP_NS, group="apps")
        stamp = live["spec"]["template"]["metadata"]["annotations"][
            "kubectl.kubernetes.io/restartedAt"
        ]
        assert datetime.fromisoformat(stamp.replace("Z", "+00:00")) >= before
        assert _events(api) == ["bob ran action restart on resource apps/Deployment/web"]

    run(body, deployment())


def test_v2_parameters_reach_the_action() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.post(
            ACTIONS + "/v2", json=_v2(stored[0], "scale", replicas="4"), headers=bearer("admin")
        )
        assert resp.status_code == 200, resp.text
        live = api.fake.get_object("Deployment", "web", APP_NS, group="apps")
        assert live["spec"]["replicas"] == 4
        bad = await api.http.post(
            ACTIONS + "/v2", json=_v2(stored[0], "scale", replicas="x"), headers=bearer("admin")
        )
        assert bad.status_code == 500
        assert bad.json()["code"] == 2
        assert "invalid number: x" in bad.json()["message"]

    run(body, deployment())


def test_v1_takes_the_action_name_as_a_json_string() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.post(
            ACTIONS, params=query(stored[0]), content='"pause"', headers=bearer("admin")
        )
        assert resp.status_code == 200, resp.text
        live = api.fake.get_object("Deployment", "web", APP_NS, group="apps")
        assert live["spec"]["paused"] is True

    run(body, deployment())


CRONJOB = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "report", "namespace": APP_NS},
    "spec": {
        "schedule": "@daily",
        "jobTemplate": {
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "r", "image": "busybox"}],
                    }
                }
            }
        },
    },
}


def test_create_job_creates_an_owned_job_after_a_dry_run() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.post(
            ACTIONS + "/v2", json=_v2(stored[0], "create-job"), headers=bearer("admin")
        )
        assert resp.status_code == 200, resp.text
        jobs = api.fake.objects("Job", namespace=APP_NS)
        assert len(jobs) == 1
        owner = jobs[0]["metadata"]["ownerReferences"][0]
        assert (owner["kind"], owner["name"], owner["uid"]) == (
            "CronJob",
            "report",
            stored[0]["metadata"]["uid"],
        )
        posts = [r for r in api.fake.requests if r.method == "POST" and r.path.endswith("/jobs")]
        assert [r.params.get("dryRun") for r in posts] == ["All", None]

    run(body, CRONJOB)


def test_the_project_must_permit_what_an_action_creates() -> None:
    spec = {
        "sourceRepos": ["*"],
        "destinations": [{"server": "*", "namespace": "*"}],
        "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        "namespaceResourceBlacklist": [{"group": "batch", "kind": "Job"}],
    }

    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.post(
            ACTIONS + "/v2", json=_v2(stored[0], "create-job"), headers=bearer("admin")
        )
        assert resp.status_code == 500
        assert "application is not permitted to manage batch/Job/report-" in resp.json()["message"]
        assert api.fake.objects("Job", namespace=APP_NS) == []
        assert _events(api) == []

    run(body, CRONJOB, project_spec=spec)


def test_a_custom_lua_action_from_argocd_cm() -> None:
    cm = {
        "resource.customizations.actions.apps_Deployment": (
            "mergeBuiltinActions: true\n"
            "discovery.lua: |\n"
            '  return {label = {displayName = "Label it"}}\n'
            "definitions:\n"
            "- name: label\n"
            "  action.lua: |\n"
            '    obj.metadata.labels = {by = actionParams["who"]}\n'
            "    return obj\n"
        )
    }

    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        listed = await api.http.get(ACTIONS, params=query(stored[0]), headers=bearer("admin"))
        names = [a["name"] for a in listed.json()["actions"]]
        assert names == ["label", "restart", "resume", "scale"]
        resp = await api.http.post(
            ACTIONS + "/v2", json=_v2(stored[0], "label", who="bob"), headers=bearer("admin")
        )
        assert resp.status_code == 200, resp.text
        live = api.fake.get_object("Deployment", "web", APP_NS, group="apps")
        assert live["metadata"]["labels"] == {"by": "bob"}

    run(body, deployment(), cm=cm)


def _rollouts(fake: FakeKube) -> None:
    fake.register("argoproj.io", "v1alpha1", "Rollout", "rollouts", status_subresource=True)


ROLLOUT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Rollout",
    "metadata": {"name": "canary", "namespace": APP_NS},
    "spec": {"strategy": {"canary": {}}},
    "status": {"currentPodHash": "new", "stableRS": "old"},
}


def test_status_changes_go_through_the_status_subresource() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.post(
            ACTIONS + "/v2", json=_v2(stored[0], "abort"), headers=bearer("admin")
        )
        assert resp.status_code == 200, resp.text
        live = api.fake.get_object("Rollout", "canary", APP_NS)
        assert live["status"]["abort"] is True
        patches = [r.path for r in api.fake.requests if r.method == "PATCH"]
        assert patches == [f"/apis/argoproj.io/v1alpha1/namespaces/{APP_NS}/rollouts/canary/status"]

    run(body, ROLLOUT, setup=_rollouts)


def test_an_action_on_the_application_itself() -> None:
    cm = {
        "resource.customizations.actions.argoproj.io_Application": (
            "discovery.lua: |\n"
            "  return {note = {}}\n"
            "definitions:\n"
            "- name: note\n"
            "  action.lua: |\n"
            "    obj.metadata.annotations = {noted = obj.metadata.name}\n"
            "    return obj\n"
        )
    }
    target = {
        "namespace": NS,
        "resourceName": "guestbook",
        "group": "argoproj.io",
        "kind": "Application",
        "action": "note",
    }

    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        listed = await api.http.get(
            ACTIONS,
            params={k: v for k, v in target.items() if k != "action"},
            headers=bearer("admin"),
        )
        assert listed.json() == {"actions": [{"name": "note"}]}
        resp = await api.http.post(ACTIONS + "/v2", json=target, headers=bearer("admin"))
        assert resp.status_code == 200, resp.text
        got = api.fake.get_object("Application", "guestbook", NS)
        assert got["metadata"]["annotations"] == {"noted": "guestbook"}
        assert _events(api) == ["admin ran action note"]

    run(body, deployment(), cm=cm)


def test_unknown_body_fields_are_refused() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        payload = {**_v2(stored[0], "restart"), "shell": "rm -rf /"}
        resp = await api.http.post(
            ACTIONS + "/v2", content=json.dumps(payload), headers=bearer("admin")
        )
        assert resp.status_code == 400

    run(body, deployment())
