"""``kapstan admin initial-password``: the generated admin password and Argo CD's advice."""

from __future__ import annotations

import base64

from kapstan.testing.cli import run
from kapstan.testing.fakekube import FakeKube


def test_prints_the_password_then_the_advice(fake: FakeKube) -> None:
    fake.put(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "argocd-initial-admin-secret", "namespace": "argocd"},
            "data": {"password": base64.b64encode(b"s3cret-pw").decode()},
        }
    )
    result = run(["admin", "initial-password", "-n", "argocd"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "s3cret-pw"
    assert lines[1] == ""
    assert "`kapstan account update-password`" in lines[2]


def test_a_missing_secret_is_one_error_line(fake: FakeKube) -> None:
    result = run(["admin", "initial-password", "--namespace", "elsewhere"])
    assert result.exit_code == 20
    assert "argocd-initial-admin-secret" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
