"""An in-memory mirror of the Applications and AppProjects of one namespace, for readers that
list and watch them (the API server: lists, streams, RBAC by project).

Contract of :class:`Mirror`:

- :meth:`start` lists, then watches both collections (:class:`~kapstan.cache.reflector.Reflector`:
  relists after 410, resumes after disconnects) and returns once both were listed;
- :meth:`apps` / :meth:`app` / :meth:`projects` / :meth:`project` answer from memory; objects
  are the API server's dicts as received, less ``metadata.managedFields`` (bookkeeping no
  reader needs, a third of a small app's size) — treat them as read-only;
- subscribers get ``(type, app)`` for every ADDED / MODIFIED / DELETED Application (a relist
  reports what changed meanwhile as the same events); a subscriber that raises is logged and
  the others still run;
- :attr:`resource_version` is the newest Application resourceVersion seen (for list answers).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from kapstan.cache.ports import KubeApi, WatchEventLike
from kapstan.cache.reflector import Reflector
from kapstan.model.vocabulary import application_path, project_path

log = logging.getLogger(__name__)
AppListener = Callable[[str, Mapping[str, Any]], None]


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _slim(obj: dict[str, Any]) -> dict[str, Any]:
    (obj.get("metadata") or {}).pop("managedFields", None)
    return obj


def _rv(obj: Mapping[str, Any]) -> int:
    try:
        return int((obj.get("metadata") or {}).get("resourceVersion") or 0)
    except (TypeError, ValueError):
        return 0


class Mirror:
    """Applications and AppProjects of ``namespace`` (see the module contract)."""

    def __init__(self, kube: KubeApi, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace
        self._apps: dict[str, dict[str, Any]] = {}
        self._projects: dict[str, dict[str, Any]] = {}
        self._listeners: list[AppListener] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.resource_version = "0"

    # -- reads ---------------------------------------------------------------------------------
    def apps(self) -> list[dict[str, Any]]:
        return [self._apps[k] for k in sorted(self._apps)]

    def app(self, name: str) -> dict[str, Any] | None:
        return self._apps.get(name)

    def projects(self) -> list[dict[str, Any]]:
        return [self._projects[k] for k in sorted(self._projects)]

    def project(self, name: str) -> dict[str, Any] | None:
        return self._projects.get(name)

    def subscribe(self, listener: AppListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self, timeout: float | None = 60.0) -> None:
        reflectors = [
            Reflector(
                self.kube,
                application_path(self.namespace),
                on_list=self._apps_listed,
                on_event=self._app_event,
            ),
            Reflector(
                self.kube,
                project_path(self.namespace),
                on_list=self._projects_listed,
                on_event=self._project_event,
            ),
        ]
        self._tasks = [asyncio.create_task(r.run()) for r in reflectors]
        await asyncio.wait_for(asyncio.gather(*(r.synced.wait() for r in reflectors)), timeout)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    # -- events --------------------------------------------------------------------------------
    def _emit(self, kind: str, app: Mapping[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener(kind, app)
            except Exception:
                log.exception("application listener failed")

    def _seen(self, app: Mapping[str, Any]) -> None:
        if _rv(app) > int(self.resource_version or 0):
            self.resource_version = str(_rv(app))

    def _apps_listed(self, items: list[dict[str, Any]]) -> None:
        fresh = {_name(a): _slim(a) for a in items}
        for gone in set(self._apps) - set(fresh):
            self._emit("DELETED", self._apps.pop(gone))
        for name, app in fresh.items():
            old = self._apps.get(name)
            self._apps[name] = app
            self._seen(app)
            if old is None:
                self._emit("ADDED", app)
            elif _rv(old) != _rv(app):
                self._emit("MODIFIED", app)

    def _app_event(self, event: WatchEventLike) -> None:
        app, name = _slim(event.object), _name(event.object)
        if event.type == "DELETED":
            self._apps.pop(name, None)
            self._emit("DELETED", app)
        elif event.type in ("ADDED", "MODIFIED"):
            known = name in self._apps
            self._apps[name] = app
            self._seen(app)
            self._emit("MODIFIED" if known else "ADDED", app)

    def _projects_listed(self, items: list[dict[str, Any]]) -> None:
        self._projects = {_name(p): _slim(p) for p in items}

    def _project_event(self, event: WatchEventLike) -> None:
        name = _name(event.object)
        if event.type == "DELETED":
            self._projects.pop(name, None)
        elif event.type in ("ADDED", "MODIFIED"):
            self._projects[name] = _slim(event.object)


__all__ = ["AppListener", "Mirror"]
