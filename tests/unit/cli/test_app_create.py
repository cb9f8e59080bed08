"""``kapstan app create|delete`` against the API in process: the Application the flags (or a
file) make, argocd's messages, the upsert rule, the confirmation, exit codes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

from kapstan.model.vocabulary import RESOURCES_FINALIZER
from kapstan.testing.api import ApiHarness, api_on, bearer
from kapstan.testing.fakekube import FakeKube
from tests.unit.api.conftest import NS, app
from tests.unit.cli.appcli import cli, mirrored, stored

FLAGS = [
    "--repo", "https://git.example/apps.git", "--path", "guestbook", "--revision", "main",
    "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", "guestbook",
    "--sync-policy", "automated", "--auto-prune", "--self-heal",
    "--sync-option", "CreateNamespace=true", "--label", "team=a",
    "--helm-set", "replicas=2", "--values", "values-prod.yaml",
]  # fmt: skip


def serve(body: object) -> None:
    async def main() -> None:
        async with api_on(FakeKube(namespaces=("default", NS))) as api:
            await body(api)  # type: ignore[operator]

    asyncio.run(main())


def test_create_from_flags_makes_the_application_argocd_would() -> None:
    async def body(api: ApiHarness) -> None:
        done = await cli(api, "app", "create", "guestbook", *FLAGS)
        assert done.exit_code == 0, done.stderr
        assert done.stdout == "application 'guestbook' created\n"
        made = stored(api, "guestbook")
        assert made is not None
        assert made["metadata"]["labels"] == {"team": "a"}
        assert made["spec"] == {
            "project": "default",
            "source": {
                "repoURL": "https://git.example/apps.git",
                "path": "guestbook",
                "targetRevision": "main",
                "helm": {
                    "parameters": [{"name": "replicas", "value": "2"}],
                    "valueFiles": ["values-prod.yaml"],
                },
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "guestbook"},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        }
        await mirrored(api, "guestbook")
        again = await cli(api, "app", "create", "guestbook", *FLAGS)
        assert again.stdout == "application 'guestbook' unchanged\n", again.stderr

        changed = [*FLAGS, "--revision", "v2"]
        refused = await cli(api, "app", "create", "guestbook", *changed)
        assert refused.exit_code == 20
        assert "existing application spec is different, use upsert flag" in refused.stderr
        upserted = await cli(api, "app", "create", "guestbook", *changed, "--upsert")
        assert upserted.stdout == "application 'guestbook' updated\n", upserted.stderr
        assert stored(api, "guestbook")["spec"]["source"]["targetRevision"] == "v2"  # type: ignore[index]

    serve(body)


def test_create_from_a_file_or_stdin_with_flags_over_it(tmp_path: Path) -> None:
    manifest = app("from-file")
    file = tmp_path / "app.yaml"
    file.write_text(yaml.safe_dump(manifest))

    async def body(api: ApiHarness) -> None:
        done = await cli(api, "app", "create", "-f", str(file), "--revision", "v1")
        assert done.stdout == "application 'from-file' created\n", done.stderr
        source = stored(api, "from-file")["spec"]["source"]  # type: ignore[index]
        assert source == {**manifest["spec"]["source"], "targetRevision": "v1"}

        two = yaml.safe_dump_all([app("one"), app("two")])
        piped = await cli(api, "app", "create", "-f", "-", stdin=two)
        assert piped.stdout.splitlines() == [
            "application 'one' created",
            "application 'two' created",
        ], piped.stderr

        bad = await cli(api, "app", "create", "x", "--helm-set", "novalue", *FLAGS[:4])
        assert bad.exit_code == 20
        assert "--helm-set 'novalue': expected key=value" in bad.stderr
        literal = tmp_path / "values.yaml"
        literal.write_text("replicas: 3\n")
        lit = await cli(api, "app", "create", "lit", *FLAGS[:8], "--values-literal-file",
                        str(literal), "--sync-retry-limit", "2")  # fmt: skip
        assert lit.exit_code == 0, lit.stderr
        made = stored(api, "lit")
        assert made is not None
        assert made["spec"]["source"]["helm"] == {"values": "replicas: 3\n"}
        assert made["spec"]["syncPolicy"]["retry"]["limit"] == 2
        absent = await cli(api, "app", "create", "x", "--values-literal-file", "/nope.yaml")
        assert absent.exit_code == 20
        assert "--values-literal-file /nope.yaml: No such file or directory" in absent.stderr

        nameless = await cli(api, "app", "create", "--repo", "r")
        assert nameless.exit_code == 20
        assert "needs a name" in nameless.stderr

    serve(body)


def test_delete_asks_on_a_terminal_refuses_when_piped_and_cascades() -> None:
    async def body(api: ApiHarness) -> None:
        api.fake.put(app("gone"))
        await mirrored(api, "gone")
        refused = await cli(api, "app", "delete", "gone")
        assert refused.exit_code == 20
        assert "refusing to delete without --yes" in refused.stderr
        assert stored(api, "gone") is not None

        done = await cli(api, "app", "delete", "gone", "-y", "--propagation-policy", "background")
        assert done.exit_code == 0, done.stderr
        assert done.stdout == "application 'gone' deleted\n"
        held = stored(api, "gone")  # by the cascade finalizer, for the controller to run
        assert held is not None
        assert held["metadata"].get("deletionTimestamp")
        assert held["metadata"]["finalizers"] == [f"{RESOURCES_FINALIZER}/background"]

        api.fake.put(app("picked", "team-a"))
        await mirrored(api, "picked")
        picked = await cli(
            api, "app", "delete", "-l", "team=team-a", "-y", "--no-cascade", "--wait"
        )
        assert picked.stdout == "application 'picked' deleted\n", picked.stderr
        assert stored(api, "picked") is None  # no cascade: no finalizer holds it

        missing = await cli(api, "app", "delete", "nope", "-y")
        assert missing.exit_code == 20
        said = await api.http.delete("/api/v1/applications/nope", headers=bearer("admin"))
        assert missing.stderr == f"error: {said.json()['message']} (HTTP {said.status_code})\n"

    serve(body)
