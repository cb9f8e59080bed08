"""``DELETE /api/v1/applications/{name}/operation`` (``argocd app terminate-op``): a running
operation, and one that is set but has no running state yet (a sync in its first second
writes its state later), are marked ``Terminating`` for the controller; without an operation
the answer is Argo CD's "No operation is in progress"."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kapstan.testing.api import api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS, app, rules

PATH = "/api/v1/applications/guestbook/operation"
OPERATION = {"sync": {"prune": True}, "initiatedBy": {"username": "alice"}}
EARLIER = {"phase": "Succeeded", "operation": {"sync": {}}, "finishedAt": "2026-12-01T00:00:00Z"}


def _terminate(fields: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """(status code, answer, operationState afterwards) for an app with ``fields``."""

    async def run() -> tuple[int, dict[str, Any], dict[str, Any]]:
        fake = FakeKube(namespaces=("default", NS))
        install_into(fake, NS)
        fake.put({**app("guestbook"), **fields})
        async with api_on(fake, rules=rules()) as api:
            await until("the app mirrored", lambda: api.ctx.mirror.app("guestbook") is not None)
            answer = await api.http.delete(PATH, headers=bearer("admin"))
            found = fake.get_object("Application", "guestbook", NS, group="argoproj.io") or {}
            state = dict((found.get("status") or {}).get("operationState") or {})
            return answer.status_code, answer.json(), state

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("fields", "want_operation"),
    [
        ({"operation": OPERATION, "status": {"operationState": {"phase": "Running",
          "operation": OPERATION, "startedAt": "2026-12-03T00:00:00Z"}}}, OPERATION),
        ({"operation": OPERATION}, OPERATION),
        ({"operation": OPERATION, "status": {"operationState": EARLIER}}, OPERATION),
    ],
    ids=["running", "set, no state yet", "set, an earlier one's state"],
)  # fmt: skip
def test_an_operation_on_its_way_is_marked_terminating(
    fields: dict[str, Any], want_operation: dict[str, Any]
) -> None:
    code, _, state = _terminate(fields)
    assert code == 200
    assert state["phase"] == "Terminating"
    assert state["operation"] == want_operation


@pytest.mark.parametrize(
    "fields", [{}, {"status": {"operationState": EARLIER}}], ids=["never", "finished"]
)
def test_without_an_operation_there_is_nothing_to_terminate(fields: dict[str, Any]) -> None:
    code, answer, state = _terminate(fields)
    assert code == 400
    assert "No operation is in progress" in answer["message"]
    assert state == (EARLIER if fields else {})
