"""The ImageUpdater status a user reads with ``kubectl get imageupdater -o yaml``: Ready with
what failed, the image versions per app, and a transition time that only moves on change."""

from __future__ import annotations

from datetime import UTC, datetime

from kapstan.services.images.updater import ImageResult, Outcome
from kapstan.services.images.updaterstatus import status_of

T1 = datetime(2026, 1, 1, tzinfo=UTC)
T2 = datetime(2026, 1, 2, tzinfo=UTC)


def test_ready_with_image_versions() -> None:
    results = {
        "argocd/a": [ImageResult("web", Outcome.UPDATED, "updated", "1.2.3", "reg/web:1.2.4")],
        "argocd/b": [ImageResult("web", Outcome.UP_TO_DATE, "current", "1.2.4", "reg/web:1.2.4")],
    }
    status = status_of({}, results, T1)
    assert status["reconciledAt"] == "2026-01-01T00:00:00Z"
    assert status["conditions"] == [
        {
            "type": "Ready",
            "status": "True",
            "reason": "Reconciled",
            "message": "2 applications checked",
            "lastTransitionTime": "2026-01-01T00:00:00Z",
        }
    ]
    assert status["imageStatus"] == [
        {
            "name": "reg/web",
            "version": "1.2.4",
            "applications": [
                {"appName": "argocd/a", "lastUpdatedAt": "2026-01-01T00:00:00Z"},
                {"appName": "argocd/b"},
            ],
        }
    ]


def test_failures_make_it_not_ready_and_the_transition_time_moves_on_change_only() -> None:
    failed = {"argocd/a": [ImageResult("web", Outcome.FAILED, "reg is unreachable")]}
    first = status_of({}, failed, T1)
    cond = first["conditions"][0]
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        "UpdateFailed",
        "argocd/a/web: reg is unreachable",
    )
    again = status_of({"status": first}, failed, T2)
    assert again["conditions"][0]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    healed = status_of({"status": first}, {}, T2)
    assert healed["conditions"][0]["lastTransitionTime"] == "2026-01-02T00:00:00Z"
