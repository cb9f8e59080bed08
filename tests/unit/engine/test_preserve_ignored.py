"""RespectIgnoreDifferences: ignored fields are taken from live."""

from __future__ import annotations

from kapstan.engine.ignore import IgnoreRule
from kapstan.engine.respect import preserve_ignored
from kapstan.model.keys import ResourceKey

KEY = ResourceKey("apps", "Deployment", "ns", "web")
RULES = (IgnoreRule(group="apps", kind="Deployment", json_pointers=("/spec/replicas",)),)


def _dep(replicas: int | None) -> dict[str, object]:
    spec: dict[str, object] = {"template": {}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "spec": spec}


def test_live_value_wins() -> None:
    target = _dep(1)
    out = preserve_ignored(target, _dep(5), KEY, RULES)
    assert out["spec"]["replicas"] == 5
    assert target["spec"]["replicas"] == 1  # type: ignore[index]


def test_absent_in_live_is_removed() -> None:
    assert "replicas" not in preserve_ignored(_dep(1), _dep(None), KEY, RULES)["spec"]


def test_new_object_and_other_kinds_untouched() -> None:
    assert preserve_ignored(_dep(1), None, KEY, RULES)["spec"]["replicas"] == 1
    other = ResourceKey("", "ConfigMap", "ns", "web")
    assert preserve_ignored(_dep(1), _dep(5), other, RULES)["spec"]["replicas"] == 1
