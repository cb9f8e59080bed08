"""``kapstan admin app generate-spec``: app create's flags printed as an Application."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from kapstan.testing.cli import run


def test_generate_spec_prints_yaml_or_json(tmp_path: Path) -> None:
    words = ["admin", "app", "generate-spec", "guestbook", "--repo", "https://r", "--path", "p",
             "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", "web",
             "--sync-policy", "automated", "--self-heal", "--helm-set", "a=b"]  # fmt: skip
    as_yaml = run(words)
    assert as_yaml.exit_code == 0, as_yaml.stderr
    app = yaml.safe_load(as_yaml.stdout)
    assert app["metadata"] == {"name": "guestbook"}
    assert app["spec"]["syncPolicy"]["automated"] == {"selfHeal": True}
    assert app["spec"]["source"]["helm"]["parameters"] == [{"name": "a", "value": "b"}]
    as_json = run([*words, "-o", "json"])
    assert json.loads(as_json.stdout) == app


def test_generate_spec_starts_from_a_file(tmp_path: Path) -> None:
    base = tmp_path / "app.yaml"
    base.write_text(yaml.safe_dump({"metadata": {"name": "x"}, "spec": {"project": "team",
                    "source": {"repoURL": "https://r", "path": "old"}}}))  # fmt: skip
    result = run(["admin", "app", "generate-spec", "renamed", "-f", str(base), "--path", "new"])
    app = yaml.safe_load(result.stdout)
    assert app["metadata"]["name"] == "renamed"
    assert app["spec"]["project"] == "team"
    assert app["spec"]["source"] == {"repoURL": "https://r", "path": "new"}


def test_generate_spec_refuses_inconsistent_flags() -> None:
    result = run(["admin", "app", "generate-spec", "a", "--auto-prune"])
    assert result.exit_code == 20
    assert (
        "Cannot set --auto-prune: application not configured with automatic sync" in result.stderr
    )
    bad = run(["admin", "app", "generate-spec", "a", "-o", "wide"])
    assert bad.exit_code == 2
