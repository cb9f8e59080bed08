"""One image check of one Application: read its annotations, ask the registries, pick tags by
policy and write the result back (``argocd`` method), recording what happened.

Contract of :class:`ImageUpdater`:

- :meth:`~ImageUpdater.check` never raises for anything about the app or a registry: every
  image gets an :class:`ImageResult` (``updated``, ``up-to-date``, ``skipped`` with the reason,
  ``failed`` with the error), logged; an update patches ``spec.source`` of the Application
  once for all its images and records a ``Normal`` ``ImagesUpdated`` Event on it; a failure or
  skip records a ``Warning`` ``ImageUpdateFailed`` / ``Normal`` ``ImageUpdateSkipped`` Event the
  first time its message appears (not on every interval). Nothing is written when a registry
  fails: the app keeps what it runs.
- only images the app runs (``status.summary.images``) are updated, unless ``force-update``;
  an image already running the chosen tag (digest, for ``digest``) is up to date, and
  nothing is written for it;
- the settings are the app's annotations, else the first ImageUpdater resource selecting it
  (:mod:`~kapstan.services.images.imageupdater`);
- write-back ``git`` commits every changed image at once
  (:mod:`~kapstan.services.images.gitwriteback`) and asks the app for a refresh;
- registries come from ``registries.conf`` of the ConfigMap ``argocd-image-updater-config``
  (read on every check; a bad one fails the check with its error); one
  :class:`~kapstan.source.registry.RegistryClient` per registry endpoint and credentials is kept
  across checks, so its rate limit, tokens and tag cache persist;
- :attr:`~ImageUpdater.requests` counts registry requests (for benchmarks and tests);
  :attr:`~ImageUpdater.metrics` (:mod:`~kapstan.services.images.metrics`) counts them per
  registry, and each check's images watched, updated and failed, for ``/metrics``.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from kapstan.kube.client import KubeClient
from kapstan.kube.errors import KubeError, NotFound
from kapstan.model.application import RefreshType
from kapstan.model.vocabulary import API_VERSION
from kapstan.services.applications import Applications
from kapstan.services.images.annotations import (
    AppImages,
    ConfigError,
    ImageSpec,
    WriteBackMethod,
)
from kapstan.services.images.gitwriteback import GitChange, GitSettings, write_git
from kapstan.services.images.imageupdater import app_settings
from kapstan.services.images.metrics import ImageMetrics
from kapstan.services.images.policy import Strategy
from kapstan.services.images.registries import (
    CONF_KEY,
    CONFIG_MAP,
    CredentialsError,
    RegistryConf,
    parse_registries,
    registry_for,
    resolve_credentials,
)
from kapstan.services.images.select import select_tag
from kapstan.services.images.writeback import WriteBackError, argocd_source_patch, running_tag
from kapstan.services.repositories import Repositories
from kapstan.source.errors import SourceError
from kapstan.source.registry import RegistryClient, RegistryEndpoint, RegistryError

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    UPDATED = "updated"
    UP_TO_DATE = "up-to-date"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class ImageResult:
    """What one image's check found."""

    image: str
    outcome: Outcome
    message: str
    old: str | None = None
    new: str | None = None


