"""``kapstan admin`` as a user runs it, against the real cluster: the initial password
``kapstan server`` generated logs admin in, and an export imported back restores what was
deleted and, with ``--prune``, removes what the backup does not hold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kapstan.demo.children import kapstan_argv
from kapstan.localcluster import process
from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.argo import ArgoNamespace

pytestmark = pytest.mark.cluster


@pytest.fixture
def argo(
    kubectl: Kubectl, kubeconfig: Path, argocd: str, tmp_path: Path
) -> Iterator[ArgoNamespace]:
    del argocd  # the CRDs are installed
    found = ArgoNamespace(kubectl, kubeconfig, tmp_path, prefix="admin")
    try:
        yield found
    finally:
        found.close()


def _admin(kubeconfig: Path, *words: str, stdin: str | None = None) -> str:
    """What ``kapstan admin WORDS --kubeconfig K`` prints (it must exit 0)."""
    argv = kapstan_argv("admin", *words, "--kubeconfig", str(kubeconfig))
    return process.capture(argv, stdin=stdin.encode() if stdin is not None else None)


def test_initial_password_logs_admin_in(
    argo: ArgoNamespace, kubeconfig: Path, tmp_path: Path
) -> None:
    server = ApiServerProcess(kubeconfig, argo.name, tmp_path / "server.log").start()
    try:
        printed = _admin(kubeconfig, "initial-password", "-n", argo.name)
        password = printed.splitlines()[0]
        assert "update the password using `kapstan account update-password`" in printed
        with server.client() as http:
            answer = http.post("/api/v1/session", json={"username": "admin", "password": password})
        assert answer.status_code == 200, answer.text
    finally:
        server.stop()


def test_export_import_round_trip(argo: ArgoNamespace, kubeconfig: Path, tmp_path: Path) -> None:
    argo.set_argocd_cm({"timeout.reconciliation": "5m"})
    argo.secret("repo-guestbook", "repository", {"url": "https://git.example/guestbook.git"})
    source = {"repoURL": "https://git.example/guestbook.git", "path": "guestbook"}
    argo.create_app("guestbook", source, "web")
    backup = tmp_path / "backup.yaml"
    _admin(kubeconfig, "export", "-n", argo.name, "-o", str(backup))
    kinds = [
        (d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(backup.read_text()) if d
    ]
    assert ("ConfigMap", "argocd-cm") in kinds
    assert ("Secret", "repo-guestbook") in kinds
    assert ("Application", "guestbook") in kinds

    argo.delete("application", "guestbook")
    argo.apply({"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
                "metadata": {"name": "extra"}, "spec": {}})  # fmt: skip
    restored = _admin(
        kubeconfig, "import", "-", "-n", argo.name, "--prune", stdin=backup.read_text()
    )
    lines = restored.splitlines()
    assert f"argoproj.io/Application guestbook in namespace {argo.name} created" in lines
    assert "argoproj.io/AppProject extra pruned" in lines
    assert argo.app("guestbook")["spec"]["source"] == source
    assert argo.kubectl("get", "appproject", "-n", argo.name, "-o", "name").split() == [
        "appproject.argoproj.io/default"
    ]
