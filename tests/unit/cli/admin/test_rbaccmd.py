"""``kapstan admin settings rbac can|validate`` on policy files: the verdicts Kapstan's server
would reach (table-driven from ``testdata/rbac-can.yaml``), Argo CD's output and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.testing.cli import run
from kapstan.testing.fakekube import FakeKube

DATA = yaml.safe_load((Path(__file__).parent / "testdata" / "rbac-can.yaml").read_text())
CASES: list[dict[str, Any]] = DATA["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_can(case: dict[str, Any], tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    policy.write_text(DATA["policies"][case["policy"]])
    argv = ["admin", "settings", "rbac", "can", *case["args"], "--policy-file", str(policy)]
    result = run([*argv, *case.get("flags", [])])
    assert result.stdout.strip() == case["verdict"], result.stderr
    expected_exit = case.get("exit", 0 if case["verdict"] == "Yes" else 1)
    assert result.exit_code == expected_exit


def test_can_strict_refuses_unknown_names(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text(DATA["policies"]["csv"])
    base = ["admin", "settings", "rbac", "can", "alice"]
    bad_action = run([*base, "fly", "app", "dev/x", "--policy-file", str(policy)])
    assert bad_action.exit_code == 1
    assert "'fly' is not a valid action for applications" in bad_action.stderr
    bad_resource = run([*base, "get", "widgets", "--policy-file", str(policy)])
    assert "'widgets' is not a valid resource name" in bad_resource.stderr
    path_not_allowed = run([*base, "get/x", "app", "--policy-file", str(policy)])
    assert "'get/x' is not a valid action" in path_not_allowed.stderr
    lenient = run([*base, "fly", "app", "dev/x", "--no-strict", "--policy-file", str(policy)])
    assert (lenient.exit_code, lenient.stdout.strip()) == (1, "No")


def test_can_reads_argocd_rbac_cm_from_the_cluster(fake: FakeKube) -> None:
    fake.put(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm", "namespace": "argocd"},
            "data": {"policy.csv": "g, dana, role:admin\n"},
        }
    )
    allowed = run(
        ["admin", "settings", "rbac", "can", "dana", "sync", "app", "p/a", "-n", "argocd"]
    )
    assert (allowed.exit_code, allowed.stdout) == (0, "Yes\n")
    missing = run(["admin", "settings", "rbac", "can", "dana", "get", "app", "-n", "elsewhere"])
    assert missing.exit_code == 20
    assert "argocd-rbac-cm" in missing.stderr


def test_can_refuses_an_invalid_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text("p, role:dev, applications\n")
    result = run(
        ["admin", "settings", "rbac", "can", "x", "get", "app", "--policy-file", str(policy)]
    )
    assert result.exit_code == 1
    assert "invalid user policy: policy.csv line 1" in result.stderr


@pytest.mark.parametrize(
    ("text", "stdout", "code"),
    [
        (
            "p, role:dev, applications, get, */*, allow\ng, alice, role:dev\n",
            "Policy is valid.\n",
            0,
        ),
        ("p, role:dev, applications\n", "Policy is invalid: policy.csv line 1", 1),
        (DATA["policies"]["configmap"], "Policy is valid.\n", 0),
    ],
    ids=["csv", "bad-line", "configmap"],
)
def test_validate(text: str, stdout: str, code: int, tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    policy.write_text(text)
    result = run(["admin", "settings", "rbac", "validate", "--policy-file", str(policy)])
    assert result.exit_code == code
    assert result.stdout.startswith(stdout)


def test_validate_warns_about_what_cannot_work(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text("p, role:dev, applications, get, */*, maybe\n")
    result = run(["admin", "settings", "rbac", "validate", "--policy-file", str(policy)])
    assert result.exit_code == 0, result.stdout
    assert "warning:" in result.stderr


def test_validate_refuses_an_empty_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text("")
    result = run(["admin", "settings", "rbac", "validate", "--policy-file", str(policy)])
    assert result.exit_code == 1
    assert "Policy is empty" in result.stderr
