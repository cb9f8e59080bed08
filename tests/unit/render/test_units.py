"""Pure pieces: YAML loading rules, globs, image overrides, tool detection, the render cache."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kapstan.render import Limits, RenderError, Tools, detect, render
from kapstan.render.cache import RenderCache, cache_key
from kapstan.render.directory import glob_regex
from kapstan.render.kustomize import parse_image
from kapstan.render.yamlio import load_manifests

from .conftest import APPS

# The tool configuration is only part of the cache key here: nothing runs helm or kustomize.
TOOLS = Tools(kube_version="v1.31.0", versions=(("helm", "v3.19.5"),))

YAML_OK = [
    ("timestamp-stays-string", b"apiVersion: v1\nkind: A\nd: 2024-01-01\n", [{"d": "2024-01-01"}]),
    ("empty-docs-skipped", b"---\n---\napiVersion: v1\nkind: A\n---\n", [{}]),
    (
        "list-flattened",
        b"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: B}\n",
        [{"kind": "B"}],
    ),
    (
        "merge-key-allowed",
        b"apiVersion: v1\nkind: A\nx: &x {a: 1}\ny:\n  <<: *x\n  a: 2\n",
        [{"y": {"a": 2}}],
    ),
]
YAML_BAD = [
    ("duplicate-key", b"apiVersion: v1\nkind: A\nkind: B\n", "duplicate key 'kind'", 3),
    ("not-a-mapping", b"apiVersion: v1\nkind: A\n---\n- a\n", "not a Kubernetes object", 4),
    ("no-kind", b"apiVersion: v1\nmetadata: {}\n", "no kind", 1),
    ("no-apiversion", b"kind: A\n", "no apiVersion", 1),
    ("recursive-alias", b"a: &a [*a]\n", "recursive alias", 1),
    ("bad-indent", b"apiVersion: v1\nkind: A\n  x: 1\n", "invalid YAML", 3),
]


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in YAML_OK], ids=[c[0] for c in YAML_OK]
)
def test_yaml_loads(data: bytes, expected: list[dict[str, Any]]) -> None:
    docs = [obj for _line, obj in load_manifests(data, name="f.yaml", limits=Limits())]
    assert len(docs) == len(expected)
    for doc, want in zip(docs, expected, strict=True):
        assert {k: doc[k] for k in want} == want


@pytest.mark.parametrize(
    ("data", "reason", "line"), [c[1:] for c in YAML_BAD], ids=[c[0] for c in YAML_BAD]
)
def test_yaml_rejects(data: bytes, reason: str, line: int) -> None:
    with pytest.raises(RenderError, match=reason) as e:
        load_manifests(data, name="f.yaml", limits=Limits())
    assert (e.value.file, e.value.line) == ("f.yaml", line)


def test_aliases_are_unshared() -> None:
    data = b"apiVersion: v1\nkind: A\nx: &x {a: 1}\ny: *x\n"
    [(_line, obj)] = load_manifests(data, name="f.yaml", limits=Limits())
    obj["x"]["a"] = 2
    assert obj["y"]["a"] == 1


GLOBS = [
    ("*.yaml", "a.yaml", True),
    ("*.yaml", "sub/a.yaml", True),  # gobwas glob without separators: * crosses /
    ("{a,b}.yaml", "b.yaml", True),
    ("{a,b}.yaml", "c.yaml", False),
    ("sub/{x,y}/*", "sub/y/z.json", True),
    ("[ab]?.yml", "bz.yml", True),
    ("[!ab]?.yml", "az.yml", False),
]


@pytest.mark.parametrize(("pattern", "path", "match"), GLOBS)
def test_glob(pattern: str, path: str, match: bool) -> None:
    assert (glob_regex(pattern).fullmatch(path) is not None) is match


IMAGES = [
    ("nginx:1.25", {"name": "nginx", "newTag": "1.25"}),
    ("nginx=registry.io/nginx:2", {"name": "nginx", "newName": "registry.io/nginx", "newTag": "2"}),
    ("localhost:5000/app@sha256:ab", {"name": "localhost:5000/app", "digest": "sha256:ab"}),
    ("a/b=c/d", {"name": "a/b", "newName": "c/d"}),
]


@pytest.mark.parametrize(("spec", "entry"), IMAGES)
def test_parse_image(spec: str, entry: dict[str, str]) -> None:
    assert parse_image(spec) == entry


DETECT = [
    ({"path": "guestbook-helm"}, "Helm"),
    ({"path": "guestbook-kustomize/base"}, "Kustomize"),
    ({"path": "guestbook-dir"}, "Directory"),
    ({"path": "guestbook-helm", "directory": {"recurse": True}}, "Directory"),
    ({"path": "guestbook-dir", "kustomize": {"namePrefix": "x"}}, "Kustomize"),
    ({"chart": "nginx", "repoURL": "https://charts.example.com"}, "Helm"),
]


@pytest.mark.parametrize(("source", "kind"), DETECT)
def test_detect(source: dict[str, Any], kind: str) -> None:
    app_dir = APPS / source["path"] if "path" in source else None
    assert detect(source, app_dir) == kind


def test_detect_rejects_two_blocks() -> None:
    with pytest.raises(RenderError, match="more than one tool block"):
        detect({"helm": {"x": 1}, "kustomize": {"y": 1}}, APPS)


def test_cache_key_is_canonical() -> None:
    a = cache_key(repo_url="u", commit="c", source={"path": "p", "helm": {"x": 1, "y": 2}},
                  app_name="a", namespace="n", tools=TOOLS)  # fmt: skip
    b = cache_key(repo_url="u", commit="c", source={"helm": {"y": 2, "x": 1}, "path": "p"},
                  app_name="a", namespace="n", tools=TOOLS)  # fmt: skip
    assert a == b
    c = cache_key(
        repo_url="u", commit="d", source={"path": "p"}, app_name="a", namespace="n", tools=TOOLS
    )
    assert c != a


def test_cache_bounds_by_count_and_bytes() -> None:
    result = asyncio.run(render({"path": "guestbook-dir"}, APPS, app_name="gb"))
    keys = [
        cache_key(
            repo_url="u",
            commit=str(i),
            source={"path": "p"},
            app_name="a",
            namespace="n",
            tools=TOOLS,
        )
        for i in range(4)
    ]
    by_count = RenderCache(max_entries=2)
    for k in keys:
        by_count.put(k, result)
    assert len(by_count) == 2
    assert by_count.get(keys[0]) is None
    assert by_count.get(keys[3]) is result
    size = RenderCache()
    size.put(keys[0], result)
    one = size.total_bytes
    by_bytes = RenderCache(max_bytes=one * 2 + 1)
    for k in keys:
        by_bytes.put(k, result)
    assert len(by_bytes) == 2
    assert by_bytes.total_bytes == one * 2
    tiny = RenderCache(max_bytes=10)
    tiny.put(keys[0], result)
    assert len(tiny) == 0
