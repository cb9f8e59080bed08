"""OCI charts: a real ``helm package`` pushed with ``helm push`` to a local ``docker-registry``
(plain HTTP), rendered through :func:`kapstan.render.render` with the real helm."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.process import capture
from kapstan.render import HelmRepoCredentials, RenderError, Tools, render
from kapstan.testing.chartservers import DOCKER_REGISTRY, helm_home_env, oci_registry

from .conftest import APPS

PLAIN = HelmRepoCredentials(plain_http=True)


@pytest.fixture(scope="module")
def registry(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not DOCKER_REGISTRY.exists():
        pytest.fail("docker-registry not installed: see toolchain/apt-packages.txt")
    root = tmp_path_factory.mktemp("oci")
    home = root / "home"
    env = helm_home_env(home, registry=True)
    packages = root / "packages"
    chart = root / "guestbook"
    shutil.copytree(APPS / "guestbook-helm", chart)
    capture([tools.helm, "package", str(chart), "--destination", str(packages)], env=env)
    text = (chart / "Chart.yaml").read_text().replace("version: 0.1.0", "version: 0.1.1")
    (chart / "Chart.yaml").write_text(text)
    values = (chart / "values.yaml").read_text().replace("from-chart", "from-chart-0.1.1")
    (chart / "values.yaml").write_text(values)
    capture([tools.helm, "package", str(chart), "--destination", str(packages)], env=env)
    with oci_registry(root / "registry") as host:
        for tgz in sorted(packages.glob("*.tgz")):
            push = [tools.helm, "push", str(tgz), f"oci://{host}/charts", "--plain-http"]
            capture(push, env=env)
        yield host


def _render(
    source: dict[str, Any], tools: Tools, tmp_path: Path, repo: HelmRepoCredentials
) -> list[dict[str, Any]]:
    result = asyncio.run(
        render(source, tmp_path, app_name="gb", namespace="demo", tools=tools, helm_repo=repo)
    )
    assert result.source_type == "Helm"
    return result.objects


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("0.1.0", "from-chart"),
        ("0.1.1", "from-chart-0.1.1"),
        # Semver constraints: helm lists the registry's tags and picks the highest match.
        ("0.1.*", "from-chart-0.1.1"),
        (">=0.1.0 <0.1.1", "from-chart"),
    ],
)
@pytest.mark.parametrize("form", ["scheme", "enableOCI"])
def test_oci_chart_renders_version(
    registry: str, tools: Tools, tmp_path: Path, revision: str, message: str, form: str
) -> None:
    if form == "scheme":
        repo_url, repo = f"oci://{registry}/charts", PLAIN
    else:  # Argo CD's form: no scheme, the repository says enableOCI
        repo_url, repo = f"{registry}/charts", HelmRepoCredentials(enable_oci=True, plain_http=True)
    source = {
        "repoURL": repo_url,
        "chart": "guestbook",
        "targetRevision": revision,
        "helm": {"parameters": [{"name": "replicaCount", "value": "3"}]},
    }
    objs = _render(source, tools, tmp_path, repo)
    deploy = next(o for o in objs if o["kind"] == "Deployment")
    assert deploy["metadata"]["name"] == "gb-guestbook"
    assert deploy["metadata"]["namespace"] == "demo"
    assert deploy["spec"]["replicas"] == 3
    assert deploy["metadata"]["annotations"]["message"] == message  # the right version


def test_oci_missing_version_is_a_render_error(registry: str, tools: Tools, tmp_path: Path) -> None:
    source = {
        "repoURL": f"oci://{registry}/charts",
        "chart": "guestbook",
        "targetRevision": "9.9.9",
    }
    with pytest.raises(RenderError, match=r"helm template.*guestbook:9\.9\.9: not found"):
        _render(source, tools, tmp_path, PLAIN)


def test_oci_missing_chart_is_a_render_error(registry: str, tools: Tools, tmp_path: Path) -> None:
    source = {"repoURL": f"oci://{registry}/charts", "chart": "nope", "targetRevision": "0.1.0"}
    with pytest.raises(RenderError, match="helm template"):
        _render(source, tools, tmp_path, PLAIN)
