"""Settings that follow the cluster: Argo CD's ConfigMaps and Secrets, watched.

Contract of :class:`WatchedSettings` (one namespace, the one Kapstan runs in):

- :meth:`start` lists and then watches the ConfigMaps and Secrets of the namespace, and
  returns once both were listed, so :attr:`current` is complete from then on;
- :attr:`current` is a :class:`SettingsSnapshot`: ``argocd-cm`` parsed into
  :class:`~kapstan.services.settings.Settings` (plus ``argocd-cmd-params-cm``), the
  ``repository``/``repo-creds`` Secrets with ``argocd-ssh-known-hosts-cm`` and
  ``argocd-tls-certs-cm`` (:class:`~kapstan.services.repositories.Repositories`), the raw data
  of ``argocd-cm`` (``cm``: keys the controller does not parse, read by the API server), of
  ``argocd-secret`` and of ``argocd-rbac-cm``; cluster Secrets are followed by the cluster
  manager;
- every change builds a new snapshot and calls the subscribers with ``(old, new)``; a
  subscriber that raises is logged and the others still run;
- an invalid ``argocd-cm`` (or cmd-params) keeps the previous settings: the error (which
  names the key, never a value) is logged once per object version and listed in
  ``problems``; a bad repository Secret is skipped the same way while the others load;
- secret values never reach logs or ``repr``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kapstan.cache.ports import KubeApi, WatchEventLike
from kapstan.cache.reflector import Reflector
from kapstan.model import vocabulary as v
from kapstan.services.repositories import Repositories, read_repositories
from kapstan.services.settings import Settings, SettingsError

log = logging.getLogger(__name__)
CMD_PARAMS_CM = "argocd-cmd-params-cm"
_CONFIGMAPS = (v.ARGOCD_CM, v.ARGOCD_RBAC_CM, v.KNOWN_HOSTS_CM, v.TLS_CERTS_CM, CMD_PARAMS_CM)
_REPO_TYPES = (v.SECRET_TYPE_REPOSITORY, v.SECRET_TYPE_REPO_CREDS)
Subscriber = Callable[["SettingsSnapshot", "SettingsSnapshot"], None]


@dataclass(frozen=True)
class SettingsSnapshot:
    """Everything the settings objects say at one moment (see the module contract)."""

    settings: Settings = field(default_factory=Settings)
    repositories: Repositories = field(default_factory=Repositories)
    cm: Mapping[str, str] = field(default_factory=dict)  # argocd-cm data as written
    secret: Mapping[str, str] = field(default_factory=dict, repr=False)
    rbac: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    version: int = 0


def _data(obj: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): str(x) for k, x in ((obj or {}).get("data") or {}).items()}


def _secret_data(secret: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            out[str(key)] = base64.b64decode(str(value), validate=True).decode()
    for key, value in (secret.get("stringData") or {}).items():
        out[str(key)] = str(value)
    return out


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _rv(obj: Mapping[str, Any] | None) -> str:
    return str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "")


def _secret_type(obj: Mapping[str, Any]) -> str:
    return str(((obj.get("metadata") or {}).get("labels") or {}).get(v.SECRET_TYPE_LABEL) or "")


class WatchedSettings:
    """Argo CD's settings objects of ``namespace``, kept current (see the module contract)."""

    def __init__(
        self, kube: KubeApi | None, namespace: str, *, overrides: Mapping[str, str] | None = None
    ) -> None:
        self.kube = kube
        self.namespace = namespace
        self.overrides = dict(overrides or {})  # cmd-params given as flags win over the CM
        self.current = SettingsSnapshot()
        self._configmaps: dict[str, dict[str, Any]] = {}
        self._secrets: dict[str, dict[str, Any]] = {}  # argocd-secret and repository Secrets
        self._subscribers: list[Subscriber] = []
        self._reported: dict[str, str] = {}  # problem key -> version already logged
        self._tasks: list[asyncio.Task[None]] = []
        self._reflectors: list[Reflector] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    async def start(self, timeout: float | None = 60.0) -> None:
        """Start watching; return once ConfigMaps and Secrets were listed (no client: the
        settings stay as they are)."""
        if self.kube is None:
            return
        self._reflectors = [
            Reflector(
                self.kube,
                v.configmaps_path(self.namespace),
                on_list=self._configmaps_listed,
                on_event=self._configmap_event,
            ),
            Reflector(
                self.kube,
                v.secrets_path(self.namespace),
                on_list=self._secrets_listed,
                on_event=self._secret_event,
            ),
        ]
        self._tasks = [asyncio.create_task(r.run()) for r in self._reflectors]
        waits = [r.synced.wait() for r in self._reflectors]
        await asyncio.wait_for(asyncio.gather(*waits), timeout)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    # -- events --------------------------------------------------------------------------------
    def _configmaps_listed(self, items: list[dict[str, Any]]) -> None:
        self._configmaps = {_name(cm): cm for cm in items if _name(cm) in _CONFIGMAPS}
        self._rebuild()

    def _configmap_event(self, event: WatchEventLike) -> None:
        name = _name(event.object)
        if name not in _CONFIGMAPS or event.type not in ("ADDED", "MODIFIED", "DELETED"):
            return
        if event.type == "DELETED":
            self._configmaps.pop(name, None)
        else:
            self._configmaps[name] = event.object
        self._rebuild()

    @staticmethod
    def _wanted(secret: Mapping[str, Any]) -> bool:
        return _name(secret) == v.ARGOCD_SECRET or _secret_type(secret) in _REPO_TYPES

    def _secrets_listed(self, items: list[dict[str, Any]]) -> None:
        self._secrets = {_name(s): s for s in items if self._wanted(s)}
        self._rebuild()

    def _secret_event(self, event: WatchEventLike) -> None:
        name = _name(event.object)
        if event.type not in ("ADDED", "MODIFIED", "DELETED"):
            return
        if event.type == "DELETED" or not self._wanted(event.object):
            if self._secrets.pop(name, None) is None:
                return  # neither tracked before nor now (another Secret of the namespace)
        else:
            self._secrets[name] = event.object
        self._rebuild()

    # -- snapshot ------------------------------------------------------------------------------
    def _report(self, key: str, version: str, message: str) -> None:
        if self._reported.get(key) != version:
            self._reported[key] = version
            log.warning("%s", message)

    def _rebuild(self) -> None:
        old = self.current
        problems: list[str] = []
        cm = self._configmaps.get(v.ARGOCD_CM)
        params = {**_data(self._configmaps.get(CMD_PARAMS_CM)), **self.overrides}
        try:
            settings = Settings.from_configmap(_data(cm)).with_params(params)
        except SettingsError as err:
            settings = old.settings
            message = f"{v.ARGOCD_CM}: {err}; keeping the previous settings"
            problems.append(message)
            self._report(v.ARGOCD_CM, _rv(cm), message)
        else:
            self._reported.pop(v.ARGOCD_CM, None)
        known_hosts = _data(self._configmaps.get(v.KNOWN_HOSTS_CM)).get(v.KNOWN_HOSTS_KEY)
        repositories = read_repositories(
            [s for s in self._secrets.values() if _name(s) != v.ARGOCD_SECRET],
            known_hosts=known_hosts,
            tls_certs=_data(self._configmaps.get(v.TLS_CERTS_CM)),
        )
        for name, reason in repositories.errors:
            message = f"repository Secret {name} skipped: {reason}"
            problems.append(message)
            self._report(f"secret/{name}", _rv(self._secrets.get(name)), message)
        self.current = SettingsSnapshot(
            settings=settings,
            repositories=repositories,
            cm=_data(cm),
            secret=_secret_data(self._secrets.get(v.ARGOCD_SECRET) or {}),
            rbac=_data(self._configmaps.get(v.ARGOCD_RBAC_CM)),
            params=params,
            problems=tuple(problems),
            version=old.version + 1,
        )
        for callback in list(self._subscribers):
            try:
                callback(old, self.current)
            except Exception:
                log.exception("settings subscriber failed")


def static_settings(
    settings: Settings, repositories: Repositories | None = None
) -> WatchedSettings:
    """Settings that are never watched (tests and one-off tools)."""
    watched = WatchedSettings(None, "")
    watched.current = SettingsSnapshot(settings, repositories or Repositories())
    return watched


__all__ = ["CMD_PARAMS_CM", "SettingsSnapshot", "WatchedSettings", "static_settings"]
