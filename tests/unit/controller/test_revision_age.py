"""How stale a shared ``git ls-remote`` a refresh may use: explicit and hard refreshes ask the
remote, spec changes share one for 3 s, periodic polls for a twelfth of the poll period
(3 s to 15 s): at 1,000 apps on one repository polled every 3 minutes, that is one
``git ls-remote`` every 15 s instead of every 3 s."""

from __future__ import annotations

import pytest

from kapstan.controller.queue import Level
from kapstan.controller.reconciler import revision_age


@pytest.mark.parametrize(
    ("level", "fresh", "period", "want"),
    [
        (Level.POLL, False, 180.0, 15.0),
        (Level.POLL, False, 3600.0, 15.0),
        (Level.POLL, False, 60.0, 5.0),
        (Level.POLL, False, 5.0, 3.0),
        (Level.NORMAL, False, 180.0, 3.0),
        (Level.POLL, True, 180.0, 0.0),
        (Level.HARD, False, 180.0, 0.0),
    ],
)
def test_revision_age(level: Level, fresh: bool, period: float, want: float) -> None:
    assert revision_age(level, fresh, period) == want
