"""Focused checks of the diff building blocks the YAML cases exercise only indirectly."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.engine import jsonpatch
from kapstan.engine.ignore import IgnoreConfigError, IgnoreRule, system_rules
from kapstan.engine.merge import three_way_merge
from kapstan.engine.normalize import canonical_quantity
from kapstan.engine.redact import mask_secrets
from kapstan.model.keys import ResourceKey

PREFIX = "resource.customizations.ignoreDifferences."


def test_resource_key_string_and_group() -> None:
    key = ResourceKey.from_obj(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "namespace": "n"}}
    )
    assert str(key) == "apps/Deployment/n/w"
    assert (
        ResourceKey.from_obj(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}
        ).group
        == ""
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "1"),
        ("1", "1"),
        (0.5, "500m"),
        ("1024Mi", "1Gi"),
        ("1.5Gi", "1536Mi"),
        ("2000m", "2"),
        ("1e3", "1k"),
        ("100M", "100M"),
        ("not-a-quantity", "not-a-quantity"),
    ],
)
def test_canonical_quantity(value: Any, expected: str) -> None:
    assert canonical_quantity(value) == expected


def test_pointer_escapes_round_trip() -> None:
    pointer = jsonpatch.make_pointer(["metadata", "annotations", "a/b~c"])
    assert pointer == "/metadata/annotations/a~1b~0c"
    assert jsonpatch.parse_pointer(pointer) == ["metadata", "annotations", "a/b~c"]


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ({"a": [1, 2, 3]}, {"a": [1]}),
        ({"a": [1]}, {"a": [3, 1, 2]}),
        ({"a": {"b": True}}, {"a": {"b": 1}}),
        ({"x/y": 1, "t~": 2}, {"x/y": 2}),
    ],
)
def test_patch_applies(src: Any, dst: Any) -> None:
    assert jsonpatch.apply(src, jsonpatch.diff(src, dst)) == dst


def test_bool_and_int_are_different() -> None:
    assert jsonpatch.diff({"a": True}, {"a": 1}) == [{"op": "replace", "path": "/a", "value": 1}]


def test_three_way_keeps_live_only_and_drops_removed() -> None:
    orig = {"spec": {"a": 1, "gone": 2}}
    config = {"spec": {"a": 3}}
    live = {"spec": {"a": 1, "gone": 2, "defaulted": 4}}
    assert three_way_merge(orig, config, live, strategic=True) == {"spec": {"a": 3, "defaulted": 4}}


def test_masks_are_stable_and_distinct() -> None:
    a = {"apiVersion": "v1", "kind": "Secret", "data": {"k": "c2VjcmV0", "j": "b3RoZXI="}}
    b = {"apiVersion": "v1", "kind": "Secret", "data": {"k": "c2VjcmV0"}}
    masked_a, masked_b = mask_secrets(a, b)
    assert masked_a is not None
    assert masked_b is not None
    assert masked_a["data"]["k"] == masked_b["data"]["k"]
    assert masked_a["data"]["j"] != masked_a["data"]["k"]
    assert a["data"]["k"] == "c2VjcmV0"  # inputs untouched


def test_system_rules_parse_keys() -> None:
    rules = system_rules(
        {
            f"{PREFIX}apps_Deployment": "jsonPointers: [/spec/replicas]",
            f"{PREFIX}all": "managedFieldsManagers: [kube-controller-manager]",
            f"{PREFIX}Service": "jsonPointers: [/spec/x]",
            "unrelated": "x",
        }
    )
    assert {(r.group, r.kind) for r in rules} == {
        ("apps", "Deployment"),
        ("*", "*"),
        ("", "Service"),
    }


def test_invalid_rules_rejected() -> None:
    with pytest.raises(IgnoreConfigError):
        IgnoreRule.from_spec({"kind": "X", "jsonPointers": ["no-leading-slash"]})
    with pytest.raises(IgnoreConfigError):
        system_rules({f"{PREFIX}all": "jsonPointers: [unclosed"})


def test_pipeline_error_is_unknown_without_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from kapstan.engine import diff
    from kapstan.model.status import SyncStatusCode

    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("leaky-secret-value")

    monkeypatch.setattr(diff, "three_way_merge", boom)
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}}
    result = diff.diff_resource(obj, obj)
    assert result.sync_status is SyncStatusCode.UNKNOWN
    assert "leaky-secret-value" not in repr(result)
    assert diff.app_sync_status([result]) is SyncStatusCode.UNKNOWN


def test_resource_key_tolerates_bad_metadata() -> None:
    assert (
        str(ResourceKey.from_obj({"apiVersion": "v1", "kind": "X", "metadata": "oops"})) == "/X//"
    )
