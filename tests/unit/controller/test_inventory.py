"""Which Application watch events hand an app to ``changed``: somebody's change does, the
controller's own operation writes do not, even when their events outrun the PATCH answers."""

from __future__ import annotations

from typing import Any

from kapstan.controller.inventory import Inventory
from kapstan.kube.client import WatchEvent


def _app(
    rv: int, operation: dict[str, Any] | None = None, revision: str = "main"
) -> dict[str, Any]:
    app: dict[str, Any] = {
        "metadata": {"name": "web", "resourceVersion": str(rv)},
        "spec": {"source": {"targetRevision": revision}},
        "status": {},
    }
    if operation is not None:
        app["operation"] = operation
    return app


def _inventory() -> tuple[Inventory, list[str]]:
    changed: list[str] = []
    return Inventory(changed.append, lambda _n: None, lambda _n: None), changed


SYNC = {"sync": {"revision": "abc"}}


def test_own_operation_write_whose_event_comes_before_the_answer_is_not_a_change() -> None:
    inv, changed = _inventory()
    inv.app_event(WatchEvent("ADDED", _app(1)))
    assert changed == ["web"]
    inv.remember(_app(2))  # the refresh's status write (its answer)
    inv.expect(_app(2, SYNC))  # about to set the operation
    inv.app_event(WatchEvent("MODIFIED", _app(2)))  # the status write's event
    inv.app_event(WatchEvent("MODIFIED", _app(3, SYNC)))  # the operation's, before its answer
    inv.written(_app(3, SYNC))
    assert changed == ["web"]


def test_an_event_older_than_the_controllers_last_write_is_not_a_change() -> None:
    inv, changed = _inventory()
    inv.app_event(WatchEvent("ADDED", _app(1)))
    inv.written(_app(3, SYNC))  # the operation set (answer first)
    inv.app_event(WatchEvent("MODIFIED", _app(2)))  # a late event of the state before it
    assert changed == ["web"]
    assert inv.apps["web"]["metadata"]["resourceVersion"] == "3"


def test_somebodys_spec_change_is_a_change_even_while_an_operation_write_is_expected() -> None:
    inv, changed = _inventory()
    inv.app_event(WatchEvent("ADDED", _app(1)))
    inv.expect(_app(1, SYNC))
    inv.app_event(WatchEvent("MODIFIED", _app(2, revision="v2")))  # a user edit lands first
    assert changed == ["web", "web"]
