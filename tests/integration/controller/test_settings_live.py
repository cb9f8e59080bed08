"""Settings are watched: editing argocd-cm changes what ``kapstan controller`` does within
seconds, without a restart — the Git poll period (``timeout.reconciliation``), a Lua health
customization, a resource exclusion — and an invalid edit keeps the previous settings.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.kubectl import Kubectl
from kapstan.testing import gitservers
from kapstan.testing.argo import ArgoNamespace, conditions, resource

pytestmark = pytest.mark.cluster

TESTDATA = Path(__file__).parent / "testdata"
WITHIN = 10.0  # seconds: the promise for a settings change
HEALTH_LUA = """
hs = {status = "Healthy", message = "phase " .. obj.data.phase}
if obj.data.phase == "bad" then
  hs.status = "Degraded"
end
return hs
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return gitservers.worktree_with(tmp_path / "apps", (TESTDATA / "settings", "settings"))


@pytest.fixture
def argo(kubectl: Kubectl, kubeconfig: Path, tmp_path: Path) -> Iterator[ArgoNamespace]:
    ns = ArgoNamespace(kubectl, kubeconfig, tmp_path, prefix="settings")
    ns.set_argocd_cm({"timeout.reconciliation": "0"})  # no Git polling to start with
    ns.start(process=True, resync=None)  # the poll period comes from argocd-cm
    yield ns
    ns.close()


def _commit(repo: Path, revision: int) -> str:
    path = repo / "settings" / "app.yaml"
    text = path.read_text()
    path.write_text(text.replace(f'revision: "{revision - 1}"', f'revision: "{revision}"'))
    return gitservers.commit_all(repo, f"revision {revision}")


def _revision(status: dict[str, Any]) -> str:
    return str((status.get("sync") or {}).get("revision") or "")


def test_argocd_cm_edits_take_effect_without_a_restart(
    argo: ArgoNamespace, repo: Path, namespace: str
) -> None:
    app = "settings"
    source = {"repoURL": repo.as_uri(), "targetRevision": "main", "path": "settings"}
    argo.create_app(app, source, namespace, syncPolicy={"automated": {}})
    first = argo.wait(
        "the first sync", app, lambda s: (s.get("sync") or {}).get("status") == "Synced"
    )
    assert first
    # ConfigMaps have no health of their own: the app is Healthy.
    assert argo.status(app)["health"]["status"] == "Healthy"

    # 1. timeout.reconciliation "0": a new commit is not picked up by itself...
    second = _commit(repo, 2)
    time.sleep(4)
    assert _revision(argo.status(app)) != second
    # ...until the poll period is set: every later commit arrives within a poll or two.
    argo.set_argocd_cm({"timeout.reconciliation": "2s", "timeout.reconciliation.jitter": "0s"})
    argo.wait(
        "the settings change (a refresh of every app)",
        app,
        lambda s: _revision(s) == second,
        WITHIN,
    )
    third = _commit(repo, 3)
    argo.wait("a poll to find the next commit", app, lambda s: _revision(s) == third, WITHIN)

    # 2. A Lua health customization for ConfigMaps: the app turns Degraded.
    argo.set_argocd_cm(
        {
            "timeout.reconciliation": "2s",
            "timeout.reconciliation.jitter": "0s",
            "resource.customizations.health.ConfigMap": HEALTH_LUA,
        }
    )
    status = argo.wait(
        "the health customization",
        app,
        lambda s: s if s["health"]["status"] == "Degraded" else None,
        WITHIN,
    )
    entry = resource(status, "ConfigMap", "state")
    assert entry is not None
    assert entry["health"] == {"status": "Degraded", "message": "phase bad"}

    # 3. An invalid value: the previous settings stay (still Degraded, still polling) and the
    # controller says why in its log.
    argo.set_argocd_cm(
        {
            "timeout.reconciliation": "soon",
            "resource.customizations.health.ConfigMap": HEALTH_LUA,
        }
    )
    argo.wait(
        "the invalid setting to be reported",
        app,
        lambda _s: "timeout.reconciliation: invalid duration" in argo.logs(),
        WITHIN,
    )
    fourth = _commit(repo, 4)
    argo.wait(
        "polling to go on with the previous period", app, lambda s: _revision(s) == fourth, WITHIN
    )
    assert argo.status(app)["health"]["status"] == "Degraded"

    # 4. ConfigMaps excluded: no longer managed, an ExcludedResourceWarning says so.
    argo.set_argocd_cm(
        {
            "timeout.reconciliation": "2s",
            "resource.customizations.health.ConfigMap": HEALTH_LUA,
            "resource.exclusions": "- apiGroups: ['']\n  kinds: [ConfigMap]\n",
        }
    )

    def excluded(s: dict[str, Any]) -> list[str]:
        return conditions(s, "ExcludedResourceWarning")

    (message,) = argo.wait("the exclusion", app, excluded, WITHIN)
    assert message == "Resource /ConfigMap state is excluded in the settings"
    status = argo.status(app)
    assert resource(status, "ConfigMap", "state") is None
    assert resource(status, "Service", "web") is not None
    assert status["health"]["status"] == "Healthy"
