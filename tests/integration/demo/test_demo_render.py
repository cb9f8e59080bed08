"""The demo's sample apps render with kapstan's renderer (real helm and kustomize binaries,
built by ``make toolchain``) to the expected objects."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kapstan.demo.repo import APPS, applications, apps_dir
from kapstan.localcluster import Toolchain
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
def tools(toolchain: Toolchain) -> Tools:
    return Tools(helm=str(toolchain.path("helm")), kustomize=str(toolchain.path("kustomize")))


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
