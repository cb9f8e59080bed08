"""Repository routes that read a real git repository: refs, apps, app details, validate and
create with a connection check, against lighttpd + git-http-backend on 127.0.0.1 with basic
auth (never the network); answers never carry the password."""

from __future__ import annotations

import asyncio
import base64
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from kapstan.localcluster.process import capture
from kapstan.testing.api import api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into
from kapstan.testing.gitservers import LIGHTTPD, commit_all, http_server, init_worktree
from tests.unit.api.conftest import NS, project

PASSWORD = "planted-http-password-9"
pytestmark = pytest.mark.skipif(not LIGHTTPD.exists(), reason="lighttpd is not installed")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a repository with a Helm chart, a Kustomize app and a plain directory."""
    root = tmp_path_factory.mktemp("git")
    work = init_worktree(root / "work")
    (work / "chart" / "templates").mkdir(parents=True)
    (work / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (work / "chart" / "values.yaml").write_text("replicas: 2\nimage:\n  tag: v1\n")
    (work / "chart" / "values-prod.yaml").write_text("replicas: 5\n")
    (work / "chart" / "templates" / "cm.yaml").write_text("kind: ConfigMap\n")
    (work / "overlay").mkdir()
    (work / "overlay" / "kustomization.yaml").write_text(
        "resources: []\nimages:\n- name: nginx\n  newTag: '1.25'\n"
    )
    (work / "plain").mkdir()
    (work / "plain" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    commit_all(work, "apps")
    capture(["git", "-C", str(work), "tag", "v1.0.0"])
    projects = root / "projects"
    projects.mkdir()
    capture(["git", "clone", "--quiet", "--bare", str(work), str(projects / "apps.git")])
    with http_server(root / "http", projects, {"deploy": PASSWORD}) as server:
        yield f"{server.base_url}/apps.git"
    shutil.rmtree(root, ignore_errors=True)


def _seed(url: str) -> FakeKube:
    fake = FakeKube(namespaces=("default", NS))
    install_into(fake, NS)
    fake.put(project("team-a"))
    values = {"url": url, "username": "deploy", "password": PASSWORD}
    fake.put(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "repo-apps",
                "namespace": NS,
                "labels": {"argocd.argoproj.io/secret-type": "repository"},
            },
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
        }
    )
    return fake


async def _call(url: str, method: str, path: str, **kw: Any) -> tuple[int, Any, str]:
    async with api_on(_seed(url)) as api:
        response = await api.http.request(method, path, headers=bearer("admin"), **kw)
        assert PASSWORD not in response.text
        return response.status_code, response.json(), response.text


def run(url: str, method: str, path: str, **kw: Any) -> tuple[int, Any, str]:
    return asyncio.run(_call(url, method, path, **kw))


def test_refs(served: str) -> None:
    status, body, _ = run(served, "GET", f"/api/v1/repositories/{quote(served, safe='')}/refs")
    assert status == 200, body
    assert body == {"branches": ["main"], "tags": ["v1.0.0"]}


def test_list_and_get_report_a_successful_connection(served: str) -> None:
    status, body, _ = run(served, "GET", "/api/v1/repositories")
    assert status == 200, body
    assert body["items"][0]["connectionState"]["status"] == "Successful"
    status, body, _ = run(served, "GET", f"/api/v1/repositories/{quote(served, safe='')}")
    assert (status, body["username"], "password" in body) == (200, "deploy", False)


def test_apps(served: str) -> None:
    path = f"/api/v1/repositories/{quote(served, safe='')}/apps?appName=x&appProject=default"
    status, body, _ = run(served, "GET", path)
    assert status == 200, body
    assert body["items"] == [
        {"type": "Helm", "path": "chart"},
        {"type": "Kustomize", "path": "overlay"},
        {"type": "Directory", "path": "plain"},
    ]


def test_app_details(served: str) -> None:
    path = f"/api/v1/repositories/{quote(served, safe='')}/appdetails"
    chart = {"repoURL": served, "path": "chart", "helm": {"valueFiles": ["values-prod.yaml"]}}
    helm = {"source": chart, "appName": "new", "appProject": "default"}
    status, body, _ = run(served, "POST", path, json=helm)
    assert status == 200, body
    assert body["type"] == "Helm"
    assert body["helm"]["name"] == "demo"
    assert body["helm"]["valueFiles"] == ["values-prod.yaml", "values.yaml"]
    assert {"name": "replicas", "value": "5"} in body["helm"]["parameters"]
    kustomize = {"source": {"repoURL": served, "path": "overlay"}, "appName": "new",
                 "appProject": "default"}  # fmt: skip
    status, body, _ = run(served, "POST", path, json=kustomize)
    assert (status, body) == (200, {"type": "Kustomize", "kustomize": {"images": ["nginx:1.25"]}})
    escape = {"source": {"repoURL": served, "path": "../../etc"}, "appName": "new",
              "appProject": "default"}  # fmt: skip
    status, body, _ = run(served, "POST", path, json=escape)
    assert (status, body["code"]) == (400, 3), body


def test_validate(served: str) -> None:
    path = f"/api/v1/repositories/{quote(served, safe='')}/validate"
    status, body, _ = run(served, "POST", path, json={"username": "deploy", "password": PASSWORD})
    assert (status, body) == (200, {})
    status, body, text = run(served, "POST", path, json={"username": "deploy", "password": "wrong"})
    assert (status, body["code"]) == (400, 3), body
    assert "wrong" not in text


def test_create_checks_the_connection(served: str) -> None:
    other = served.replace("apps.git", "missing.git")
    body = {"repo": other, "username": "deploy", "password": PASSWORD}
    status, answer, _ = run(served, "POST", "/api/v1/repositories", json=body)
    assert (status, answer["code"]) == (400, 3), answer
    body = {"repo": served, "username": "deploy", "password": PASSWORD}
    status, answer, _ = run(served, "POST", "/api/v1/repositories?upsert=true", json=body)
    assert (status, answer) == (200, {"repo": served, "type": "git"})


def test_create_writes_the_secret_argo_cd_reads(served: str, tmp_path: Path) -> None:
    async def create() -> dict[str, Any]:
        async with api_on(_seed(served)) as api:
            body = {"repo": served + "/", "username": "deploy", "password": PASSWORD,
                    "project": "team-a"}  # fmt: skip
            response = await api.http.post(
                "/api/v1/repositories", headers=bearer("admin"), json=body
            )
            assert response.status_code == 200, response.text
            secrets = [
                s
                for s in api.fake.objects("Secret", namespace=NS)
                if s["metadata"]["name"].startswith("repo-")
                and s["metadata"]["name"] != "repo-apps"
            ]
            assert len(secrets) == 1
            return secrets[0]

    secret = asyncio.run(create())
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data == {"url": served + "/", "username": "deploy", "password": PASSWORD,
                    "project": "team-a"}  # fmt: skip
    assert secret["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "repository"
