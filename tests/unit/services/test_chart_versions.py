"""Which Helm chart revisions may be served from the render cache, and a constraint resolved to
the version helm picks (what the app reports as its revision)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

import pytest

from kapstan import proc
from kapstan.render import Limits, RenderError, Tools
from kapstan.services.chartversions import ChartVersions
from kapstan.services.manifests import is_exact_chart_version
from kapstan.services.repositories import Repositories


@pytest.mark.parametrize(
    ("revision", "exact"),
    [
        ("0.1.0", True),
        ("v1.2.3", True),
        ("1.2", False),
        ("1.0.0-rc.1", True),
        ("1.0.0+build.7", True),
        ("0.1.*", False),
        ("0.1.x", False),
        (">=0.1.0 <0.2.0", False),
        ("~1.2", False),
        ("^1.0", False),
        ("*", False),
        ("", False),
    ],
)
def test_only_exact_versions_are_cacheable(revision: str, exact: bool) -> None:
    assert is_exact_chart_version(revision) is exact


class _Helm:
    """A stand-in for the helm binary: answers ``helm show chart`` with ``answers`` in turn."""

    def __init__(self, *answers: proc.Completed | proc.ProcessError) -> None:
        self.answers = list(answers)
        self.calls: list[list[str]] = []

    async def __call__(self, argv: Sequence[str], **_: Any) -> proc.Completed:
        self.calls.append(list(argv))
        answer = self.answers.pop(0)
        if isinstance(answer, proc.ProcessError):
            raise answer
        return answer


def _chart(version: str) -> proc.Completed:
    return proc.Completed(
        stdout=f"apiVersion: v2\nname: web\nversion: {version}\n".encode(), stderr=""
    )


def _versions(helm: _Helm, now: list[float]) -> ChartVersions:
    return ChartVersions(
        tools=Tools(helm="helm"),
        limits=Limits(),
        repositories=Repositories,
        runner=helm,
        is_exact=is_exact_chart_version,
        clock=lambda: now[0],
    )


SOURCE = {"repoURL": "https://charts.example.com", "chart": "web", "targetRevision": "0.*"}


def test_an_exact_version_needs_no_round_trip() -> None:
    helm = _Helm()
    exact = {**SOURCE, "targetRevision": "0.1.0"}
    assert asyncio.run(_versions(helm, [0.0]).resolve(exact, 0)) == "0.1.0"
    assert helm.calls == []


def test_a_constraint_is_what_helm_picks_and_is_reused_for_max_age() -> None:
    helm = _Helm(_chart("0.1.1"), _chart("0.1.2"))
    now = [100.0]
    versions = _versions(helm, now)
    assert asyncio.run(versions.resolve(SOURCE, 3)) == "0.1.1"
    assert helm.calls[0][:3] == ["helm", "show", "chart"]
    assert helm.calls[0][-2:] == ["--version", "0.*"]
    now[0] += 2
    assert asyncio.run(versions.resolve(SOURCE, 3)) == "0.1.1"  # within max_age: no helm run
    assert len(helm.calls) == 1
    assert asyncio.run(versions.resolve(SOURCE, 0)) == "0.1.2"  # a hard refresh asks again
    assert len(helm.calls) == 2


def test_failures_are_render_errors_and_never_cached() -> None:
    refused = proc.ProcessFailed(
        "helm: exited with status 1", 1, "Error: no chart version found for web-0.*"
    )
    helm = _Helm(refused, _chart("0.1.1"))
    versions = _versions(helm, [0.0])
    with pytest.raises(RenderError, match=re.escape("no chart version found for web-0.*")):
        asyncio.run(versions.resolve(SOURCE, 60))
    assert asyncio.run(versions.resolve(SOURCE, 60)) == "0.1.1"


def test_a_chart_without_a_version_is_an_error() -> None:
    helm = _Helm(proc.Completed(stdout=b"apiVersion: v2\nname: web\n", stderr=""))
    with pytest.raises(RenderError, match="has no version"):
        asyncio.run(_versions(helm, [0.0]).resolve(SOURCE, 0))
