"""``kapstan app resources|get-resource|patch-resource|delete-resource|actions|logs|
terminate-op`` against the API in process, over guestbook's tree (Deployment web ->
ReplicaSet web-1 -> Pods)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import yaml

from kapstan.testing.api import ApiHarness
from kapstan.testing.fakekube import FakeKube
from tests.unit.api.conftest import NS
from tests.unit.api.resources import APP_NS, deployment, pod, replica_set, serve
from tests.unit.cli.appcli import cli, mirrored, stored

WEB = ["--kind", "Deployment", "--resource-name", "web"]


def build(fake: FakeKube) -> list[dict[str, Any]]:
    web = fake.put(deployment())
    rs = fake.put(replica_set("web-1", web))
    return [web, rs, fake.put(pod("web-1-a", rs)), fake.put(pod("web-1-b", rs))]


def test_resources_lists_the_apps_own_resources() -> None:
    async def body(api: ApiHarness, _stored: list[dict[str, Any]]) -> None:
        done = await cli(api, "app", "resources", "guestbook")
        assert done.exit_code == 0, done.stderr
        assert [ln.split() for ln in done.stdout.splitlines()] == [
            ["GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED"],
            ["apps", "Deployment", APP_NS, "web", "No"],
        ]
        orphaned = await cli(api, "app", "resources", "guestbook", "--orphaned")
        assert orphaned.stdout.splitlines() == ["GROUP  KIND  NAMESPACE  NAME  ORPHANED"]

    serve(body, build)


def test_get_resource_prints_the_live_object() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        done = await cli(api, "app", "get-resource", "guestbook", *WEB)
        assert done.exit_code == 0, done.stderr
        live = yaml.safe_load(done.stdout)
        assert live["metadata"]["uid"] == stored[0]["metadata"]["uid"]
        as_json = await cli(api, "app", "get-resource", "guestbook", *WEB, "-o", "json")
        assert json.loads(as_json.stdout) == live

        pods = await cli(api, "app", "get-resource", "guestbook", "--kind", "Pod")
        assert pods.exit_code == 20
        assert "2 resources match Pod in application guestbook" in pods.stderr
        none = await cli(api, "app", "get-resource", "guestbook", "--kind", "Job")
        assert none.exit_code == 20
        assert "Job not found as part of application guestbook" in none.stderr
        kindless = await cli(api, "app", "get-resource", "guestbook")
        assert "--kind is required" in kindless.stderr

    serve(body, build)


def test_patch_and_delete_resource() -> None:
    async def body(api: ApiHarness, _stored: list[dict[str, Any]]) -> None:
        patch = json.dumps({"spec": {"replicas": 5}})
        done = await cli(api, "app", "patch-resource", "guestbook", *WEB, "--patch", patch)
        assert done.exit_code == 0, done.stderr
        assert done.stdout == "Resource 'web' patched\n"
        web = api.fake.get_object("Deployment", "web", APP_NS, group="apps")
        assert web is not None
        assert web["spec"]["replicas"] == 5

        gone = await cli(
            api, "app", "delete-resource", "guestbook", "--kind", "Pod", "--all", "--force"
        )
        assert gone.exit_code == 0, gone.stderr
        assert gone.stdout == "Resource 'web-1-a' deleted\nResource 'web-1-b' deleted\n"
        assert api.fake.objects("Pod", group="", namespace=APP_NS) == []

    serve(body, build)


def test_actions_list_and_run() -> None:
    async def body(api: ApiHarness, _stored: list[dict[str, Any]]) -> None:
        listed = await cli(api, "app", "actions", "list", "guestbook", "--kind", "Deployment")
        assert listed.exit_code == 0, listed.stderr
        assert [ln.split() for ln in listed.stdout.splitlines()] == [
            ["GROUP", "KIND", "NAME", "ACTION", "DISABLED"],
            ["apps", "Deployment", "web", "restart", "false"],
            ["apps", "Deployment", "web", "resume", "true"],
            ["apps", "Deployment", "web", "scale", "false"],
        ]
        as_json = await cli(api, "app", "actions", "list", "guestbook", "--kind", "Deployment",
                            "-o", "json")  # fmt: skip
        assert json.loads(as_json.stdout)[0] == {
            "Group": "apps", "Kind": "Deployment", "Name": "web", "Action": "restart",
            "Disabled": False,
        }  # fmt: skip
        child = await cli(api, "app", "actions", "run", "guestbook", "restart", "--kind", "Pod",
                          "--resource-name", "web-1-a")  # fmt: skip
        assert child.exit_code == 20
        assert "Pod 'web-1-a' not found as part of application guestbook" in child.stderr
        ran = await cli(api, "app", "actions", "run", "guestbook", "restart", *WEB)
        assert ran.exit_code == 0, ran.stderr
        web = api.fake.get_object("Deployment", "web", APP_NS, group="apps")
        assert web is not None
        annotations = web["spec"]["template"]["metadata"]["annotations"]
        assert "kubectl.kubernetes.io/restartedAt" in annotations
        refused = await cli(api, "app", "actions", "run", "guestbook", "explode", *WEB)
        assert refused.exit_code == 20
        assert "error running resource action" in refused.stderr

    serve(body, build)


def test_logs_print_each_lines_content() -> None:
    async def body(api: ApiHarness, _stored: list[dict[str, Any]]) -> None:
        at = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
        api.fake.logs.write(APP_NS, "web-1-a", "main", ["hello", "world"], at=at)
        done = await cli(api, "app", "logs", "guestbook", "--kind", "Pod", "--name", "web-1-a")
        assert done.exit_code == 0, done.stderr
        assert done.stdout == "hello\nworld\n"
        filtered = await cli(api, "app", "logs", "guestbook", "--filter", "wor")
        assert filtered.stdout == "world\n", filtered.stderr

    serve(body, build)


def test_terminate_op_asks_a_running_operation_to_stop() -> None:
    async def body(api: ApiHarness, _stored: list[dict[str, Any]]) -> None:
        idle = await cli(api, "app", "terminate-op", "guestbook")
        assert idle.exit_code == 20
        assert "No operation is in progress" in idle.stderr

        running = {"operationState": {"phase": "Running", "operation": {"sync": {}}}}
        api.fake.edit(
            "Application", "guestbook", NS, change={"status": running},
            group="argoproj.io", subresource="status",
        )  # fmt: skip
        await mirrored(api, "guestbook", lambda a: "operationState" in a.get("status", {}))
        done = await cli(api, "app", "terminate-op", "guestbook")
        assert done.exit_code == 0, done.stderr
        assert done.stdout == "Application 'guestbook' operation terminating\n"
        app = stored(api, "guestbook")
        assert app is not None
        assert app["status"]["operationState"]["phase"] == "Terminating"

    serve(body, build)
