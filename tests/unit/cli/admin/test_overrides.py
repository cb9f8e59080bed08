"""``kapstan admin settings resource-overrides …``: the engine's verdicts on one object with a
given argocd-cm (health cases table-driven from ``testdata/health/*.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.testing.cli import run

HEALTH = sorted((Path(__file__).parent / "testdata" / "health").glob("*.yaml"))
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}},
}


IGNORE_REPLICAS = "resource.customizations.ignoreDifferences.apps_Deployment"


def _files(tmp_path: Path, obj: dict[str, Any], data: dict[str, str]) -> tuple[str, str]:
    obj_file, cm_file = tmp_path / "object.yaml", tmp_path / "argocd-cm.yaml"
    obj_file.write_text(yaml.safe_dump(obj))
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-cm"}}
    cm_file.write_text(yaml.safe_dump({**cm, "data": data}))
    return str(obj_file), str(cm_file)


def _overrides(*words: str) -> list[str]:
    return ["admin", "settings", "resource-overrides", *words]


@pytest.mark.parametrize("case", HEALTH, ids=[p.stem for p in HEALTH])
def test_health(case: Path, tmp_path: Path) -> None:
    spec = yaml.safe_load(case.read_text())
    obj, cm = _files(tmp_path, spec["object"], spec["argocd_cm"])
    result = run(_overrides("health", obj, "--argocd-cm-path", cm))
    assert result.exit_code == 0, result.stderr
    got = [line.rstrip() for line in result.stdout.splitlines()]
    assert got == [line.rstrip() for line in spec["expect"].splitlines()]


def test_health_needs_settings(tmp_path: Path) -> None:
    obj, _ = _files(tmp_path, DEPLOYMENT, {})
    result = run(_overrides("health", obj))
    assert result.exit_code == 20
    assert "--argocd-cm-path" in result.stderr


def test_health_reports_an_invalid_customization(tmp_path: Path) -> None:
    obj, cm = _files(tmp_path, DEPLOYMENT, {"resource.customizations.health.a_b_c": "return {}"})
    result = run(_overrides("health", obj, "--argocd-cm-path", cm))
    assert result.exit_code == 20
    assert "group kind should be in format" in result.stderr


def test_ignore_differences_shows_the_removed_fields(tmp_path: Path) -> None:
    data = {IGNORE_REPLICAS: "jsonPointers: [/spec/replicas]"}
    obj, cm = _files(tmp_path, DEPLOYMENT, data)
    result = run(_overrides("ignore-differences", obj, "--argocd-cm-path", cm))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Following fields are ignored:\n\n")
    assert "-  replicas: 3\n" in result.stdout
    added = [line for line in result.stdout.splitlines() if line.startswith("+")]
    assert added == ["+++ web (after)"]


def test_ignore_differences_with_nothing_to_ignore(tmp_path: Path) -> None:
    obj, cm = _files(tmp_path, DEPLOYMENT, {})
    unset = run(_overrides("ignore-differences", obj, "--argocd-cm-path", cm))
    assert unset.stdout == "Ignore differences are not configured for 'apps/Deployment'\n"
    data = {"resource.customizations.ignoreDifferences.all": "jqPathExpressions: [.spec.paused]"}
    obj, cm = _files(tmp_path, DEPLOYMENT, data)
    absent = run(_overrides("ignore-differences", obj, "--argocd-cm-path", cm))
    assert absent.stdout.startswith("No fields are ignored by ignoreDifferences settings: \n")


def test_list_actions_merges_custom_discovery_and_built_ins(tmp_path: Path) -> None:
    actions = yaml.safe_dump(
        {
            "discovery.lua": 'return {["say-hello"] = {}, ["off"] = {disabled = true}}',
            "definitions": [{"name": "say-hello", "action.lua": "return obj"}],
            "mergeBuiltinActions": True,
        }
    )
    obj, cm = _files(
        tmp_path, DEPLOYMENT, {"resource.customizations.actions.apps_Deployment": actions}
    )
    result = run(_overrides("list-actions", obj, "--argocd-cm-path", cm))
    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["NAME", "DISABLED"]
    assert ["off", "true"] in rows
    assert ["say-hello", "false"] in rows
    assert ["restart", "false"] in rows


def test_run_action_prints_the_changes_and_created_objects(tmp_path: Path) -> None:
    obj, cm = _files(tmp_path, DEPLOYMENT, {})
    scaled = run(
        _overrides("run-action", obj, "scale", "--param", "replicas=5", "--argocd-cm-path", cm)
    )
    assert scaled.exit_code == 0, scaled.stderr
    assert "Following fields have been changed:" in scaled.stdout
    assert "-  replicas: 3\n" in scaled.stdout
    assert "+  replicas: 5\n" in scaled.stdout

    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": "default", "uid": "u-1"},
        "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": {}}}}},
    }
    obj, cm = _files(tmp_path, cronjob, {})
    created = run(_overrides("run-action", obj, "create-job", "--argocd-cm-path", cm))
    assert created.exit_code == 0, created.stderr
    assert created.stdout.startswith("Following resource was created:\n")
    assert "kind: Job" in created.stdout

    unknown = run(_overrides("run-action", obj, "explode", "--argocd-cm-path", cm))
    assert unknown.exit_code == 20
    assert "'explode' is not defined for batch/CronJob" in unknown.stderr
    bad_param = run(
        _overrides("run-action", obj, "x", "--param", "novalue", "--argocd-cm-path", cm)
    )
    assert "Invalid parameter format: novalue" in bad_param.stderr
