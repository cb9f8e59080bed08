"""``status.reconciledAt`` on Git polls, as the user sets it: by default every poll writes it
(as Argo CD's controller does); with argocd-cmd-params-cm's ``controller.reconciledat.interval``
a poll that changed nothing writes nothing while ``reconciledAt`` is younger than that, and an
explicit refresh still moves it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.argo import ArgoNamespace

pytestmark = pytest.mark.cluster

TESTDATA = Path(__file__).parent / "testdata"
POLL = {"timeout.reconciliation": "1s", "timeout.reconciliation.jitter": "0s"}


@pytest.fixture
def argo(kubectl: Kubectl, kubeconfig: Path, tmp_path: Path) -> Iterator[ArgoNamespace]:
    ns = ArgoNamespace(kubectl, kubeconfig, tmp_path, prefix="reconciled-at")
    ns.set_argocd_cm(POLL)
    ns.start(process=True, resync=None)  # polling as argocd-cm says
    yield ns
    ns.close()


def _params(argo: ArgoNamespace, data: dict[str, str]) -> None:
    argo.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cmd-params-cm"},
            "data": data,
        }
    )


def test_polls_write_reconciled_at_unless_the_interval_says_otherwise(
    argo: ArgoNamespace, tmp_path: Path, namespace: str
) -> None:
    repo = gitservers.worktree_with(tmp_path / "apps", (TESTDATA / "config", "config"))
    source = {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "config"}
    argo.create_app("stamps", source, namespace)
    argo.synced("stamps")

    # The default: every poll (each second here) writes reconciledAt, changed or not.
    first = argo.status("stamps")["reconciledAt"]
    argo.wait("a poll to write reconciledAt", "stamps", lambda s: s["reconciledAt"] != first)

    # One hour: the polls go on and write nothing (no new object version at all).
    _params(argo, {"controller.reconciledat.interval": "1h"})
    time.sleep(3.0)  # the controller sees the ConfigMap through its watch
    before = argo.app("stamps")["metadata"]["resourceVersion"]
    time.sleep(4.0)  # several polls
    after = argo.app("stamps")
    assert after["metadata"]["resourceVersion"] == before
    assert "controller.reconciledat.interval" not in argo.logs()  # no settings error

    # An explicit refresh is answered with a fresh reconciledAt.
    stamp = after["status"]["reconciledAt"]
    time.sleep(1.1)  # reconciledAt has a resolution of one second
    assert argo.refreshed("stamps")["reconciledAt"] != stamp