class ImageUpdater:
    """See the module contract."""

    def __init__(
        self,
        kube: KubeClient,
        namespace: str,
        *,
        env: Mapping[str, str] | None = None,
        repositories: Callable[[], Repositories] | None = None,
        metrics: ImageMetrics | None = None,
    ) -> None:
        self.kube = kube
        self.metrics = metrics or ImageMetrics()
        self.repositories = repositories
        self.namespace = namespace
        self.apps = Applications(kube, namespace)
        self.env = env
        self._clients: dict[str, RegistryClient] = {}
        self._said: dict[tuple[str, str], str] = {}
        self._git = GitSettings()  # (app, image) -> last message recorded

    @property
    def requests(self) -> int:
        return sum(c.requests for c in self._clients.values())

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def registries(self) -> tuple[RegistryConf, ...]:
        """``registries.conf`` of ``argocd-image-updater-config`` (none: no entries); the
        ConfigMap's ``git.*`` keys are kept for the Git write-back."""
        try:
            cm = await self.kube.get(f"/api/v1/namespaces/{self.namespace}/configmaps/{CONFIG_MAP}")
        except NotFound:
            self._git = GitSettings()
            return ()
        data = cm.get("data") or {}
        self._git = GitSettings.from_config(data)
        text = data.get(CONF_KEY) or ""
        return parse_registries(text) if text.strip() else ()

    async def _client(self, conf: RegistryConf, pull_secret: str) -> RegistryClient:
        ref = pull_secret or conf.credentials
        user = password = None
        if ref:
            user, password = await resolve_credentials(self.kube, ref, conf, env=self.env)
        secret = hashlib.sha256(f"{user}\0{password}".encode()).hexdigest()
        key = f"{conf.api_url}|{conf.insecure}|{conf.limit}|{hash(conf.ca_data)}|{secret}"
        client = self._clients.get(key)
        if client is None:
            endpoint = RegistryEndpoint(
                conf.api_url,
                username=user,
                password=password,
                insecure=conf.insecure,
                ca_data=conf.ca_data or None,
                limit=conf.limit,
            )
            client = self._clients[key] = RegistryClient(
                endpoint, on_request=self.metrics.registry_request
            )
        return client

    async def _pick(
        self, spec: ImageSpec, confs: tuple[RegistryConf, ...]
    ) -> tuple[str | None, str | None, str]:
        """(tag, digest, reason when no tag)."""
        client = await self._client(registry_for(spec.image, confs), spec.pull_secret)
        choice = await select_tag(client, spec)
        return choice.tag, choice.digest, choice.reason

    async def check(
        self, app: Mapping[str, Any], updaters: Sequence[Mapping[str, Any]] = ()
    ) -> list[ImageResult]:
        """Check every image of ``app``, configured by its annotations or else by one of
        ``updaters`` (ImageUpdater resources; see the module contract)."""
        meta = app.get("metadata") or {}
        name = str(meta.get("name") or "")
        try:
            settings, _ = app_settings(app, updaters)
            if settings is None:
                return []
            self.metrics.images_watched(name, len(settings.images))
            confs = await self.registries()
        except (ConfigError, KubeError) as err:
            result = ImageResult("*", Outcome.FAILED, str(err))
            await self._record(app, [result])
            return [result]
        results, patch, changes = await self._check_images(app, settings, confs)
        if changes:
            results = await self._push(app, settings, changes, results)
        if patch:
            try:
                await self.apps.patch_spec(name, {"source": patch})
            except KubeError as err:
                results = [
                    ImageResult(r.image, Outcome.FAILED, f"could not patch the Application: {err}")
                    if r.outcome is Outcome.UPDATED
                    else r
                    for r in results
                ]
        await self._record(app, results)
        return results

    async def _check_images(
        self, app: Mapping[str, Any], settings: AppImages, confs: tuple[RegistryConf, ...]
    ) -> tuple[list[ImageResult], dict[str, Any], list[GitChange]]:
        results: list[ImageResult] = []
        patch: dict[str, Any] = {}
        changes: list[GitChange] = []
        git = settings.write_back.method is WriteBackMethod.GIT
        working = {**app, "spec": {**(app.get("spec") or {})}}
        for spec in settings.images:
            label = spec.alias or spec.name
            old = running_tag(app, spec)
            if old is None and not spec.force:
                results.append(
                    ImageResult(
                        label,
                        Outcome.SKIPPED,
                        f"{spec.name} is not among the app's images (set {spec.alias or '<alias>'}"
                        ".force-update to update it anyway)",
                    )
                )
                continue
            try:
                tag, digest, reason = await self._pick(spec, confs)
                if tag is None:
                    results.append(ImageResult(label, Outcome.SKIPPED, reason, old=old))
                    continue
                # What the app runs already wins: no pin is written for an unchanged image.
                current = digest if spec.policy.strategy is Strategy.DIGEST else tag
                change: dict[str, Any] | None = None
                if old != current and git:
                    changes.append(GitChange(spec, tag, digest, old))
                    change = {}
                elif old != current:
                    change = argocd_source_patch(working, spec, tag, digest)
            except (RegistryError, CredentialsError, WriteBackError) as err:
                results.append(ImageResult(label, Outcome.FAILED, str(err), old=old))
                continue
            new = (
                f"{spec.name}@{digest}"
                if spec.policy.strategy is Strategy.DIGEST
                else f"{spec.name}:{tag}"
            )
            if change is None:
                results.append(
                    ImageResult(label, Outcome.UP_TO_DATE, f"{new} is current", old, new)
                )
                continue
            source = {**(working["spec"].get("source") or {})}
            for key, value in change.items():
                source[key] = {**(source.get(key) or {}), **value}
                patch[key] = {**patch.get(key, {}), **value}
            working["spec"]["source"] = source
            results.append(
                ImageResult(
                    label, Outcome.UPDATED, f"updated {spec.name} to {new} (from {old})", old, new
                )
            )
        return results, patch, changes

    async def _push(
        self,
        app: Mapping[str, Any],
        settings: AppImages,
        changes: list[GitChange],
        results: list[ImageResult],
    ) -> list[ImageResult]:
        """Write-back git: one commit for every changed image; then a refresh, so the
        controller deploys the commit without waiting for its next poll."""
        name = str((app.get("metadata") or {}).get("name") or "")
        try:
            sha = await write_git(
                self.kube,
                app,
                settings.write_back,
                changes,
                repositories=self.repositories,
                git=self._git,
            )
        except (SourceError, WriteBackError, CredentialsError) as err:
            return [
                ImageResult(r.image, Outcome.FAILED, f"git write-back: {err}", r.old, r.new)
                if r.outcome is Outcome.UPDATED
                else r
                for r in results
            ]
        if sha is None:  # committed earlier, not deployed yet: nothing new to say
            return [
                ImageResult(r.image, Outcome.UP_TO_DATE, f"{r.new} is in Git", r.old, r.new)
                if r.outcome is Outcome.UPDATED
                else r
                for r in results
            ]
        try:
            await self.apps.request_refresh(name, RefreshType.NORMAL)
        except KubeError as err:
            log.warning("could not ask app %s for a refresh: %s", name, err)
        return [
            ImageResult(r.image, r.outcome, f"{r.message} (commit {sha[:12]})", r.old, r.new)
            if r.outcome is Outcome.UPDATED
            else r
            for r in results
        ]

    async def _record(self, app: Mapping[str, Any], results: list[ImageResult]) -> None:
        meta = app.get("metadata") or {}
        name = str(meta.get("name") or "")
        for r in results:
            level = logging.WARNING if r.outcome is Outcome.FAILED else logging.INFO
            log.log(
                level,
                "image check of app %s, image %s: %s: %s",
                name,
                r.image,
                r.outcome,
                r.message,
            )
        updated = [r.message for r in results if r.outcome is Outcome.UPDATED]
        failed = sum(r.outcome is Outcome.FAILED for r in results)
        self.metrics.checked(name, updated=len(updated), errors=failed)
        if updated:
            await self._event(app, "Normal", "ImagesUpdated", "; ".join(updated))
        for r in results:
            key = (name, r.image)
            if r.outcome in (Outcome.UPDATED, Outcome.UP_TO_DATE):
                self._said.pop(key, None)
                continue
            if self._said.get(key) == r.message:
                continue
            self._said[key] = r.message
            if r.outcome is Outcome.FAILED:
                await self._event(app, "Warning", "ImageUpdateFailed", f"{r.image}: {r.message}")
            else:
                await self._event(app, "Normal", "ImageUpdateSkipped", f"{r.image}: {r.message}")

    async def _event(self, app: Mapping[str, Any], kind: str, reason: str, message: str) -> None:
        meta = app.get("metadata") or {}
        name = str(meta.get("name") or "")
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{name}.{uuid.uuid4().hex[:16]}", "namespace": self.namespace},
            "involvedObject": {
                "apiVersion": API_VERSION,
                "kind": "Application",
                "name": name,
                "namespace": self.namespace,
                "uid": str(meta.get("uid") or ""),
            },
            "reason": reason,
            "message": message[:1024],
            "type": kind,
            "source": {"component": "kapstan-image-updater"},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "reportingComponent": "kapstan-image-updater",
        }
        try:
            await self.kube.request(
                "POST", f"/api/v1/namespaces/{self.namespace}/events", None, event
            )
        except KubeError as err:
            log.warning("could not record the event %s on app %s: %s", reason, name, err)


__all__ = ["ImageResult", "ImageUpdater", "Outcome"]
