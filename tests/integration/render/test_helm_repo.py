"""Charts from a Helm HTTP repository: a real ``helm package`` + ``helm repo index`` served by
a local ``http.server``, rendered through :func:`kapstan.render.render` with the real helm."""

from __future__ import annotations

import asyncio
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.process import capture
from kapstan.render import RenderError, Tools, render
from kapstan.testing.chartservers import helm_home_env

from .conftest import APPS


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No request log on stderr."""


@pytest.fixture(scope="module")
def chart_repo(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("helmrepo")
    home = root / "home"
    env = helm_home_env(home)
    served = root / "served"
    served.mkdir()
    chart = root / "guestbook"
    shutil.copytree(APPS / "guestbook-helm", chart)
    capture([tools.helm, "package", str(chart), "--destination", str(served)], env=env)
    # A newer patch release, so a constraint must pick the highest match.
    text = (chart / "Chart.yaml").read_text().replace("version: 0.1.0", "version: 0.1.1")
    (chart / "Chart.yaml").write_text(text)
    values = (chart / "values.yaml").read_text().replace("from-chart", "from-chart-0.1.1")
    (chart / "values.yaml").write_text(values)
    capture([tools.helm, "package", str(chart), "--destination", str(served)], env=env)
    handler = functools.partial(_Quiet, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    capture([tools.helm, "repo", "index", str(served), "--url", url], env=env)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _render(source: dict[str, Any], tools: Tools, tmp_path: Path) -> list[dict[str, Any]]:
    result = asyncio.run(render(source, tmp_path, app_name="gb", namespace="demo", tools=tools))
    assert result.source_type == "Helm"
    return result.objects


@pytest.mark.parametrize(
    ("revision", "message"),
    [("0.1.0", "from-chart"), ("0.1.*", "from-chart-0.1.1"), (">=0.1.0 <0.1.1", "from-chart")],
)
def test_repo_chart_renders(
    chart_repo: str, tools: Tools, tmp_path: Path, revision: str, message: str
) -> None:
    source = {
        "repoURL": chart_repo,
        "chart": "guestbook",
        "targetRevision": revision,
        "helm": {"parameters": [{"name": "replicaCount", "value": "2"}]},
    }
    objs = _render(source, tools, tmp_path)
    deploy = next(o for o in objs if o["kind"] == "Deployment")
    assert deploy["metadata"]["name"] == "gb-guestbook"
    assert deploy["spec"]["replicas"] == 2
    assert deploy["metadata"]["annotations"]["message"] == message  # the right version


def test_missing_version_is_a_render_error(chart_repo: str, tools: Tools, tmp_path: Path) -> None:
    source = {"repoURL": chart_repo, "chart": "guestbook", "targetRevision": "9.9.9"}
    with pytest.raises(RenderError, match="helm"):
        _render(source, tools, tmp_path)
