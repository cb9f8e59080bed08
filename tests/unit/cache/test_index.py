"""Table-driven tests of the index (testdata/index.yaml)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.cache.entry import Entry, Key
from kapstan.cache.filters import ResourceFilter
from kapstan.cache.index import Index
from kapstan.engine.tracking import Tracking

DATA = Path(__file__).parent / "testdata"
INDEX = yaml.safe_load((DATA / "index.yaml").read_text())


def obj(spec: dict[str, Any]) -> dict[str, Any]:
    group = spec.get("group", "")
    meta: dict[str, Any] = {
        "name": spec["name"],
        "namespace": spec["ns"],
        "uid": spec["uid"],
        "resourceVersion": spec["rv"],
        "managedFields": [{"manager": "kubectl"}],
        "ownerReferences": [{"uid": u, "kind": "X", "name": u} for u in spec.get("owners", [])],
    }
    if "app" in spec:
        tid = f"{spec['app']}:{group}/{spec['kind']}:{spec['ns']}/{spec['name']}"
        meta["annotations"] = {"argocd.argoproj.io/tracking-id": tid}
    return {
        "apiVersion": f"{group}/v1" if group else "v1",
        "kind": spec["kind"],
        "metadata": meta,
    }


def key(text: str) -> Key:
    g, k, ns, n = text.split("/")
    return (g, k, ns, n)


@pytest.mark.parametrize("case", INDEX, ids=[c["name"] for c in INDEX])
def test_index(case: dict[str, Any]) -> None:
    index = Index(Tracking())
    for step in case["steps"]:
        change = (
            index.upsert(obj(step["upsert"]))
            if "upsert" in step
            else index.delete(key(step["delete"]))
        )
        if step["type"] is None:
            assert change is None, step
            continue
        assert change is not None, step
        assert (change.type, sorted(change.apps)) == (step["type"], step["apps"]), step
    for k in case["full"]:
        entry = index.get(key(k))
        assert entry is not None
        assert entry.obj is not None, k
        assert "managedFields" not in entry.obj["metadata"]
    for k in case["compact"]:
        entry = index.get(key(k))
        assert entry is not None
        assert entry.obj is None, k
    assert sorted(index.take_promotions()) == sorted(key(k) for k in case["promotions"])
    assert index.take_promotions() == []


def test_secondary_indexes_follow_updates() -> None:
    index = Index()
    index.upsert(obj({"kind": "ConfigMap", "ns": "a", "name": "x", "uid": "u1", "rv": "1"}))
    index.upsert(
        obj({"kind": "Pod", "ns": "a", "name": "p", "uid": "u2", "rv": "2", "owners": ["u1"]})
    )
    assert index.in_namespace("a") == {("", "ConfigMap", "a", "x"), ("", "Pod", "a", "p")}
    assert index.children("u1") == {("", "Pod", "a", "p")}
    assert index.of_kind("", "Pod") == {("", "Pod", "a", "p")}
    index.upsert(obj({"kind": "Pod", "ns": "a", "name": "p", "uid": "u2", "rv": "3"}))
    assert index.children("u1") == set()
    index.delete(("", "Pod", "a", "p"))
    assert index.of_kind("", "Pod") == set()
    assert index.by_uid("u2") is None
    assert len(index) == 1


def test_fill_only_same_version() -> None:
    index = Index()
    pod = obj({"kind": "Pod", "ns": "a", "name": "p", "uid": "u2", "rv": "2", "owners": ["d"]})
    index.upsert(pod)
    dep = obj(
        {"group": "apps", "kind": "Deployment", "ns": "a", "name": "d", "uid": "d", "rv": "1"}
    )
    dep["metadata"]["annotations"] = {"argocd.argoproj.io/tracking-id": "x:apps/Deployment:a/d"}
    index.upsert(dep)
    assert index.take_promotions() == [("", "Pod", "a", "p")]
    newer = obj({"kind": "Pod", "ns": "a", "name": "p", "uid": "u2", "rv": "9"})
    assert not index.fill(newer)
    assert index.fill(pod)
    entry = index.get(("", "Pod", "a", "p"))
    assert entry is not None
    assert entry.obj is not None


def test_compact_entry_is_small() -> None:
    assert not hasattr(Entry("", "", "", (), None, None, False, None), "__dict__")
    assert sys.getsizeof(Entry) > 0


@pytest.mark.parametrize(
    ("group", "kind", "cluster", "allowed"),
    [
        ("", "ConfigMap", "", True),
        ("", "Event", "", False),
        ("events.k8s.io", "Event", "", False),
        ("coordination.k8s.io", "Lease", "", False),
        ("discovery.k8s.io", "EndpointSlice", "", False),
        ("", "Endpoints", "", False),
        ("example.com", "Widget", "prod", False),
        ("example.com", "Widget", "dev", True),
    ],
)
def test_exclusions(group: str, kind: str, cluster: str, allowed: bool) -> None:
    rules = ResourceFilter.parse([{"apiGroups": ["*.com"], "kinds": ["W*"], "clusters": ["prod"]}])
    assert rules.allows(group, kind, cluster) is allowed


def test_inclusions() -> None:
    rules = ResourceFilter.parse(inclusions=[{"apiGroups": ["", "apps"], "kinds": ["*"]}])
    assert rules.allows("apps", "Deployment")
    assert not rules.allows("batch", "Job")
    assert not rules.allows("", "Event")  # exclusions still win
