"""``kapstan app sync|wait|rollback`` against the API in process, with a stand-in controller
that runs the operation the CLI asked for: the request Argo CD's server would get, progress
lines, the final view, argocd's exit codes and messages."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kapstan.services.snapshots import InMemorySnapshots, Snapshot
from kapstan.testing.api import ApiHarness, api_on
from kapstan.testing.cli import CliResult, run, run_on_tty
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import until
from tests.unit.api.conftest import NS, app

RESOURCES = [
    {"group": "", "version": "v1", "kind": "Service", "namespace": "guestbook",
     "name": "ui", "status": "OutOfSync", "health": {"status": "Missing"}},
    {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "guestbook",
     "name": "ui", "status": "OutOfSync", "health": {"status": "Missing"}},
]  # fmt: skip
HISTORY = [
    {"id": 1, "revision": "aaa", "source": {"repoURL": "https://git.example/apps.git"}},
    {"id": 2, "revision": "bbb", "source": {"repoURL": "https://git.example/apps.git"}},
    {"id": 3, "revision": "ccc", "source": {"repoURL": "https://git.example/apps.git"}},
]


@dataclass
class Controller:
    """Runs each ``operation`` written into the app: Running, then ``phase``."""

    fake: FakeKube
    phase: str = "Succeeded"
    message: str = "successfully synced (all tasks run)"
    operations: list[dict[str, Any]] = field(default_factory=list)

    def _app(self) -> dict[str, Any] | None:
        """The app, or None once a test deleted it (the stand-in then idles, as a controller
        with nothing to do)."""
        return self.fake.get_object("Application", "guestbook", NS, group="argoproj.io")

    async def loop(self) -> None:
        while True:
            current = self._app()
            operation = current.pop("operation", None) if current is not None else None
            if current is not None and operation:
                self.operations.append(operation)
                started = f"2026-01-01T00:00:{len(self.operations):02d}Z"
                state = {"operation": operation, "phase": "Running", "startedAt": started}
                current["status"] = {**current.get("status", {}), "operationState": state}
                self.fake.put(current)
                await asyncio.sleep(0.2)
                results = [
                    {**{k: r[k] for k in ("group", "kind", "namespace", "name")},
                     "status": "Synced", "message": f"{r['kind'].lower()}/ui created"}
                    for r in RESOURCES
                ]  # fmt: skip
                done = {**state, "phase": self.phase, "message": self.message,
                        "finishedAt": "2026-01-01T00:01:00Z",
                        "syncResult": {"revision": "ddd", "resources": results}}  # fmt: skip
                healthy = [
                    {**r, "status": "Synced", "health": {"status": "Healthy"}} for r in RESOURCES
                ]
                current = self._app()
                if current is None:
                    continue
                current["status"] = {
                    **current.get("status", {}),
                    "operationState": done,
                    "resources": healthy,
                    "sync": {"status": "Synced", "revision": "ddd"},
                    "health": {"status": "Healthy"},
                }
                self.fake.put(current)
            await asyncio.sleep(0.05)


def _seeded() -> dict[str, Any]:
    seeded = app("guestbook", source={"repoURL": "https://git.example/apps.git", "path": "gb"})
    seeded["status"] = {
        "resources": RESOURCES,
        "sync": {"status": "OutOfSync"},
        "health": {"status": "Missing"},
        "history": HISTORY,
    }
    return seeded


@contextlib.asynccontextmanager
async def running(
    phase: str = "Succeeded", message: str = "", snapshots: InMemorySnapshots | None = None
) -> AsyncIterator[tuple[ApiHarness, Controller]]:
    fake = FakeKube(namespaces=("default", NS, "guestbook"))
    async with api_on(fake, snapshots=snapshots) as api:
        fake.put(_seeded())
        await until("the app is mirrored", lambda: api.ctx.mirror.app("guestbook"))
        controller = Controller(fake, phase, message or "successfully synced (all tasks run)")
        task = asyncio.create_task(controller.loop())
        try:
            yield api, controller
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def cli(api: ApiHarness, tmp_path: Path, *argv: str, stdin: str | None = None) -> CliResult:
    server = api.base_url.removeprefix("http://")
    flags = ["--server", server, "--plaintext", "--auth-token", "token-admin"]
    env = {"KAPSTAN_CONFIG": str(tmp_path / "config")}
    return await asyncio.to_thread(run, [*argv, *flags], env=env, stdin=stdin)


SYNC_CASES = [
    pytest.param([], {"sync": {}}, id="plain"),
    pytest.param(
        ["--prune", "--dry-run", "--revision", "v2", "--strategy", "apply", "--force"],
        {"sync": {"prune": True, "dryRun": True, "revision": "v2",
                  "syncStrategy": {"apply": {"force": True}}}},
        id="prune-dry-run-apply-force",
    ),
    pytest.param(
        ["--replace", "--server-side", "--apply-out-of-sync-only"],
        {"sync": {"syncOptions": ["Replace=true", "ServerSideApply=true",
                                  "ApplyOutOfSyncOnly=true"]}},
        id="sync-options",
    ),
    pytest.param(
        ["--resource", "apps:Deployment:guestbook/ui"],
        {"sync": {"resources": [{"group": "apps", "kind": "Deployment",
                                 "namespace": "guestbook", "name": "ui"}]}},
        id="one-resource",
    ),
    pytest.param(
        ["--resource", "!apps:Deployment:*"],
        {"sync": {"resources": [{"group": "", "kind": "Service",
                                 "namespace": "guestbook", "name": "ui"}]}},
        id="excluded-resource",
    ),
    pytest.param(
        ["--retry-limit", "3", "--retry-backoff-duration", "10s", "--info", "ticket=OPS-1"],
        {"retry": {"limit": 3, "backoff": {"duration": "10s", "maxDuration": "3m0s",
                                           "factor": 2}},
         "info": [{"name": "ticket", "value": "OPS-1"}]},
        id="retry-and-info",
    ),
]  # fmt: skip


def _contains(have: Any, want: Any) -> bool:
    if isinstance(want, dict):
        return isinstance(have, dict) and all(_contains(have.get(k), v) for k, v in want.items())
    return bool(have == want)


@pytest.mark.parametrize(("flags", "expected"), SYNC_CASES)
def test_sync_writes_argo_cds_operation_and_waits_for_it(
    flags: list[str], expected: dict[str, Any], tmp_path: Path
) -> None:
    async def body() -> None:
        async with running() as (api, controller):
            got = await cli(api, tmp_path, "app", "sync", "guestbook", *flags)
            assert got.exit_code == 0, got.stdout + got.stderr
            assert len(controller.operations) == 1
            operation = controller.operations[0]
            assert _contains(operation, expected), operation
            assert operation["initiatedBy"] == {"username": "admin"}
            lines = got.stdout.splitlines()
            assert lines[0].split() == [
                "TIMESTAMP", "GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK",
                "MESSAGE",
            ]  # fmt: skip
            assert any(line.split()[1:] == ["Service", "guestbook", "ui", "OutOfSync", "Missing"]
                       for line in lines[1:3])  # fmt: skip
            assert any("deployment/ui created" in line for line in lines)
            assert "Phase:              Succeeded" in got.stdout
            assert "Sync Status:        Synced to HEAD (ddd)" in got.stdout

    asyncio.run(body())


def test_a_failed_sync_exits_20_with_the_operations_message(tmp_path: Path) -> None:
    async def body() -> None:
        async with running("Failed", "one or more objects failed to apply") as (api, _):
            got = await cli(api, tmp_path, "app", "sync", "guestbook")
            assert got.exit_code == 20
            assert "Phase:              Failed" in got.stdout
            assert got.stderr.strip() == (
                "error: Operation has completed with phase: Failed: "
                "one or more objects failed to apply"
            )

    asyncio.run(body())


def test_sync_async_returns_at_once_and_json_prints_the_app(tmp_path: Path) -> None:
    async def body() -> None:
        async with running() as (api, controller):
            controller.phase = "Running"  # never finishes
            got = await cli(api, tmp_path, "app", "sync", "guestbook", "--async", "-o", "json")
            assert got.exit_code == 0, got.stderr
            assert '"operation"' in got.stdout
            assert '"name": "guestbook"' in got.stdout

    asyncio.run(body())


def test_sync_refuses_unknown_resources_and_bad_flags(tmp_path: Path) -> None:
    async def body() -> None:
        async with running() as (api, controller):
            nothing = await cli(api, tmp_path, "app", "sync", "guestbook", "--resource", "x:Y:z")
            assert nothing.exit_code == 20
            assert "no resources of the app match" in nothing.stderr
            bad = await cli(api, tmp_path, "app", "sync", "guestbook", "--resource", "Service")
            assert bad.exit_code == 20
            assert "GROUP:KIND:NAME" in bad.stderr
            strategy = await cli(api, tmp_path, "app", "sync", "guestbook", "--strategy", "x")
            assert strategy.exit_code == 20
            # The controller never reads operation.sync.manifests: refused, not synced from Git.
            local = await cli(api, tmp_path, "app", "sync", "guestbook", "--local", str(tmp_path))
            assert local.exit_code == 20
            assert (
                "--local is not supported: kapstan controller syncs from Git only" in local.stderr
            )
            assert controller.operations == []

    asyncio.run(body())


def test_wait_health_and_its_timeout(tmp_path: Path) -> None:
    async def body() -> None:
        async with running() as (api, _):
            late = await cli(
                api, tmp_path, "app", "wait", "guestbook", "--health", "--timeout", "1"
            )
            assert late.exit_code == 20
            assert late.stderr.strip() == (
                'error: timed out (1s) waiting for app "guestbook" match desired state'
            )
            sync = await cli(api, tmp_path, "app", "sync", "guestbook", "--async")
            assert sync.exit_code == 0, sync.stderr
            healthy = await cli(api, tmp_path, "app", "wait", "guestbook", "--health")
            assert healthy.exit_code == 0, healthy.stderr
            assert "Health Status:      Healthy" in healthy.stdout
            as_tree = await cli(api, tmp_path, "app", "wait", "guestbook", "--health", "-o", "tree")
            assert as_tree.exit_code == 0, as_tree.stderr
            assert "KIND/NAME" in as_tree.stdout  # the tree's header ends the output

    asyncio.run(body())


def test_wait_for_one_resource(tmp_path: Path) -> None:
    async def body() -> None:
        async with running() as (api, _):
            await cli(api, tmp_path, "app", "sync", "guestbook", "--async")
            got = await cli(
                api, tmp_path, "app", "wait", "guestbook", "--sync", "--resource", ":Service:ui",
                "--timeout", "10",
            )  # fmt: skip
            assert got.exit_code == 0, got.stderr

    asyncio.run(body())


def test_rollback_goes_to_the_previous_entry_by_default(tmp_path: Path) -> None:
    async def body() -> None:
        async with running() as (api, controller):
            got = await cli(api, tmp_path, "app", "rollback", "guestbook", "--prune")
            assert got.exit_code == 0, got.stdout + got.stderr
            assert controller.operations[0]["sync"]["revision"] == "bbb"
            assert controller.operations[0]["sync"]["prune"] is True
            assert "Phase:              Succeeded" in got.stdout
            chosen = await cli(api, tmp_path, "app", "rollback", "guestbook", "1")
            assert chosen.exit_code == 0, chosen.stderr
            assert controller.operations[1]["sync"]["revision"] == "aaa"

    asyncio.run(body())


def test_preview_changes_asks_before_syncing(tmp_path: Path) -> None:
    async def body() -> None:
        async with running() as (api, controller):
            argv = ("app", "sync", "guestbook", "--preview-changes")
            no = await cli(api, tmp_path, *argv, stdin="n\n")
            assert no.exit_code == 0, no.stderr
            assert "Application 'guestbook' has no changes" in no.stdout
            assert "Sync application 'guestbook'? [y/N]" in no.stdout
            assert "Sync of 'guestbook' cancelled" in no.stdout
            assert controller.operations == []
            yes = await cli(api, tmp_path, *argv, stdin="y\n")
            assert yes.exit_code == 0, yes.stderr
            assert len(controller.operations) == 1
            assumed = await cli(api, tmp_path, *argv, "--assumeYes")
            assert assumed.exit_code == 0, assumed.stderr
            assert len(controller.operations) == 2

    asyncio.run(body())


def test_wait_delete_ends_when_the_app_is_gone(tmp_path: Path) -> None:
    async def body() -> None:
        async with running() as (api, _):
            waiting = asyncio.create_task(
                cli(api, tmp_path, "app", "wait", "guestbook", "--delete", "--timeout", "20")
            )
            await asyncio.sleep(1.0)
            assert not waiting.done()
            api.fake.delete("Application", "guestbook", NS, group="argoproj.io")
            got = await waiting
            assert got.exit_code == 0, got.stderr
            assert got.stdout.strip() == "application 'guestbook' deleted"

    asyncio.run(body())


def test_sync_by_selector_and_by_label(tmp_path: Path) -> None:
    async def body() -> None:
        async with running() as (api, controller):
            none = await cli(api, tmp_path, "app", "sync", "-l", "team=nobody")
            assert none.exit_code == 20
            assert "no apps match the selector" in none.stderr
            got = await cli(api, tmp_path, "app", "sync", "-l", "team=default", "--async")
            assert got.exit_code == 0, got.stderr
            await until("the operation ran", lambda: controller.operations)

    asyncio.run(body())


def _managed(kind: str, group: str, labels: dict[str, str]) -> dict[str, Any]:
    api_version = f"{group}/v1" if group else "v1"
    obj = {"apiVersion": api_version, "kind": kind,
           "metadata": {"name": "ui", "namespace": "guestbook", "labels": labels}}  # fmt: skip
    text = json.dumps(obj)
    return {"group": group, "kind": kind, "namespace": "guestbook", "name": "ui",
            "liveState": text, "targetState": text}  # fmt: skip


def test_sync_label_picks_the_resources_carrying_it(tmp_path: Path) -> None:
    async def body() -> None:
        store = InMemorySnapshots()
        items = [_managed("Service", "", {"tier": "web"}), _managed("Deployment", "apps", {})]
        await store.put(Snapshot.of(NS, "guestbook", "2026-01-01T00:00:00Z", "a", {}, items))
        async with running(snapshots=store) as (api, controller):
            got = await cli(api, tmp_path, "app", "sync", "guestbook", "--label", "tier=web")
            assert got.exit_code == 0, got.stderr
            assert controller.operations[0]["sync"]["resources"] == [
                {"group": "", "kind": "Service", "namespace": "guestbook", "name": "ui"}
            ]
            none = await cli(api, tmp_path, "app", "sync", "guestbook", "--label", "tier=db")
            assert none.exit_code == 20
            assert "no resources of the app match" in none.stderr

    asyncio.run(body())


def test_on_a_terminal_sync_shows_a_live_view(tmp_path: Path) -> None:
    """At a terminal the progress is rich's live table (redrawn with control sequences, then
    cleared), and the summary still ends the output; the plain-line log is not printed."""

    async def body() -> None:
        async with running() as (api, _):
            server = api.base_url.removeprefix("http://")
            argv = ["app", "sync", "guestbook", "--server", server, "--plaintext",
                    "--auth-token", "token-admin"]  # fmt: skip
            env = {"KAPSTAN_CONFIG": str(tmp_path / "config")}
            got = await asyncio.to_thread(run_on_tty, argv, env=env)
            assert got.exit_code == 0, got.stdout
            assert "\x1b[" in got.stdout  # the live view's cursor movements
            assert "TIMESTAMP" not in got.stdout  # no plain progress lines
            assert "Phase:              Succeeded" in got.stdout

    asyncio.run(body())
