"""Cascade deletion without a cluster.

``plan_deletion`` is table-driven: each ``testdata/deletion/*.yaml`` holds the Application's
finalizers, the expected policy, the live (tracked) objects and the expected keys to delete
now (in order), still remaining and kept (``Delete=false``). The finalizer removal of
``finalize`` runs against a small in-memory API stand-in.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.controller.deletion import finalize
from kapstan.engine.deletion import cascade_policy, plan_deletion
from kapstan.kube.apply import JSON_PATCH
from kapstan.kube.errors import Invalid, NotFound
from kapstan.model.keys import ResourceKey
from kapstan.model.sync import Propagation
from kapstan.model.vocabulary import RESOURCES_FINALIZER as FINALIZER
from kapstan.model.vocabulary import RESOURCES_FINALIZER_BACKGROUND as BACKGROUND

CASES = sorted((Path(__file__).parent / "testdata" / "deletion").glob("*.yaml"))
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "CustomResourceDefinition"}
NAMESPACED = {"ConfigMap", "Secret", "Service", "Deployment", "Pod"}
APP_PATH = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/demo"


def is_namespaced(group: str, kind: str) -> bool | None:
    if kind in CLUSTER_SCOPED:
        return False
    return True if kind in NAMESPACED else None


def _app(finalizers: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "demo", "namespace": "argocd", "finalizers": finalizers},
    }


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_plan_deletion(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    policy = cascade_policy(_app(case["finalizers"]))
    assert policy is Propagation(case["policy"])
    plan = plan_deletion(case["live"], policy, is_namespaced)
    assert [str(ResourceKey.from_obj(o)) for o in plan.delete] == case["delete"]
    assert [str(k) for k in plan.remaining] == case["remaining"]
    assert [str(k) for k in plan.kept] == case["kept"]


@pytest.mark.parametrize(
    ("finalizers", "expected"),
    [
        ([], None),
        (["pre-delete-finalizer.argocd.argoproj.io"], None),
        ([FINALIZER], Propagation.foreground),
        ([BACKGROUND], Propagation.background),
        ([BACKGROUND, FINALIZER], Propagation.foreground),
        (["other", BACKGROUND], Propagation.background),
    ],
)
def test_cascade_policy(finalizers: list[str], expected: Propagation | None) -> None:
    assert cascade_policy(_app(finalizers)) is expected


def test_cascade_policy_without_metadata() -> None:
    assert cascade_policy({}) is None
    assert cascade_policy({"metadata": {"finalizers": None}}) is None


class FakeApi:
    """GET and JSON-PATCH of one Application; ``edits`` change it just before a PATCH lands."""

    def __init__(self, app: dict[str, Any], edits: list[list[str]] | None = None) -> None:
        self.app: dict[str, Any] | None = app
        self.edits = list(edits or [])
        self.patches: list[Any] = []

    async def get(self, path: str) -> dict[str, Any]:
        assert path == APP_PATH
        if self.app is None:
            raise NotFound("gone", code=404)
        return self.app

    async def request(
        self, method: str, path: str, params: Any, body: Any, content_type: str | None
    ) -> dict[str, Any]:
        assert (method, path, content_type) == ("PATCH", APP_PATH, JSON_PATCH)
        assert self.app is not None
        self.patches.append(body)
        if self.edits:  # a concurrent writer got there first
            self.app["metadata"]["finalizers"] = self.edits.pop(0)
        test, replace = body
        assert test["op"] == "test"
        assert replace["op"] == "replace"
        if self.app["metadata"]["finalizers"] != test["value"]:
            raise Invalid("test failed", code=422)
        self.app["metadata"]["finalizers"] = replace["value"]
        return self.app


def _finalize(api: FakeApi, app: dict[str, Any], live: list[dict[str, Any]]) -> Any:
    return asyncio.run(
        finalize(api, APP_PATH, app, live, is_namespaced=is_namespaced, discovery=None)  # type: ignore[arg-type]
    )


def test_no_finalizer_is_done_without_writes() -> None:
    app = _app(["other"])
    api = FakeApi(app)
    live = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "d"}}]
    result = _finalize(api, app, live)
    assert (result.done, result.remaining, result.message) == (True, (), "")
    assert api.patches == []


def test_finalizer_removed_with_test_then_replace() -> None:
    app = _app(["pre-delete-finalizer.argocd.argoproj.io", FINALIZER])
    api = FakeApi(app)
    result = _finalize(api, app, [])
    assert result.done
    assert result.message == ""
    assert api.patches == [
        [
            {
                "op": "test",
                "path": "/metadata/finalizers",
                "value": ["pre-delete-finalizer.argocd.argoproj.io", FINALIZER],
            },
            {
                "op": "replace",
                "path": "/metadata/finalizers",
                "value": ["pre-delete-finalizer.argocd.argoproj.io"],
            },
        ]
    ]
    assert app["metadata"]["finalizers"] == ["pre-delete-finalizer.argocd.argoproj.io"]


def test_concurrent_edit_is_kept() -> None:
    app = _app([FINALIZER, BACKGROUND])
    api = FakeApi(app, edits=[[FINALIZER, BACKGROUND, "example.com/mine"]])
    result = _finalize(api, app, [])
    assert result.done
    assert len(api.patches) == 2  # the first test failed; the list was read again
    assert app["metadata"]["finalizers"] == ["example.com/mine"]


def test_repeated_conflicts_are_reported() -> None:
    app = _app([FINALIZER])
    edits = [[FINALIZER, f"x/{i}"] for i in range(10)]
    api = FakeApi(app, edits=edits)
    result = _finalize(api, app, [])
    assert not result.done
    assert result.message.startswith("failed to remove the finalizer:")


def test_application_already_gone() -> None:
    app = _app([FINALIZER])
    api = FakeApi(app)
    api.app = None
    result = _finalize(api, app, [])
    assert result.done
    assert api.patches == []
