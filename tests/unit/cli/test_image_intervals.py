"""The image automation interval flags as a user types them: ``kapstan image-updater
--interval`` takes argocd-image-updater's durations, ``--image-interval`` seconds, 0 or off;
anything else is refused with a message saying what to give."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kapstan.cli.intervals import OFF, duration, image_interval
from kapstan.cli.main import app

OK = [("2m", 120.0), ("30s", 30.0), ("1m30s", 90.0), ("500ms", 0.5), ("1h", 3600.0), ("0", 0.0)]


@pytest.mark.parametrize(("text", "seconds"), OK)
def test_durations_are_read_as_argocd_image_updater_writes_them(text: str, seconds: float) -> None:
    assert duration(text) == seconds


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["image-updater", "--interval", "120"], "a unit is required"),
        (["image-updater", "--interval", "2 minutes"], "give a duration such as 2m"),
        (["image-updater", "--interval", "-1m"], "give a duration such as 2m"),
        (["controller", "--image-interval", "never"], "give seconds (e.g. 120), 0 or off"),
        (["controller", "--image-interval", "-5"], "give seconds (e.g. 120), 0 or off"),
    ],
)
def test_bad_intervals_are_refused_before_anything_starts(argv: list[str], message: str) -> None:
    got = CliRunner().invoke(app, argv)
    assert got.exit_code == 2
    assert message in " ".join(got.output.replace("│", " ").split())  # rich's box unwrapped


@pytest.mark.parametrize(
    ("text", "seconds"), [("off", OFF), ("OFF", OFF), ("0", 0.0), ("90", 90.0)]
)
def test_image_interval_takes_seconds_zero_or_off(text: str, seconds: float) -> None:
    assert image_interval(text) == seconds
