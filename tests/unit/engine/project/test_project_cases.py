"""Table-driven AppProject enforcement cases: one YAML file per case under ``testdata/``.

Each file holds ``project`` (``name`` and ``spec``) and ``checks``: a list of
``{<check>: query, expected: ...}`` where ``<check>`` is one of ``source``,
``destination``, ``resource``, ``active``, ``sync`` or ``violations``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.project import (
    Project,
    SyncWindowError,
    active_windows,
    destination_permitted,
    glob_match,
    parse_duration,
    resource_permitted,
    source_permitted,
    sync_allowed,
    violations,
)

TESTDATA = Path(__file__).parent / "testdata"
CASES = sorted(TESTDATA.glob("*.yaml"))
CHECKS = {"source", "destination", "resource", "active", "sync", "violations"}


def _now(query: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(query["now"]))


def _run(project: Project, check: str, query: Mapping[str, Any]) -> Any:
    if check == "source":
        return source_permitted(project, query["repo"])
    if check == "destination":
        return destination_permitted(
            project, query.get("server", ""), query.get("name", ""), query.get("namespace", "")
        )
    if check == "resource":
        return resource_permitted(project, query["group"], query["kind"], query["namespaced"])
    if check == "active":
        windows = active_windows(
            project,
            query["app"],
            query.get("namespace", ""),
            query.get("server", ""),
            _now(query),
            cluster_name=query.get("clusterName", ""),
        )
        return [f"{w.kind} {w.schedule} {w.duration}" for w in windows]
    if check == "sync":
        allowed, _reason = sync_allowed(
            project,
            query["app"],
            query.get("namespace", ""),
            query.get("server", ""),
            _now(query),
            manual=bool(query.get("manual", False)),
            cluster_name=query.get("clusterName", ""),
        )
        return allowed
    namespaced = query.get("namespaced")
    scoped = None
    if isinstance(namespaced, Mapping):
        table = dict(namespaced)

        def scoped(group: str, kind: str) -> bool:
            return bool(table[f"{group}/{kind}"])

    conditions = violations(project, query["app"], query.get("manifests", []), namespaced=scoped)
    return [c.to_dict() for c in conditions]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    proj = case["project"]
    project = Project.from_spec(proj["name"], proj.get("spec"))
    assert case["checks"], "a case needs at least one check"
    for i, entry in enumerate(case["checks"]):
        (check,) = CHECKS & set(entry)
        got = _run(project, check, entry[check])
        assert got == entry["expected"], f"{path.stem} check #{i} ({check}): {entry[check]}"


def test_enough_cases() -> None:
    assert len(CASES) >= 30


def test_default_project_allows_everything() -> None:
    project = Project.default()
    assert source_permitted(project, "https://anything.example/x.git")
    assert destination_permitted(project, "https://10.0.0.1", "", "ns")
    assert destination_permitted(project, "", "prod", "ns")
    assert resource_permitted(project, "rbac.authorization.k8s.io", "ClusterRole", False)
    assert resource_permitted(project, "apps", "Deployment", True)
    assert sync_allowed(project, "a", "ns", "s", datetime(2024, 1, 1), manual=False)[0]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h", 3600), ("30m", 1800), ("1h30m", 5400), ("90s", 90), ("1.5h", 5400), ("0", 0)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "1d", "h", "1h x"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(SyncWindowError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("team-{a,b}", "team-a", True),
        ("team-{a,b}", "team-c", False),
        ("ns-[0-9]", "ns-7", True),
        ("ns-[!0-9]", "ns-7", False),
        ("a?c", "abc", True),
        ("a.c", "abc", False),
    ],
)
def test_glob_syntax(pattern: str, value: str, expected: bool) -> None:
    assert glob_match(pattern, value) is expected
