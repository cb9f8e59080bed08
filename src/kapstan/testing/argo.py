"""An Argo CD namespace of a test's own, driven the way a user drives Kapstan.

:class:`ArgoNamespace` runs ``kapstan install`` for a fresh namespace, writes settings the way
a user writes them (argocd-cm data, repository Secrets, cluster Secrets — through kubectl),
starts ``kapstan controller`` on it as a real process (or in a thread, when a test needs
speed more than the process boundary), creates Applications and waits on their status. A
namespace of its own means a test may change argocd-cm without touching any other test.
:meth:`close` stops the controller and deletes the namespace (without waiting).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kapstan.demo.children import install
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import CommandError
from kapstan.model.vocabulary import (
    API_VERSION,
    ARGOCD_CM,
    IN_CLUSTER_URL,
    REFRESH,
    SECRET_TYPE_LABEL,
)
from kapstan.testing.controllers import ControllerProcess, ControllerThread
from kapstan.testing.waiting import wait_for


def synced_healthy(status: Mapping[str, Any]) -> bool:
    """Synced and Healthy, with no operation running."""
    state = (status.get("operationState") or {}).get("phase")
    return (
        (status.get("sync") or {}).get("status") == "Synced"
        and (status.get("health") or {}).get("status") == "Healthy"
        and state in (None, "Succeeded")
    )


def conditions(status: Mapping[str, Any], kind: str = "") -> list[str]:
    """Messages of the status conditions (of type ``kind`` when given)."""
    return [
        str(c.get("message"))
        for c in status.get("conditions") or []
        if not kind or c.get("type") == kind
    ]


def resource(status: Mapping[str, Any], kind: str, name: str) -> dict[str, Any] | None:
    """The ``status.resources`` entry of ``kind``/``name``."""
    for entry in status.get("resources") or []:
        if entry.get("kind") == kind and entry.get("name") == name:
            return dict(entry)
    return None


class ArgoNamespace:
    """A Kapstan installation in a namespace of its own (see the module contract)."""

    def __init__(
        self, kubectl: Kubectl, kubeconfig: Path, work: Path, prefix: str = "argo"
    ) -> None:
        self.kubectl = kubectl
        self.kubeconfig = kubeconfig
        self.work = work
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.process: ControllerProcess | None = None
        self.thread: ControllerThread | None = None
        self._starts = 0
        install(kubeconfig, self.name)

    # -- settings, as a user writes them -------------------------------------------------------
    def apply(self, doc: Mapping[str, Any]) -> None:
        self.kubectl("apply", "-n", self.name, "-f", "-", stdin=json.dumps(doc))

    def set_argocd_cm(self, data: Mapping[str, str]) -> None:
        """Create or replace the data of argocd-cm."""
        self.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": ARGOCD_CM,
                    "labels": {"app.kubernetes.io/part-of": "argocd"},
                },
                "data": dict(data),
            }
        )

    def secret(self, name: str, secret_type: str, data: Mapping[str, str]) -> None:
        """Create or replace an Argo CD Secret (``repository``, ``repo-creds``, ``cluster``)."""
        self.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "labels": {SECRET_TYPE_LABEL: secret_type}},
                "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
            }
        )

    def argocd_secret(self, data: Mapping[str, str]) -> None:
        """Set keys of ``argocd-secret`` as a user does with ``kubectl apply``: the keys the
        server wrote itself (``server.secretkey``…) are kept."""
        self.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "argocd-secret",
                    "labels": {"app.kubernetes.io/part-of": "argocd"},
                },
                "stringData": dict(data),
            }
        )

    def delete(self, kind: str, name: str) -> None:
        self.kubectl("delete", kind, name, "-n", self.name, "--ignore-not-found")

    # -- the controller ------------------------------------------------------------------------
    def start(
        self,
        *,
        process: bool = True,
        resync: float | None = 0,
        extra: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        """``kapstan controller --namespace <this>`` (a real process unless ``process`` is
        False); ``resync`` ``None`` leaves Git polling to argocd-cm; ``extra`` adds flags,
        ``env`` replaces the process environment."""
        self._starts += 1
        cache = self.work / f"cache-{self.name}"
        if process:
            log = self.work / f"controller-{self.name}-{self._starts}.log"
            self.process = ControllerProcess(
                self.kubeconfig, cache, log, self.name, resync=resync, extra=extra, env=env
            ).start()
        else:
            self.thread = ControllerThread(
                self.kubeconfig, cache, self.name, resync=resync if resync is not None else 0
            ).start()

    def logs(self) -> str:
        return self.process.output() if self.process is not None else ""

    def alive(self) -> None:
        if self.process is not None and not self.process.alive():
            raise AssertionError(f"kapstan controller exited:\n{self.logs()[-3000:]}")
        if self.thread is not None:
            self.thread.check()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
        if self.thread is not None:
            self.thread.close()
            self.thread.check()
            self.thread = None

    def close(self) -> None:
        try:
            self.stop()
        finally:
            for app in self.kubectl.get_json("applications", "-n", self.name).get("items", []):
                # Let the controller-less namespace go: no finalizer may hold it.
                if app["metadata"].get("finalizers"):
                    self.kubectl(
                        "patch", "application", app["metadata"]["name"], "-n", self.name,
                        "--type=merge", "-p", '{"metadata":{"finalizers":null}}',
                    )  # fmt: skip
            self.kubectl("delete", "namespace", self.name, "--wait=false")

    # -- applications --------------------------------------------------------------------------
    def create_app(
        self,
        name: str,
        source: Mapping[str, Any],
        namespace: str,
        *,
        server: str = IN_CLUSTER_URL,
        metadata: Mapping[str, Any] | None = None,
        **spec: Any,
    ) -> None:
        """An Application deploying ``source`` to ``namespace`` (``spec`` adds fields such as
        ``syncPolicy`` or ``ignoreDifferences``, ``metadata`` annotations or finalizers)."""
        body = {
            "project": "default",
            "source": dict(source),
            "destination": {"server": server, "namespace": namespace},
            **spec,
        }
        self.apply(
            {
                "apiVersion": API_VERSION,
                "kind": "Application",
                "metadata": {"name": name, "namespace": self.name, **(metadata or {})},
                "spec": body,
            }
        )

    def app(self, name: str) -> dict[str, Any]:
        try:
            found: dict[str, Any] = self.kubectl.get_json("application", name, "-n", self.name)
        except CommandError:
            return {}
        return found

    def status(self, name: str) -> dict[str, Any]:
        return dict(self.app(name).get("status") or {})

    def patch_app(self, name: str, patch: Mapping[str, Any]) -> None:
        self.kubectl(
            "patch", "application", name, "-n", self.name, "--type=merge",
            "-p", json.dumps(patch),
        )  # fmt: skip

    def refreshed(self, name: str, level: str = "normal") -> dict[str, Any]:
        """Ask for a refresh (the ``argocd.argoproj.io/refresh`` annotation) and return the
        status once the controller has done it (it removes the annotation when done)."""
        self.patch_app(name, {"metadata": {"annotations": {REFRESH: level}}})

        def done(_status: dict[str, Any]) -> dict[str, Any] | None:
            app = self.app(name)
            pending = REFRESH in ((app.get("metadata") or {}).get("annotations") or {})
            return None if pending else dict(app.get("status") or {})

        status: dict[str, Any] = self.wait(f"a {level} refresh of {name}", name, done)
        return status

    def sync(self, name: str, **options: Any) -> None:
        """Ask for a sync the way ``argocd app sync`` does: write the ``operation`` field."""
        operation = {"sync": dict(options), "initiatedBy": {"username": "test"}}
        self.patch_app(name, {"operation": operation})

    def synced(self, name: str, timeout: float = 90.0, **options: Any) -> dict[str, Any]:
        """:meth:`sync`, then wait for that operation to finish; returns its operationState."""
        marker = f"test-{uuid.uuid4().hex[:8]}"
        operation = {"sync": dict(options), "initiatedBy": {"username": marker}}
        self.patch_app(name, {"operation": operation})

        def finished(status: dict[str, Any]) -> dict[str, Any] | None:
            state = status.get("operationState") or {}
            mine = (state.get("operation") or {}).get("initiatedBy", {}).get("username")
            done = (
                mine == marker and state.get("finishedAt") and not self.app(name).get("operation")
            )
            return dict(state) if done else None

        state: dict[str, Any] = self.wait(f"the sync of {name} to finish", name, finished, timeout)
        return state

    def wait(
        self,
        what: str,
        name: str,
        check: Callable[[dict[str, Any]], Any],
        timeout: float = 90.0,
    ) -> Any:
        """Wait until ``check(status)`` is truthy; the failure shows the status and the log."""

        def detail() -> str:
            status = self.status(name)
            keep = ("sync", "health", "conditions", "operationState", "resources")
            shown = json.dumps({k: status.get(k) for k in keep})[:3000]
            return f"status: {shown}\nlog tail:\n{self.logs()[-2000:]}"

        return wait_for(
            what,
            lambda: check(self.status(name)),
            timeout,
            alive=self.alive,
            detail=detail,
            interval=0.3,
        )


__all__ = ["ArgoNamespace", "conditions", "resource", "synced_healthy"]
