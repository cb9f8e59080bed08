"""cobra's ``--flag=false`` forms reach kapstan's parser as its switches, table-driven from
``testdata/boolflags.yaml``; and a real command honours one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from kapstan.cli.boolflags import normalize
from kapstan.cli.main import app
from kapstan.testing.cli import run

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "boolflags.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[" ".join(c["argv"]) for c in CASES])
def test_normalize(case: dict[str, Any]) -> None:
    assert normalize(typer.main.get_command(app), case["argv"]) == case["want"]


def test_a_command_run_with_the_cobra_form(tmp_path: Path) -> None:
    result = run(["version", "--client=true"], env={"KAPSTAN_CONFIG": str(tmp_path / "c")})
    assert result.exit_code == 0, result.stderr  # no server asked for: --client took effect
    assert result.stdout.startswith("kapstan: ")
