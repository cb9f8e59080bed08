"""The ``fields`` projection, table-driven from ``testdata/fields.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from kapstan.api.fields import parse_fields, project
from kapstan.api.listing import RenderedItems, list_body

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "fields.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_projection(case: dict[str, Any]) -> None:
    assert project(case["body"], parse_fields(case["fields"])) == case["want"]


LISTS = [c for c in CASES if set(c["body"]) <= {"metadata", "items"}]


@pytest.mark.parametrize("case", LISTS, ids=[c["name"] for c in LISTS])
def test_cached_list_bodies_are_the_projection(case: dict[str, Any]) -> None:
    """The list route's assembled bytes equal the plain projection, cold and warm, and an
    item whose resourceVersion changed is rendered anew."""
    body = case["body"]
    meta, items = body.get("metadata") or {}, [dict(i) for i in body.get("items", [])]
    cache = RenderedItems()
    want = project({"metadata": meta, "items": items}, parse_fields(case["fields"]))
    for _ in range(2):
        assert orjson.loads(list_body(meta, items, case["fields"], cache)) == want
    if items:
        items[0] = {**items[0], "metadata": {"name": "changed", "resourceVersion": "2"}}
        items[0]["metadata"]["namespace"] = "n"
        changed = project({"metadata": meta, "items": items}, parse_fields(case["fields"]))
        assert orjson.loads(list_body(meta, items, case["fields"], cache)) == changed


def test_an_unchanged_item_is_rendered_once() -> None:
    cache = RenderedItems()
    item = {"metadata": {"name": "a", "namespace": "argocd", "uid": "u", "resourceVersion": "5"}}
    first = cache.render([item], "f", parse_fields("metadata.name"))
    assert cache.render([item], "f", parse_fields("metadata.name"))[0] is first[0]
    bumped = {"metadata": {**item["metadata"], "resourceVersion": "6"}}
    assert cache.render([bumped], "f", parse_fields("metadata.name"))[0] is not first[0]
