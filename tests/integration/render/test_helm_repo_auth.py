"""Charts from a Helm HTTP repository that requires basic auth: a real ``helm package`` +
``helm repo index`` behind a password-checking ``http.server``, rendered with the real helm.
The password must never reach a command line or an error message."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from kapstan import proc
from kapstan.localcluster.process import capture
from kapstan.render import HelmRepoCredentials, RenderError, Tools, render
from kapstan.testing.chartservers import auth_chart_repo, helm_home_env
from kapstan.testing.runners import RecordingRunner

from .conftest import APPS

USER = "charts-reader"
PASSWORD = "s3cr3t-Pa55-word"


@pytest.fixture(scope="module")
def chart_repo(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("helmrepo-auth")
    home = root / "home"
    env = helm_home_env(home)
    served = root / "served"
    served.mkdir()
    chart = root / "guestbook"
    shutil.copytree(APPS / "guestbook-helm", chart)
    capture([tools.helm, "package", str(chart), "--destination", str(served)], env=env)
    with auth_chart_repo(served, USER, PASSWORD) as url:
        capture([tools.helm, "repo", "index", str(served), "--url", url], env=env)
        yield url


def _source(url: str, **helm: Any) -> dict[str, Any]:
    return {"repoURL": url, "chart": "guestbook", "targetRevision": "0.1.0", "helm": helm}


def _render(
    source: dict[str, Any], tools: Tools, tmp_path: Path, repo: HelmRepoCredentials | None
) -> list[dict[str, Any]]:
    result = asyncio.run(
        render(source, tmp_path, app_name="gb", namespace="demo", tools=tools, helm_repo=repo)
    )
    return result.objects


@pytest.mark.parametrize("pass_credentials", [False, True])
def test_right_password_renders_without_secret_on_argv(
    chart_repo: str, tools: Tools, tmp_path: Path, pass_credentials: bool
) -> None:
    spy = RecordingRunner()
    repo = HelmRepoCredentials(username=USER, password=PASSWORD)
    source = _source(chart_repo, passCredentials=pass_credentials)
    result = asyncio.run(
        render(source, tmp_path, app_name="gb", tools=tools, helm_repo=repo, runner=spy)
    )
    deploy = next(o for o in result.objects if o["kind"] == "Deployment")
    assert deploy["metadata"]["name"] == "gb-guestbook"
    assert deploy["metadata"]["annotations"]["message"] == "from-chart"
    commands = [argv[1:3] for argv, _ in spy.calls]
    assert commands == [["repo", "update"], ["template", "kapstan-source/guestbook"]]
    for argv, env in spy.calls:
        assert not any(PASSWORD in a for a in argv)
        assert not any(PASSWORD in v for v in env.values())
        # The credentials file lived in the render's temp dir, which is gone now.
        assert not Path(env["HELM_REPOSITORY_CONFIG"]).exists()
    assert PASSWORD not in repr(repo)


def test_credentials_file_is_private(chart_repo: str, tools: Tools, tmp_path: Path) -> None:
    modes: list[int] = []

    async def runner(
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = proc.DEFAULT_TIMEOUT,
        max_output: int = proc.DEFAULT_MAX_OUTPUT,
    ) -> proc.Completed:
        assert env is not None
        config = Path(env["HELM_REPOSITORY_CONFIG"])
        modes.append(config.stat().st_mode & 0o777)
        return await proc.run(argv, cwd=cwd, env=env, timeout=timeout, max_output=max_output)

    repo = HelmRepoCredentials(username=USER, password=PASSWORD)
    asyncio.run(
        render(
            _source(chart_repo), tmp_path, app_name="gb", tools=tools, helm_repo=repo, runner=runner
        )
    )
    assert modes == [0o600, 0o600]


def test_wrong_password_is_a_clear_error_without_the_password(
    chart_repo: str, tools: Tools, tmp_path: Path
) -> None:
    wrong = "not-the-Pa55-word"
    repo = HelmRepoCredentials(username=USER, password=wrong)
    with pytest.raises(
        RenderError, match=r"helm: cannot fetch the chart repository index: .*401 Unauthorized"
    ) as err:
        _render(_source(chart_repo), tools, tmp_path, repo)
    assert wrong not in str(err.value)
    assert PASSWORD not in str(err.value)


def test_no_credentials_is_a_clear_auth_error(
    chart_repo: str, tools: Tools, tmp_path: Path
) -> None:
    with pytest.raises(RenderError, match=r"helm template.*401 Unauthorized"):
        _render(_source(chart_repo), tools, tmp_path, None)
