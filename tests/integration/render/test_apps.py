"""Each fixture app renders to the expected objects (real helm and kustomize binaries)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kapstan.render import RenderResult, Tools, render

from .conftest import APPS


def _render(source: dict[str, Any], tools: Tools, **kw: Any) -> RenderResult:
    kw.setdefault("app_name", "gb")
    kw.setdefault("namespace", "demo")
    return asyncio.run(render(source, APPS, tools=tools, **kw))


def _index(result: RenderResult) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in result.objects}


def _container(obj: dict[str, Any]) -> dict[str, Any]:
    c: dict[str, Any] = obj["spec"]["template"]["spec"]["containers"][0]
    return c


CASES: list[tuple[str, dict[str, Any], str, set[tuple[str, str]]]] = [
    (
        "directory-root-only",
        {"path": "guestbook-dir"},
        "Directory",
        {("Deployment", "guestbook-ui"), ("Service", "guestbook-ui")},
    ),
    (
        "directory-recurse",
        {"path": "guestbook-dir", "directory": {"recurse": True}},
        "Directory",
        {
            ("Deployment", "guestbook-ui"),
            ("Service", "guestbook-ui"),
            ("ConfigMap", "guestbook-extra"),
        },
    ),
    (
        "directory-include-alternation",
        {"path": "guestbook-dir", "directory": {"recurse": True, "include": "{*.yml,*.json}"}},
        "Directory",
        {("Service", "guestbook-ui"), ("ConfigMap", "guestbook-extra")},
    ),
    (
        "directory-exclude-wins",
        {
            "path": "guestbook-dir",
            "directory": {"recurse": True, "include": "*", "exclude": "extra/*"},
        },
        "Directory",
        {("Deployment", "guestbook-ui"), ("Service", "guestbook-ui")},
    ),
    (
        "helm-detected",
        {"path": "guestbook-helm"},
        "Helm",
        {("Deployment", "gb-guestbook"), ("Service", "gb-guestbook"), ("Job", "gb-migrate")},
    ),
    (
        "kustomize-overlay",
        {"path": "guestbook-kustomize/overlays/prod"},
        "Kustomize",
        {("Deployment", "guestbook-ui-prod"), ("Service", "guestbook-ui-prod")},
    ),
    (
        "jsonnet",
        {
            "path": "guestbook-jsonnet",
            "directory": {
                "jsonnet": {
                    "extVars": [{"name": "name", "value": "jsonnet-gb"}],
                    "tlas": [
                        {"name": "replicas", "value": "1 + 2", "code": True},
                        {"name": "image", "value": "guestbook:v3"},
                    ],
                    "libs": ["guestbook-jsonnet/lib"],
                }
            },
        },
        "Directory",
        {("Deployment", "jsonnet-gb"), ("Service", "jsonnet-gb")},
    ),
]


@pytest.mark.parametrize(
    ("source", "kind", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_fixture_app_renders(
    source: dict[str, Any], kind: str, expected: set[tuple[str, str]], tools: Tools
) -> None:
    result = _render(source, tools)
    assert result.source_type == kind
    assert set(_index(result)) == expected
    assert len(result.objects) == len(expected)


def test_directory_provenance_and_strings(tools: Tools) -> None:
    result = _render({"path": "guestbook-dir"}, tools)
    assert [m.source for m in result.manifests] == [
        "guestbook-dir/deployment.yaml",
        "guestbook-dir/service.yml",
    ]
    deploy = _index(result)[("Deployment", "guestbook-ui")]
    assert deploy["metadata"]["annotations"]["released"] == "2024-01-01"


def test_jsonnet_vars_and_libs_applied(tools: Tools) -> None:
    source = CASES[-1][1]
    deploy = _index(_render(source, tools))[("Deployment", "jsonnet-gb")]
    assert deploy["spec"]["replicas"] == 3
    assert deploy["metadata"]["labels"] == {"app": "jsonnet-gb"}
    assert _container(deploy)["image"] == "guestbook:v3"


def test_helm_flags_values_and_hooks(tools: Tools) -> None:
    source = {
        "path": "guestbook-helm",
        "helm": {
            "releaseName": "rel",
            "valueFiles": ["values-prod.yaml", "missing.yaml"],
            "ignoreMissingValueFiles": True,
            "values": "message: from-values\nconfig: a,b",
            "parameters": [
                {"name": "image.tag", "value": "0.3"},
                {"name": "config", "value": "x,y", "forceString": True},
            ],
        },
    }
    result = _render(source, tools)
    objs = _index(result)
    deploy = objs[("Deployment", "rel-guestbook")]
    assert deploy["metadata"]["namespace"] == "demo"
    assert deploy["spec"]["replicas"] == 2  # values-prod.yaml over chart values
    assert deploy["metadata"]["annotations"]["message"] == "from-values"  # values over files
    assert deploy["metadata"]["annotations"]["kube-version"] == "v1.31.0"
    assert deploy["metadata"]["annotations"]["has-widgets"] == "true"
    assert _container(deploy)["image"].endswith(":0.3")
    assert _container(deploy)["env"][0]["value"] == "x,y"  # comma escaped for --set-string
    job = objs[("Job", "rel-migrate")]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install"
    sources = {m.obj["kind"]: m.source for m in result.manifests}
    assert sources["Job"] == "helm:guestbook/templates/hook-job.yaml"


def test_helm_values_object_wins_over_values(tools: Tools) -> None:
    source = {
        "path": "guestbook-helm",
        "helm": {"values": "message: a", "valuesObject": {"message": "b", "replicaCount": 4}},
    }
    deploy = _index(_render(source, tools))[("Deployment", "gb-guestbook")]
    assert deploy["metadata"]["annotations"]["message"] == "b"
    assert deploy["spec"]["replicas"] == 4


def test_multi_source_ref_values(tools: Tools) -> None:
    source = {"path": "guestbook-helm", "helm": {"valueFiles": ["$values/envs/prod-values.yaml"]}}
    result = _render(source, tools, refs={"values": APPS / "values-repo"})
    deploy = _index(result)[("Deployment", "gb-guestbook")]
    assert deploy["spec"]["replicas"] == 5
    assert deploy["metadata"]["annotations"]["message"] == "from-ref-repo"


def test_kustomize_argo_overrides(tools: Tools) -> None:
    source = {
        "path": "guestbook-kustomize/overlays/prod",
        "kustomize": {
            "namePrefix": "argo-",
            "namespace": "team-a",
            "images": ["gcr.io/heptio-images/ks-guestbook-demo=example.com/gb:9.9"],
            "commonLabels": {"team": "a"},
            "commonAnnotations": {"owner": "kapstan"},
            "replicas": [{"name": "guestbook-ui", "count": 3}],
            "patches": [
                {
                    "target": {"kind": "Service"},
                    "patch": "- op: replace\n  path: /spec/ports/0/port\n  value: 8080\n",
                }
            ],
        },
    }
    before = (APPS / "guestbook-kustomize/overlays/prod/kustomization.yaml").read_text()
    result = _render(source, tools)
    objs = _index(result)
    assert set(objs) == {
        ("Deployment", "argo-guestbook-ui-prod"),
        ("Service", "argo-guestbook-ui-prod"),
    }
    deploy = objs[("Deployment", "argo-guestbook-ui-prod")]
    assert deploy["metadata"]["namespace"] == "team-a"
    assert deploy["spec"]["replicas"] == 3
    assert _container(deploy)["image"] == "example.com/gb:9.9"
    assert deploy["metadata"]["labels"] == {"env": "prod", "team": "a"}
    assert deploy["metadata"]["annotations"] == {"owner": "kapstan"}
    assert objs[("Service", "argo-guestbook-ui-prod")]["spec"]["ports"][0]["port"] == 8080
    # The checkout itself is never edited.
    assert (APPS / "guestbook-kustomize/overlays/prod/kustomization.yaml").read_text() == before


def test_kustomize_existing_label_needs_force(tools: Tools) -> None:
    from kapstan.render import RenderError

    source = {
        "path": "guestbook-kustomize/overlays/prod",
        "kustomize": {"commonLabels": {"env": "x"}},
    }
    with pytest.raises(RenderError, match="already in the kustomization"):
        _render(source, tools)
    source["kustomize"]["forceCommonLabels"] = True  # type: ignore[index]
    deploy = _index(_render(source, tools))[("Deployment", "guestbook-ui-prod")]
    assert deploy["metadata"]["labels"]["env"] == "x"


def test_result_is_frozen(tools: Tools, tmp_path: Path) -> None:
    import dataclasses

    result = _render({"path": "guestbook-dir"}, tools)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.source_type = "Helm"  # type: ignore[misc]
