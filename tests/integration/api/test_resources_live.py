"""An app's live resources through ``kapstan server --with-controller`` on the real cluster,
the way Argo CD's UI reaches them: the live object (a Secret masked), a resource outside the
app refused, the pods' logs from the kubelet (kwok plays it and "prints" the cluster's
``container.log``), the ``restart`` action changing the Deployment, and the manifests and
commit metadata of the app's revision from Git.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from kapstan.localcluster.cluster import CONTAINER_LOG, LocalCluster
from kapstan.testing.apiserver import ApiServerProcess
from tests.integration.api.conftest import Install

pytestmark = pytest.mark.cluster
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
KWOK_LINE = "kwok: this container runs on a fake node"


@pytest.fixture(scope="module")
def deployed(install: Install) -> Iterator[tuple[httpx2.Client, str, ApiServerProcess]]:
    """One process (API + controller), an automated ``web`` app Synced and Healthy."""
    server = install.start_server("--with-controller")
    token, name = install.deploy_web(server)
    with contextlib.closing(install.client(server, token)) as http:
        yield http, name, server


def _ref(
    name: str, kind: str, resource: str, group: str = "", version: str = "v1"
) -> dict[str, str]:
    return {
        "namespace": name,
        "resourceName": resource,
        "group": group,
        "kind": kind,
        "version": version,
    }


def test_live_resource_masks_secrets_and_refuses_what_the_app_does_not_own(
    deployed: tuple[httpx2.Client, str, ApiServerProcess], install: Install
) -> None:
    http, name, _ = deployed
    answer = http.get(
        f"/api/v1/applications/{name}/resource", params=_ref(name, "Deployment", "web", "apps")
    )
    assert answer.status_code == 200, answer.text
    live = json.loads(answer.json()["manifest"])
    assert live["metadata"]["name"] == "web"
    assert live["status"]["readyReplicas"] == 1

    answer = http.get(
        f"/api/v1/applications/{name}/resource", params=_ref(name, "Secret", "credentials")
    )
    assert answer.status_code == 200, answer.text
    assert "hunter2" not in answer.text
    assert json.loads(answer.json()["manifest"])["data"]["password"].strip("+") == ""

    # Nor anywhere else an app's Secret shows up.
    for path in ("managed-resources", "resource-tree", "events", "manifests", ""):
        answer = http.get(f"/api/v1/applications/{name}/{path}".rstrip("/"))
        assert answer.status_code == 200, (path, answer.text)
        assert "hunter2" not in answer.text, path
    listed = http.get("/api/v1/applications").text
    assert "hunter2" not in listed

    # A Secret of the control plane is not the app's: Argo CD's InvalidArgument, nothing read.
    answer = http.get(
        f"/api/v1/applications/{name}/resource",
        params={**_ref(install.ns, "Secret", "argocd-secret")},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == 3
    assert "not found as part of application" in answer.json()["message"]


def test_pod_logs_come_from_the_kubelet_and_follow(
    deployed: tuple[httpx2.Client, str, ApiServerProcess], cluster: LocalCluster
) -> None:
    http, name, _ = deployed
    params = {
        "namespace": name,
        "kind": "Deployment",
        "group": "apps",
        "resourceName": "web",
        "container": "web",
    }
    answer = http.get(f"/api/v1/applications/{name}/logs", params=params)
    assert answer.status_code == 200, answer.text
    entries = [json.loads(line)["result"] for line in answer.text.splitlines() if line]
    assert any(KWOK_LINE in e["content"] for e in entries), entries
    assert all(e["podName"].startswith("web-") for e in entries if e["content"])
    assert entries[-1]["last"] is True

    # Following: a line the container prints later arrives on the open stream.
    marker = f"printed later {time.time_ns()}"
    seen: list[str] = []
    with http.stream(
        "GET", f"/api/v1/applications/{name}/logs", params={**params, "follow": "true"}, timeout=30
    ) as stream:
        lines = stream.iter_lines()
        first = json.loads(next(lines))["result"]
        assert KWOK_LINE in first["content"]
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())
        with (cluster.workdir / CONTAINER_LOG).open("a") as log:
            log.write(f"{stamp} stdout F {marker}\n")
        for line in lines:
            seen.append(json.loads(line)["result"]["content"])
            if marker in seen[-1]:
                break
    assert marker in seen[-1]


def test_restart_action_rolls_the_deployment(
    deployed: tuple[httpx2.Client, str, ApiServerProcess], install: Install
) -> None:
    http, name, _ = deployed
    ref = _ref(name, "Deployment", "web", "apps")
    offered = http.get(f"/api/v1/applications/{name}/resource/actions", params=ref)
    assert offered.status_code == 200, offered.text
    assert "restart" in {a["name"] for a in offered.json()["actions"]}

    answer = http.post(
        f"/api/v1/applications/{name}/resource/actions/v2",
        json={"name": name, **ref, "action": "restart"},
    )
    assert answer.status_code == 200, answer.text
    live = install.kubectl.get_json("deployment", "web", "-n", name)
    assert RESTARTED_AT in live["spec"]["template"]["metadata"].get("annotations", {})
    events = http.get(f"/api/v1/applications/{name}/events").json()["items"]
    assert any("restart" in e.get("message", "") for e in events), events


def test_manifests_and_revision_metadata_from_git(
    deployed: tuple[httpx2.Client, str, ApiServerProcess],
) -> None:
    http, name, _ = deployed
    answer = http.get(f"/api/v1/applications/{name}/manifests")
    assert answer.status_code == 200, answer.text
    kinds = {json.loads(m)["kind"] for m in answer.json()["manifests"]}
    assert kinds >= {"Deployment", "Service", "ConfigMap", "Secret"}
    assert "hunter2" not in answer.text

    revision = http.get(f"/api/v1/applications/{name}").json()["status"]["sync"]["revision"]
    answer = http.get(f"/api/v1/applications/{name}/revisions/{revision}/metadata")
    assert answer.status_code == 200, answer.text
    meta: dict[str, Any] = answer.json()
    assert meta["message"].startswith("version 1")
    assert meta["author"]
