"""CreateNamespace=true with managedNamespaceMetadata."""

from __future__ import annotations

from kapstan.engine.sync.plan import build_plan


def test_created_namespace_carries_managed_metadata() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}}
    plan = build_plan(
        [cm],
        [],
        app_options=["CreateNamespace=true"],
        destination_namespace="n",
        managed_namespace_metadata={"labels": {"team": "a"}, "annotations": {"x": 1}},
    )
    ns = next(t for t in plan.tasks if t.kind == "Namespace")
    assert ns.target is not None
    assert ns.target["metadata"] == {
        "name": "n",
        "labels": {"team": "a"},
        "annotations": {"x": "1"},
    }


def test_without_metadata_only_the_name() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}}
    plan = build_plan([cm], [], app_options=["CreateNamespace=true"], destination_namespace="n")
    ns = next(t for t in plan.tasks if t.kind == "Namespace")
    assert ns.target is not None
    assert ns.target["metadata"] == {"name": "n"}
