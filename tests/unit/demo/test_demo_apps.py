"""The demo's sample apps render with kapstan's renderer (real helm and kustomize binaries) to
the expected objects; the demo repository, its Applications and the status rows are right."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kapstan.demo import status
from kapstan.demo.repo import APPS, applications, apps_dir, create_repo, git
from kapstan.render import Tools, render

EXPECTED: dict[str, tuple[str, set[tuple[str, str]]]] = {
    "guestbook": ("Directory", {("Deployment", "guestbook-ui"), ("Service", "guestbook-ui")}),
    "kustomize-guestbook": (
        "Kustomize",
        {("Deployment", "demo-guestbook-ui"), ("Service", "demo-guestbook-ui")},
    ),
    "helm-guestbook": ("Helm", {("Deployment", "helm-guestbook"), ("Service", "helm-guestbook")}),
    "jsonnet-guestbook": (
        "Directory",
        {("Deployment", "jsonnet-guestbook-ui"), ("Service", "jsonnet-guestbook-ui")},
    ),
    "sync-waves": (
        "Directory",
        {
            ("Job", "db-migrate"),
            ("ConfigMap", "app-config"),
            ("Deployment", "backend"),
            ("Service", "backend"),
            ("Deployment", "frontend"),
            ("Job", "smoke-test"),
        },
    ),
}


@pytest.fixture(scope="module")
def tools() -> Tools:
    from kapstan.localcluster import Toolchain

    tc = Toolchain()
    helm, kustomize = tc.bin_dir / "helm", tc.bin_dir / "kustomize"
    if not (helm.exists() and kustomize.exists()):
        pytest.fail("helm/kustomize not built: run `make toolchain`")
    return Tools(helm=str(helm), kustomize=str(kustomize))


def _by_name() -> dict[str, dict[str, Any]]:
    return {a["metadata"]["name"]: a for a in applications("file:///demo/repo")}


def test_every_app_has_an_expectation() -> None:
    assert set(APPS) == set(EXPECTED) == set(_by_name())


@pytest.mark.parametrize("name", APPS)
def test_app_renders_to_expected_objects(name: str, tools: Tools) -> None:
    app = _by_name()[name]
    result = asyncio.run(
        render(
            app["spec"]["source"],
            apps_dir(),
            app_name=name,
            namespace=app["spec"]["destination"]["namespace"],
            tools=tools,
        )
    )
    kind, objects = EXPECTED[name]
    assert result.source_type == kind
    assert {(o["kind"], o["metadata"]["name"]) for o in result.objects} == objects
    assert len(result.objects) == len(objects)


def test_sync_waves_app_has_waves_and_hooks(tools: Tools) -> None:
    source = _by_name()["sync-waves"]["spec"]["source"]
    result = asyncio.run(render(source, apps_dir(), app_name="sync-waves", tools=tools))
    notes = {o["metadata"]["name"]: o["metadata"].get("annotations", {}) for o in result.objects}
    waves = {n: a.get("argocd.argoproj.io/sync-wave") for n, a in notes.items()}
    assert {waves["app-config"], waves["backend"], waves["frontend"]} == {"-1", "0", "1"}
    for job, hook in (("db-migrate", "PreSync"), ("smoke-test", "PostSync")):
        assert notes[job]["argocd.argoproj.io/hook"] == hook
        assert notes[job]["argocd.argoproj.io/hook-delete-policy"] == "HookSucceeded"


def test_applications_shape() -> None:
    for name, app in _by_name().items():
        assert app["apiVersion"] == "argoproj.io/v1alpha1"
        assert app["kind"] == "Application"
        assert app["metadata"] == {"name": name, "namespace": "argocd"}
        spec = app["spec"]
        assert spec["project"] == "default"
        assert spec["source"]["repoURL"] == "file:///demo/repo"
        assert spec["source"]["targetRevision"] == "main"
        assert spec["destination"] == {
            "server": "https://kubernetes.default.svc",
            "namespace": f"demo-{name}",
        }
        assert spec["syncPolicy"] == {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": ["CreateNamespace=true"],
        }
    assert _by_name()["kustomize-guestbook"]["spec"]["source"]["path"].endswith("overlays/demo")
    assert {a["metadata"]["namespace"] for a in applications("x", namespace="cd")} == {"cd"}


def test_create_repo_commits_every_app_on_main(tmp_path: Path) -> None:
    repo = create_repo(tmp_path / "repo")
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(repo, "status", "--porcelain") == ""
    tracked = git(repo, "ls-files").splitlines()
    for name in APPS:
        assert any(f.startswith(f"{name}/") for f in tracked), name
    assert "helm-guestbook/templates/deployment.yaml" in tracked
    # The repository has its own author identity: a user's commit works without git config.
    (repo / "guestbook" / "deployment.yaml").write_text("# changed\n")
    git(repo, "commit", "-qam", "change")
    assert git(repo, "rev-list", "--count", "main") == "2"
    with pytest.raises(FileExistsError):
        create_repo(repo)


def _app(name: str, **status_fields: Any) -> dict[str, Any]:
    return {"metadata": {"name": name}, "status": status_fields}


def test_status_rows_and_readiness() -> None:
    ready = _app(
        "a",
        sync={"status": "Synced", "revision": "0123456789abcdef"},
        health={"status": "Healthy"},
        operationState={"phase": "Succeeded", "message": "successfully synced"},
    )
    running = _app(
        "b",
        sync={"status": "OutOfSync"},
        health={"status": "Progressing"},
        operationState={"phase": "Running", "message": "waiting for wave 1"},
    )
    rows = status.app_rows([running, ready, _app("extra")], ["a", "b", "c"])
    assert [r.name for r in rows] == ["a", "b", "c", "extra"]
    a, b, c, extra = rows
    assert (a.sync, a.health, a.revision, a.ready) == ("Synced", "Healthy", "0123456", True)
    assert a.message == "successfully synced"
    assert not b.ready
    assert b.message == "sync Running: waiting for wave 1"
    assert (c.message, c.ready) == ("not created yet", False)
    assert (extra.sync, extra.health, extra.revision) == ("-", "-", "-")
    assert status.all_ready([a])
    assert not status.all_ready(rows)
    assert not status.all_ready([])
    pending = {**ready, "operation": {"sync": {}}}
    assert not status.app_row(pending).ready
    table = status.status_table(rows, "3s")
    assert [col.header for col in table.columns] == ["APP", "SYNC", "HEALTH", "REVISION", "MESSAGE"]
    assert table.row_count == 4
