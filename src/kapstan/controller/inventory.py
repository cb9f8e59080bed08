"""What the controller knows of its Applications and AppProjects, as their watches report them.

Contract of :class:`Inventory`:

- it keeps the newest copy of every Application (a PATCH answer of the controller's own can
  be newer than a watch event: :meth:`remember` never goes back in resourceVersion) and of
  every AppProject;
- an Application that is new, or whose spec, operation, annotations, finalizers, deletion or
  termination request changed (:func:`fingerprint`; status writes do not count), is handed to
  ``changed``, except by the controller's own writes (:meth:`expect` before, :meth:`written`
  after) and by a watch event older than its own last write (already superseded); an
  AppProject change hands every app of that project to ``changed``; an operation state set
  to ``Terminating`` is handed to ``terminating``; an Application gone from the cluster is
  handed to ``forgotten``;
- it is an :class:`~kapstan.controller.images.AppFeed`: :meth:`items` are the Applications
  known now, :meth:`subscribe` hands every Application a list or watch event brings to a
  listener, and :meth:`synced` returns once the first list arrived, so other loops of the
  process read Applications without a LIST and a watch of their own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from kapstan.model.application import Application
from kapstan.model.sync import OperationPhase

Callback = Callable[[str], None]
Listener = Callable[[dict[str, Any]], None]
log = logging.getLogger(__name__)


def fingerprint(app: Mapping[str, Any]) -> bytes:
    """What, when changed by someone, calls for a refresh (status writes do not)."""
    meta = app.get("metadata") or {}
    phase = ((app.get("status") or {}).get("operationState") or {}).get("phase")
    parts = [
        app.get("spec"),
        app.get("operation"),
        meta.get("annotations"),
        meta.get("finalizers"),
        meta.get("deletionTimestamp"),
        phase == OperationPhase.TERMINATING.value,
    ]
    return orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)


def _version(app: Mapping[str, Any]) -> int:
    try:
        return int((app.get("metadata") or {}).get("resourceVersion") or -1)
    except ValueError:
        return -1


class Inventory:
    """Applications and AppProjects of one namespace (see the module contract)."""

    def __init__(self, changed: Callback, terminating: Callback, forgotten: Callback) -> None:
        self.apps: dict[str, dict[str, Any]] = {}
        self.projects: dict[str, dict[str, Any]] = {}
        self.orphan_projects: set[str] = set()  # projects with orphanedResources set
        self._seen: dict[str, bytes] = {}
        self._written: dict[str, int] = {}  # resourceVersion of the controller's last write
        self._expected: dict[str, bytes] = {}  # fingerprint of a write on its way
        self._changed = changed
        self._terminating = terminating
        self._forgotten = forgotten
        self._listeners: list[Listener] = []
        self._listed = asyncio.Event()

    # -- the feed other loops read -------------------------------------------------------------
    def items(self) -> list[dict[str, Any]]:
        """The Applications known now."""
        return list(self.apps.values())

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hand ``listener`` every Application a list or watch event brings."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def synced(self) -> None:
        """Return once the Applications were listed."""
        await self._listed.wait()

    def _tell(self, app: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener(app)
            except Exception:  # one listener's bug must not stop the controller's watch
                log.exception("application listener failed")

    # -- projects ------------------------------------------------------------------------------
    def projects_listed(self, items: list[dict[str, Any]]) -> None:
        self.projects.clear()  # in place: readers hold bound methods of this dict
        self.projects.update((str(p["metadata"]["name"]), p) for p in items)
        self._index_orphan_projects()

    def project_event(self, event: Any) -> None:
        name = str(event.object["metadata"]["name"])
        if event.type == "DELETED":
            self.projects.pop(name, None)
        elif event.type in ("ADDED", "MODIFIED"):
            self.projects[name] = event.object
        self._index_orphan_projects()
        for app_name, app in list(self.apps.items()):  # project rules changed: re-check
            if (app.get("spec") or {}).get("project") == name:
                self._changed(app_name)

    def _index_orphan_projects(self) -> None:
        self.orphan_projects = {
            name
            for name, p in self.projects.items()
            if (p.get("spec") or {}).get("orphanedResources") is not None
        }

    # -- applications --------------------------------------------------------------------------
    def apps_listed(self, items: list[dict[str, Any]]) -> None:
        names = {str(a["metadata"]["name"]) for a in items}
        for gone in set(self.apps) - names:
            self.forget(gone)
        for app in items:
            self.store(app, force=True)
        self._listed.set()

    def app_event(self, event: Any) -> None:
        app = event.object
        name = str(app["metadata"]["name"])
        if event.type == "DELETED":
            self.forget(name)
        elif event.type in ("ADDED", "MODIFIED"):
            self.store(app, force=event.type == "ADDED")

    def store(self, app: dict[str, Any], *, force: bool) -> None:
        name = str(app["metadata"]["name"])
        self.remember(app)
        self._tell(app)
        if not force and _version(app) < self._written.get(name, -1):
            # The event of a state older than the controller's own last write (watch events
            # trail PATCH answers): comparing it would flag the controller's own operation
            # as somebody's change, and refresh for nothing.
            return
        print_ = fingerprint(app)
        if not force and print_ == self._expected.get(name):
            self._seen[name] = print_  # the controller's own write, seen before its answer
            return
        if force or self._seen.get(name) != print_:
            self._seen[name] = print_
            self._changed(name)
        if Application.of(app).status.operation_state.phase is OperationPhase.TERMINATING:
            self._terminating(name)

    def remember(self, app: dict[str, Any]) -> None:
        """Keep the newest copy of ``app``."""
        name = str(app["metadata"]["name"])
        current = self.apps.get(name)
        if current is not None:
            try:
                if int(current["metadata"]["resourceVersion"]) > int(
                    app["metadata"]["resourceVersion"]
                ):
                    return
            except (KeyError, ValueError):
                pass
        self.apps[name] = app

    def expect(self, app: Mapping[str, Any]) -> None:
        """The controller is about to write ``app`` (setting or removing its operation): its
        watch event can arrive before the PATCH answer, and must not look like somebody's
        change either."""
        self._expected[str(app["metadata"]["name"])] = fingerprint(app)

    def written(self, app: dict[str, Any]) -> None:
        """The controller itself wrote ``app`` (its operation): remember it as seen, so its
        own write does not look like somebody's change."""
        self.remember(app)
        name = str(app["metadata"]["name"])
        self._seen[name] = fingerprint(app)
        self._written[name] = _version(app)
        self._expected.pop(name, None)

    def forget(self, name: str) -> None:
        self.apps.pop(name, None)
        self._seen.pop(name, None)
        self._written.pop(name, None)
        self._expected.pop(name, None)
        self._forgotten(name)


__all__ = ["Inventory", "fingerprint"]
