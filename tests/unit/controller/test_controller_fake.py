"""The application controller on FakeKube: refresh writes, operations (start and resume), the
automated-sync loop and deletion, fast and without a cluster. The real control plane tests in
``tests/integration/controller`` prove the same features against kube-apiserver."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest

from kapstan.controller.appcontroller import Controller, ControllerError
from kapstan.model.vocabulary import RESOURCES_FINALIZER
from kapstan.services.settings import Settings
from kapstan.services.watched import static_settings
from kapstan.testing.fakekube import FakeKube, fake_client
from kapstan.testing.fakes import StaticManifests, install_into, running, until

NS, DEST = "argocd", "web"
APP_PATH = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications/demo"
CONFIG = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "settings"},
    "data": {"a": "1"},
}
EXTRA = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}, "data": {"b": "2"}}


def application(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "demo", "namespace": NS},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://git.example/apps.git", "path": "demo"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": DEST},
            **spec,
        },
    }


def app_of(fake: FakeKube) -> dict[str, Any]:
    return fake.get_object("Application", "demo", NS, group="argoproj.io") or {}


def status_of(fake: FakeKube) -> dict[str, Any]:
    return dict(app_of(fake).get("status") or {})


def sync_status(fake: FakeKube) -> str:
    return str((status_of(fake).get("sync") or {}).get("status") or "")


def live_config(fake: FakeKube, name: str = "settings") -> dict[str, Any] | None:
    return fake.get_object("ConfigMap", name, DEST)


def finished(fake: FakeKube) -> str:
    state = status_of(fake).get("operationState") or {}
    return (
        str(state.get("phase"))
        if state.get("finishedAt") and not app_of(fake).get("operation")
        else ""
    )


def app_patches(fake: FakeKube) -> int:
    return fake.count("PATCH", APP_PATH)


@pytest.fixture
def fake() -> FakeKube:
    return FakeKube(namespaces=("default", NS, DEST))


def test_without_the_crds_the_controller_says_to_run_kapstan_install(fake: FakeKube) -> None:
    async def body() -> None:
        async with fake_client(fake) as kube:
            controller = Controller(kube, StaticManifests(), NS, static_settings(Settings()))
            with pytest.raises(ControllerError, match="kapstan install"):
                await controller.run(asyncio.Event())

    asyncio.run(body())


def test_refresh_writes_the_status_and_a_quiet_recompare_writes_nothing(fake: FakeKube) -> None:
    async def body() -> None:
        manifests = StaticManifests([CONFIG])
        async with running(fake, manifests) as (controller, _kube):
            fake.put(application())
            await until("OutOfSync (missing)", lambda: sync_status(fake) == "OutOfSync")
            status = status_of(fake)
            assert status["sync"]["revision"] == "a" * 40
            assert status["resources"] == [
                {
                    "version": "v1",
                    "kind": "ConfigMap",
                    "namespace": DEST,
                    "name": "settings",
                    "status": "OutOfSync",
                    "health": {"status": "Missing"},
                }
            ]
            assert live_config(fake) is None  # a refresh never applies anything
            fake.edit(
                "Application", "demo", NS, group="argoproj.io",
                change={"operation": {"sync": {}, "initiatedBy": {"username": "me"}}},
            )  # fmt: skip
            await until("the sync", lambda: finished(fake))
            await until("Synced", lambda: sync_status(fake) == "Synced")

            # A live change that does not change the comparison (a label git does not set):
            # the app is compared again, and nothing is written.
            refreshes = 0
            original = controller.reconciler.refresh

            async def counted(*args: Any, **kwargs: Any) -> Any:
                nonlocal refreshes
                refreshes += 1
                return await original(*args, **kwargs)

            controller.reconciler.refresh = counted  # type: ignore[method-assign]
            before = app_patches(fake)
            fake.edit("ConfigMap", "settings", DEST, change={"metadata": {"labels": {"x": "y"}}})
            await until("the live re-compare", lambda: refreshes)
            await asyncio.sleep(0.3)
            assert app_patches(fake) == before
            assert sync_status(fake) == "Synced"

    asyncio.run(body())


def test_a_sync_operation_runs_records_history_and_is_removed(fake: FakeKube) -> None:
    async def body() -> None:
        async with running(fake, StaticManifests([CONFIG])):
            fake.put(
                {**application(), "operation": {"sync": {}, "initiatedBy": {"username": "me"}}}
            )
            await until("the sync to finish", lambda: finished(fake))
            assert finished(fake) == "Succeeded"
            live = live_config(fake)
            assert live is not None
            assert live["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
                f"demo:/ConfigMap:{DEST}/settings"
            )
            status = status_of(fake)
            (entry,) = status["history"]
            assert (entry["id"], entry["revision"]) == (0, "a" * 40)
            assert entry["initiatedBy"] == {"username": "me"}
            await until("Synced", lambda: sync_status(fake) == "Synced")

    asyncio.run(body())


def test_an_operation_terminated_before_it_started_ends_without_applying(
    fake: FakeKube,
) -> None:
    """What the API writes for terminate-op on a sync whose state is not written yet."""

    async def body() -> None:
        operation = {"sync": {}, "initiatedBy": {"username": "me"}}
        state = {
            "operation": operation,
            "phase": "Terminating",
            "startedAt": "2026-12-03T00:00:00Z",
        }
        async with running(fake, StaticManifests([CONFIG])):
            fake.put({**application(), "operation": operation, "status": {"operationState": state}})
            await until("the operation to end", lambda: finished(fake))
            assert finished(fake) == "Failed"
            assert status_of(fake)["operationState"]["message"] == "Operation terminated"
            assert live_config(fake) is None

    asyncio.run(body())


def test_an_operation_left_running_is_resumed_not_restarted(fake: FakeKube) -> None:
    """A previous controller died mid-sync: the state it saved (``progress``) is continued."""

    async def body() -> None:
        manifests = StaticManifests([CONFIG])
        started = "2026-01-01T00:00:00Z"
        operation = {"sync": {"revision": "a" * 40}, "initiatedBy": {"username": "me"}}
        app = {
            **application(),
            "operation": operation,
            "status": {
                "operationState": {
                    "operation": operation,
                    "phase": "Running",
                    "message": "",
                    "startedAt": started,
                    "syncResult": {"resources": [], "revision": "a" * 40},
                    "progress": {"dryRunDone": True},
                }
            },
        }
        install_into(fake, NS)
        fake.put(app)
        async with running(fake, manifests):
            await until("the resumed sync to finish", lambda: finished(fake))
            state = status_of(fake)["operationState"]
            assert state["phase"] == "Succeeded"
            assert state["startedAt"] == started  # the same operation, continued
            assert live_config(fake) is not None

    asyncio.run(body())


def test_auto_sync_self_heal_and_a_new_revision(fake: FakeKube) -> None:
    async def body() -> None:
        manifests = StaticManifests([CONFIG, EXTRA])
        policy = {"automated": {"prune": True, "selfHeal": True}}
        async with running(fake, manifests):
            fake.put(application(syncPolicy=policy))
            await until("the first automated sync", lambda: live_config(fake, "extra"))
            await until("Synced", lambda: sync_status(fake) == "Synced")
            # Live drift: healed, and only the drifted resource is synced.
            fake.edit("ConfigMap", "settings", DEST, change={"data": {"a": "drifted"}})
            await until("self-heal", lambda: (live_config(fake) or {}).get("data") == {"a": "1"})

            def healing() -> dict[str, Any] | None:  # its state is written when it ends
                state = status_of(fake).get("operationState") or {}
                sync = state["operation"]["sync"]
                return sync if "resources" in sync and state.get("finishedAt") else None

            healed = await until("the self-heal's end", healing)
            assert healed["resources"] == [
                {"kind": "ConfigMap", "namespace": DEST, "name": "settings"}
            ]
            assert len(status_of(fake)["history"]) == 1  # a selective sync is not history
            # A new revision drops `extra`: synced once more, with prune.
            settings_v2 = copy.deepcopy(CONFIG)
            settings_v2["data"] = {"a": "2"}
            manifests.set([settings_v2], "b" * 40)
            fake.edit(
                "Application", "demo", NS, group="argoproj.io",
                change={"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}},
            )  # fmt: skip
            await until("the new revision", lambda: live_config(fake, "extra") is None)
            assert (live_config(fake) or {}).get("data") == {"a": "2"}
            # The history entry is written when the operation ends, after the last apply.
            await until("its history entry", lambda: len(status_of(fake)["history"]) == 2)
            history = status_of(fake)["history"]
            assert [h["revision"] for h in history] == ["a" * 40, "b" * 40]

    asyncio.run(body())


def app_patch_bodies(fake: FakeKube) -> list[dict[str, Any]]:
    """Each PATCH of the Application as ``{path: value}`` (``None`` for a removal)."""
    return [
        {op["path"]: op.get("value") for op in json.loads(r.body)}
        for r in fake.requests
        if r.method == "PATCH" and r.path == APP_PATH
    ]


def test_a_new_automated_app_costs_two_writes(fake: FakeKube) -> None:
    """Issue 18's request budget: the comparison that calls for the automated sync sets it
    (as Argo CD's auto-sync sets `operation`), and a sync done within the progress delay
    writes its end with the comparison after it (Synced, Healthy, `operation` removed)."""

    async def body() -> None:
        async with running(fake, StaticManifests([CONFIG, EXTRA])):
            fake.put(application(syncPolicy={"automated": {"prune": True}}))
            await until("the sync", lambda: live_config(fake, "extra"))
            await until("the end", lambda: finished(fake))
            await asyncio.sleep(0.5)  # any late writes
            first, second = app_patch_bodies(fake)
            assert first["/status/sync"]["status"] == "OutOfSync"
            assert first["/operation"]["initiatedBy"] == {"automated": True}
            assert second["/status/operationState"]["phase"] == "Succeeded"
            assert second["/status/sync"]["status"] == "Synced"
            assert second["/status/health"]["status"] == "Healthy"
            assert len(second["/status/history"]) == 1
            assert "operation" not in app_of(fake)

    asyncio.run(body())


def test_a_new_automated_app_costs_two_writes_while_the_watch_trails_the_sync(
    fake: FakeKube,
) -> None:
    """On a loaded API server the watch brings what a sync created after the sync's own
    answers: the comparison right after the sync finds those objects missing. The end
    waits for them (within the hold) instead of being written OutOfSync, then Synced in a
    third write."""
    fake.lag_watches("ConfigMap", 0.3)

    async def body() -> None:
        async with running(fake, StaticManifests([CONFIG, EXTRA])):
            fake.put(application(syncPolicy={"automated": {"prune": True}}))
            await until("the end", lambda: finished(fake))
            await asyncio.sleep(0.6)  # any late writes
            bodies = app_patch_bodies(fake)
            assert [b["/status/sync"]["status"] for b in bodies] == ["OutOfSync", "Synced"]
            assert bodies[1]["/status/operationState"]["phase"] == "Succeeded"

    asyncio.run(body())


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 0,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]},
        },
    },
}


def observe_deployment(fake: FakeKube) -> None:
    """What kube-controller-manager does to a new Deployment of 0 replicas."""
    fake.edit(
        "Deployment", "web", DEST, group="apps", subresource="status",
        manager="kube-controller-manager",
        change={"status": {"observedGeneration": 1, "replicas": 0}},
    )  # fmt: skip


def health(fake: FakeKube) -> str:
    return str((status_of(fake).get("health") or {}).get("status") or "")


def test_an_automated_sync_end_waits_for_a_progressing_health_to_settle(
    fake: FakeKube,
) -> None:
    """The Deployment is Progressing when the sync ends; once observed it is Healthy, and
    the end is written with that comparison: no write says Synced and Progressing first."""

    async def body() -> None:
        async with running(fake, StaticManifests([DEPLOYMENT])):
            fake.put(application(syncPolicy={"automated": {"prune": True}}))
            await until(
                "the sync", lambda: fake.get_object("Deployment", "web", DEST, group="apps")
            )
            await asyncio.sleep(0.3)  # the comparison after the sync: Progressing, held
            assert not finished(fake)
            observe_deployment(fake)
            await until("the end", lambda: finished(fake))
            assert health(fake) == "Healthy"
            await asyncio.sleep(0.5)
            assert len(app_patch_bodies(fake)) == 2

    asyncio.run(body())


def test_a_held_end_is_written_after_the_hold_if_the_health_does_not_settle(
    fake: FakeKube, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kapstan.controller.ending.END_HOLD", 0.5)

    async def body() -> None:
        async with running(fake, StaticManifests([DEPLOYMENT])):
            fake.put(application(syncPolicy={"automated": {"prune": True}}))
            await until("the end", lambda: finished(fake))
            assert finished(fake) == "Succeeded"
            assert (sync_status(fake), health(fake)) == ("Synced", "Progressing")
            observe_deployment(fake)
            await until("Healthy", lambda: health(fake) == "Healthy")

    asyncio.run(body())


def test_a_requested_sync_ends_with_the_first_comparison_after_it(fake: FakeKube) -> None:
    """Someone waiting for their sync sees it end at once, still Progressing."""

    async def body() -> None:
        async with running(fake, StaticManifests([DEPLOYMENT])):
            operation = {"sync": {}, "initiatedBy": {"username": "me"}}
            fake.put({**application(), "operation": operation})
            await until("the end", lambda: finished(fake), timeout=1.5)
            assert (sync_status(fake), health(fake)) == ("Synced", "Progressing")
            compared, end = app_patch_bodies(fake)  # the new app's comparison, the end
            assert compared["/status/sync"]["status"] == "OutOfSync"
            assert end["/status/operationState"]["phase"] == "Succeeded"
            assert end["/status/health"]["status"] == "Progressing"

    asyncio.run(body())


def test_a_render_error_never_syncs_and_shows_a_comparison_error(fake: FakeKube) -> None:
    async def body() -> None:
        manifests = StaticManifests()
        manifests.fail("source 0: guestbook/broken.yaml:1: invalid YAML")
        async with running(fake, manifests):
            fake.put(application(syncPolicy={"automated": {"prune": True}}))

            def error() -> list[str]:
                return [
                    c["message"]
                    for c in status_of(fake).get("conditions") or []
                    if c["type"] == "ComparisonError"
                ]

            (message,) = await until("the ComparisonError", error)
            assert "broken.yaml" in message
            await asyncio.sleep(0.3)
            assert "operationState" not in status_of(fake)

    asyncio.run(body())


def test_deletion_with_the_resources_finalizer(fake: FakeKube) -> None:
    async def body() -> None:
        async with running(fake, StaticManifests([CONFIG, EXTRA])):
            app = application(syncPolicy={"automated": {"prune": True}})
            app["metadata"]["finalizers"] = [RESOURCES_FINALIZER]
            fake.put(app)
            await until("the sync", lambda: live_config(fake, "extra"))
            await until("Synced", lambda: sync_status(fake) == "Synced")
            fake.delete("Application", "demo", NS, group="argoproj.io")
            await until("the app to be gone", lambda: not app_of(fake))
            assert live_config(fake) is None
            assert live_config(fake, "extra") is None

    asyncio.run(body())


def test_an_unexpected_failure_is_an_unknown_error_on_the_app(
    fake: FakeKube, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No exception in a worker may leave an app without a word."""

    async def body() -> None:
        async with running(fake, StaticManifests([CONFIG])) as (controller, _kube):

            async def broken(*args: Any, **kwargs: Any) -> Any:
                raise RuntimeError("something unforeseen")

            monkeypatch.setattr(controller.reconciler, "refresh", broken)
            fake.put(application())

            def unknown() -> list[str]:
                return [
                    c["message"]
                    for c in status_of(fake).get("conditions") or []
                    if c["type"] == "UnknownError"
                ]

            (message,) = await until("the UnknownError", unknown)
            assert message == "RuntimeError: something unforeseen"

    asyncio.run(body())


def test_a_resource_of_another_app_is_a_shared_resource_warning(fake: FakeKube) -> None:
    async def body() -> None:
        async with running(fake, StaticManifests([CONFIG])):
            first = application(syncPolicy={"automated": {}})
            first["metadata"]["name"] = "first"
            fake.put(first)
            await until("the first app's ConfigMap", lambda: live_config(fake))
            fake.put(application(syncPolicy={"syncOptions": ["FailOnSharedResource=true"]}))

            def warning() -> list[str]:
                return [
                    c["message"]
                    for c in status_of(fake).get("conditions") or []
                    if c["type"] == "SharedResourceWarning"
                ]

            (message,) = await until("the warning", warning)
            assert message == f"ConfigMap/settings is part of applications first and {NS}/demo"
            fake.edit(
                "Application", "demo", NS, group="argoproj.io",
                change={"operation": {"sync": {}, "initiatedBy": {"username": "me"}}},
            )  # fmt: skip
            await until("the refused sync", lambda: finished(fake))
            state = status_of(fake)["operationState"]
            assert state["phase"] == "Error"
            assert "shared resource found" in state["message"]
            tracking = (live_config(fake) or {})["metadata"]["annotations"]
            assert tracking["argocd.argoproj.io/tracking-id"].startswith("first:")

    asyncio.run(body())


def test_each_comparison_is_published_as_a_snapshot_with_secrets_masked(fake: FakeKube) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds"},
        "data": {"password": "c3VwZXItc2VjcmV0"},  # "super-secret"
    }

    async def body() -> None:
        async with running(fake, StaticManifests([CONFIG, secret])) as (controller, _kube):
            fake.put(
                {**application(), "operation": {"sync": {}, "initiatedBy": {"username": "me"}}}
            )
            await until("Synced", lambda: sync_status(fake) == "Synced")
            config = live_config(fake) or {}
            # Something the ConfigMap owns (no controllers run in FakeKube: put it there).
            child = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "child",
                    "namespace": DEST,
                    "ownerReferences": [
                        {
                            "apiVersion": "v1",
                            "kind": "ConfigMap",
                            "name": "settings",
                            "uid": config["metadata"]["uid"],
                        }
                    ],
                },
            }
            fake.put(child)

            async def tree_has_child() -> Any:
                snap = await controller.snapshots.get(NS, "demo")
                names = {n["name"] for n in snap.tree["nodes"]} if snap else set()
                return snap if "child" in names else None

            snap = None
            for _ in range(200):
                snap = await tree_has_child()
                if snap:
                    break
                await asyncio.sleep(0.02)
            assert snap is not None
            assert snap.revision == "a" * 40
            nodes = {n["name"]: n for n in snap.tree["nodes"]}
            assert nodes["child"]["parentRefs"] == [
                {
                    "group": "",
                    "kind": "ConfigMap",
                    "namespace": DEST,
                    "name": "settings",
                    "uid": config["metadata"]["uid"],
                }
            ]
            managed = {m["name"]: m for m in snap.managed_resources()["items"]}
            assert set(managed) == {"settings", "creds"}
            assert managed["settings"]["modified"] is False
            text = json.dumps([snap.tree, snap.managed_resources()])
            assert "c3VwZXItc2VjcmV0" not in text
            assert "super-secret" not in text
            assert "++++++++" in managed["creds"]["liveState"]

    asyncio.run(body())
