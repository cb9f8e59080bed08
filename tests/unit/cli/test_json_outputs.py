"""``-o json`` and ``-o yaml`` of every get/list command print the API's answer unchanged and
it reads back through the typed views: table-driven from ``testdata/json_outputs.yaml``.

For each case the command's output is parsed, compared with what ``GET`` of the API path gives
(the part the command shows), serialised again (the JSON text must be what the command printed,
so nothing was lost or reordered), and read through the model's view where there is one, whose
fields must say what the raw object says. No secret planted in the setup may appear."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine.project.model import Project
from kapstan.model.application import Application
from kapstan.testing.api import ApiHarness, api_on, bearer
from kapstan.testing.fakes import until
from tests.unit.api.admin_fixtures import ssh_public_key
from tests.unit.cli.helpers import Cli
from tests.unit.cli.test_account_cert import RULES, _accounts
from tests.unit.services.auth.fixtures import seeded

CASES, SETUP, SEED = yaml.safe_load_all(
    (Path(__file__).parent / "testdata" / "json_outputs.yaml").read_text()
)
SECRETS = ("planted-repo-password-9", "planted-creds-password-9", "planted-cluster-token-9")


def _pick(answer: Any, path: str) -> Any:
    for part in path.split(".") if path else []:
        answer = answer[int(part)] if isinstance(answer, list) else answer[part]
    return answer


def _seed_object(obj: dict[str, Any]) -> dict[str, Any]:
    if "stringData" in obj:
        data = {k: base64.b64encode(str(v).encode()).decode() for k, v in obj["stringData"].items()}
        obj = {**{k: v for k, v in obj.items() if k != "stringData"}, "data": data}
    return obj


def _check_view(view: str, shown: Any) -> None:
    """The typed view reads what the raw object says (and keeps the raw object as it came)."""
    items = shown if view.endswith("-list") else [shown]
    if view.startswith("application"):
        for raw in items:
            app = Application.of(raw)
            assert app.raw == raw
            assert app.name == raw["metadata"]["name"]
            assert app.namespace == raw["metadata"]["namespace"]
            assert app.labels == (raw["metadata"].get("labels") or {})
            assert app.spec.project == raw["spec"]["project"]
            assert app.spec.destination.namespace == raw["spec"]["destination"]["namespace"]
            (source,) = app.spec.effective_sources
            assert source.repo_url == raw["spec"]["source"]["repoURL"]
            sync = (raw.get("status") or {}).get("sync") or {}
            found = app.status.sync_status
            assert (found.value if found else None) == sync.get("status")
            assert len(app.status.history) == len((raw.get("status") or {}).get("history") or [])
    elif view.startswith("project"):
        for raw in items:
            spec = raw.get("spec") or {}
            project = Project.from_spec(raw["metadata"]["name"], spec)
            assert project.name == raw["metadata"]["name"]
            assert len(project.destinations) == len(spec.get("destinations") or [])
            assert list(project.source_repos) == list(spec.get("sourceRepos") or [])
            assert len(project.sync_windows) == len(spec.get("syncWindows") or [])
    else:
        assert view == "none", view


async def _prepared(api: ApiHarness, cli: Cli) -> None:
    for obj in SEED["seed"]:
        api.fake.put(_seed_object(obj))
    for argv in SETUP["setup"]:
        await cli.ok(*argv)
    host_keys = f"git.example {ssh_public_key()}\n"
    await cli.ok("cert", "add-ssh", "--batch", stdin=host_keys)
    await until("the apps are mirrored", lambda: len(api.ctx.mirror.apps()) == 2)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_get_and_list_output_is_the_api_answer_and_round_trips(tmp_path: Path, fmt: str) -> None:
    fake = seeded()

    async def body() -> None:
        async with api_on(fake, rules=RULES, customize=_accounts(fake)) as api:  # type: ignore[arg-type]
            cli = Cli(api, tmp_path)
            await _prepared(api, cli)
            for case in CASES["cases"]:
                words = case["argv"]
                out = await cli.ok(*words, "-o", fmt)
                shown = json.loads(out) if fmt == "json" else yaml.safe_load(out)
                resp = await api.http.get(
                    case["api"], params=case.get("params") or {}, headers=bearer("admin")
                )
                assert resp.status_code == 200, (words, resp.text)
                expected = _pick(resp.json(), case.get("pick", ""))
                assert shown == expected, words
                assert shown not in (None, [], {}), (words, "the case shows nothing")
                if fmt == "json":
                    again = json.dumps(shown, indent=2, ensure_ascii=False) + "\n"
                    assert again == out, words
                else:
                    assert yaml.safe_dump(shown, sort_keys=False, allow_unicode=True) == out
                _check_view(case["view"], shown)
                for secret in SECRETS:
                    assert secret not in out, (words, secret)

    asyncio.run(body())
