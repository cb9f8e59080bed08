"""Looking into repositories for the API (the repo-server's ``TestRepository``, ``ListRefs``,
``ListApps``, ``GetHelmCharts`` and ``GetAppDetails``), treating their content as hostile.

Contract of :class:`RepoInspector`:

- every call is bounded by ``timeout`` seconds (git and HTTP included) and raises
  :class:`InspectError` with a credential-free message on any failure;
- git work goes through :class:`~kapstan.source.git.GitClient` (credentials in the
  environment only; a checkout with an out-of-bounds symlink is refused) into a temporary
  directory that is removed afterwards; walks never follow symlinks, skip ``.git`` and stop
  after ``max_entries`` entries; files are read through the render layer's YAML limits;
- :meth:`check` answers a :class:`ConnectionState` instead of raising (``Unknown`` for OCI
  registries, which it does not probe); :class:`ConnectionCache` keeps answers ``ttl``
  seconds (Argo CD caches connection states too).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from kapstan.render import RenderError, detect
from kapstan.render.base import Limits
from kapstan.render.kustomize import KUSTOMIZATION_FILES, find_kustomization
from kapstan.render.paths import confine
from kapstan.render.yamlio import load_values
from kapstan.source.credentials import RepoCredentials
from kapstan.source.errors import SourceError
from kapstan.source.git import GitClient
from kapstan.source.helmindex import fetch_index
from kapstan.source.urls import strip_credentials

T = TypeVar("T")
APP_FILE_SUFFIXES = (".yaml", ".yml", ".json", ".jsonnet")
_LIMITS = Limits(max_file_bytes=4 * 1024 * 1024, max_alias_nodes=200_000)
MAX_PARAMETERS = 10_000


class InspectError(RuntimeError):
    """A repository could not be read; the message names no credential."""


class ConnectionStatus(StrEnum):
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class ConnectionState:
    """Argo CD's ``v1alpha1ConnectionState``."""

    status: ConnectionStatus
    message: str = ""
    attempted_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_dict(self) -> dict[str, str]:
        out = {"status": self.status.value, "message": self.message}
        out["attemptedAt"] = self.attempted_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return out


class ConnectionCache:
    """Connection states by key for ``ttl`` seconds."""

    def __init__(self, ttl: float = 3600.0) -> None:
        self.ttl = ttl
        self._states: dict[str, tuple[float, ConnectionState]] = {}

    def get(self, key: str) -> ConnectionState | None:
        found = self._states.get(key)
        if found is None or time.monotonic() - found[0] > self.ttl:
            return None
        return found[1]

    def put(self, key: str, state: ConnectionState) -> None:
        self._states[key] = (time.monotonic(), state)

    def drop(self, key: str) -> None:
        self._states.pop(key, None)


@dataclass
class RepoInspector:
    """See the module contract; ``cache_root`` holds git caches and checkouts."""

    cache_root: Path
    timeout: float = 30.0
    max_entries: int = 20_000

    async def _bounded(self, work: Awaitable[T], url: str) -> T:
        try:
            return await asyncio.wait_for(work, self.timeout)
        except TimeoutError:
            raise InspectError(f"{url}: timed out after {self.timeout:g}s") from None
        except SourceError as err:
            raise InspectError(str(err)) from None
        except RenderError as err:
            raise InspectError(f"{url}: {err}") from None

    def _git(self, url: str, creds: RepoCredentials) -> GitClient:
        return GitClient(url, creds, cache_root=self.cache_root / "git", timeout=self.timeout)

    async def check(
        self, url: str, creds: RepoCredentials, *, helm: bool, oci: bool
    ) -> ConnectionState:
        """Whether the repository answers with these credentials (never raises)."""
        if oci:
            return ConnectionState(
                ConnectionStatus.UNKNOWN, "connection checks of OCI registries are not supported"
            )
        try:
            if helm:
                await self._bounded(fetch_index(url, creds, timeout=self.timeout), url)
            else:
                await self._bounded(self._git(url, creds).ls_remote(), url)
        except InspectError as err:
            return ConnectionState(
                ConnectionStatus.FAILED, f"Unable to connect to repository: {err}"
            )
        return ConnectionState(ConnectionStatus.SUCCESSFUL)

    async def refs(self, url: str, creds: RepoCredentials) -> dict[str, list[str]]:
        """``{"branches": [...], "tags": [...]}`` (sorted)."""
        remote = await self._bounded(self._git(url, creds).ls_remote(), url)
        return {"branches": sorted(remote.branches), "tags": sorted(remote.tags)}

    async def helm_charts(self, url: str, creds: RepoCredentials) -> list[dict[str, Any]]:
        """``[{"name", "versions"}]`` from the repository's index (charts sorted by name)."""
        raw = await self._bounded(fetch_index(url, creds, timeout=self.timeout), url)
        try:
            index = load_values(raw.decode(errors="replace"), name="index.yaml", limits=_LIMITS)
        except RenderError as err:
            raise InspectError(f"{strip_credentials(url)[0]}: {err}") from None
        entries = index.get("entries") if isinstance(index, Mapping) else None
        if not isinstance(entries, Mapping):
            return []
        out = []
        for name in sorted(str(k) for k in entries):
            versions = entries[name] if isinstance(entries[name], list) else []
            found = [
                str(v["version"]) for v in versions if isinstance(v, Mapping) and v.get("version")
            ]
            out.append({"name": name, "versions": found})
        return out

    @contextlib.asynccontextmanager
    async def _checkout(
        self, url: str, creds: RepoCredentials, revision: str
    ) -> AsyncIterator[Path]:
        client = self._git(url, creds)
        sha = await self._bounded(client.resolve(revision or "HEAD"), url)
        work = Path(tempfile.mkdtemp(prefix="inspect-", dir=self._work_root()))
        try:
            tree = await self._bounded(client.checkout(sha, work), url)
            yield tree
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _work_root(self) -> Path:
        root = self.cache_root / "checkouts"
        root.mkdir(parents=True, exist_ok=True)
        return root

    async def apps(self, url: str, creds: RepoCredentials, revision: str) -> list[dict[str, str]]:
        """Directories that look like apps: ``[{"type", "path"}]`` sorted by path."""
        async with self._checkout(url, creds, revision) as tree:
            return await asyncio.to_thread(self._find_apps, tree)

    def _find_apps(self, tree: Path) -> list[dict[str, str]]:
        found: dict[str, str] = {}
        seen = 0
        for top, dirs, files in os.walk(tree, followlinks=False):
            seen += len(dirs) + len(files)
            if seen > self.max_entries:
                raise InspectError(f"the repository has more than {self.max_entries} entries")
            dirs[:] = sorted(d for d in dirs if d != ".git")
            rel = Path(top).relative_to(tree).as_posix()
            if "Chart.yaml" in files:
                found[rel] = "Helm"
                dirs[:] = [d for d in dirs if d not in ("templates", "charts")]
            elif any(f in files for f in KUSTOMIZATION_FILES):
                found[rel] = "Kustomize"
            elif any(f.endswith(APP_FILE_SUFFIXES) for f in files):
                found[rel] = "Directory"
        return [{"type": t, "path": p} for p, t in sorted(found.items())]

    async def app_details(
        self, source: Mapping[str, Any], creds: RepoCredentials
    ) -> dict[str, Any]:
        """``RepoAppDetailsResponse`` for a git ``source`` (``chart`` sources: the chart only)."""
        if source.get("chart"):
            return {"type": "Helm", "helm": {"name": str(source["chart"])}}
        url = str(source.get("repoURL") or "")
        async with self._checkout(url, creds, str(source.get("targetRevision") or "")) as tree:
            try:
                return await asyncio.to_thread(_details, tree.resolve(), source)
            except RenderError as err:
                raise InspectError(f"{strip_credentials(url)[0]}: {err}") from None


def _details(root: Path, source: Mapping[str, Any]) -> dict[str, Any]:
    app_dir = confine(root, str(source.get("path") or "."), what="source path")
    if not app_dir.is_dir():
        raise InspectError(f"path {source.get('path')!r} is not a directory of the repository")
    kind = detect(source, app_dir)
    if kind == "Helm":
        return {"type": kind, "helm": _helm_details(root, app_dir, source.get("helm") or {})}
    if kind == "Kustomize":
        return {"type": kind, "kustomize": _kustomize_details(app_dir)}
    return {"type": kind, "directory": {}}


def _read_yaml(path: Path, root: Path) -> Any:
    if not path.is_file():
        return None
    if path.stat().st_size > _LIMITS.max_file_bytes:
        raise InspectError(f"{path.relative_to(root)} is over {_LIMITS.max_file_bytes} bytes")
    return load_values(path.read_text(errors="replace"), name=path.name, limits=_LIMITS)


def _helm_details(root: Path, chart: Path, spec: Mapping[str, Any]) -> dict[str, Any]:
    meta = _read_yaml(chart / "Chart.yaml", root)
    out: dict[str, Any] = {"name": str(meta.get("name") or "") if isinstance(meta, dict) else ""}
    value_files = sorted(
        p.relative_to(chart).as_posix()
        for p in chart.glob("*")
        if p.is_file() and not p.is_symlink() and "values" in p.name
        and p.suffix in (".yaml", ".yml")
    )  # fmt: skip
    out["valueFiles"] = value_files
    values_file = chart / "values.yaml"
    if values_file.is_file() and not values_file.is_symlink():
        text = values_file.read_text(errors="replace")[: _LIMITS.max_file_bytes]
        out["values"] = text
    merged: dict[str, Any] = {}
    for rel in ["values.yaml", *[str(v) for v in spec.get("valueFiles") or []]]:
        if rel.startswith(("$", "http://", "https://")):
            continue  # other sources and remote files are not read here
        data = _read_yaml(confine(root, rel, what="value file", base=chart), root)
        if isinstance(data, dict):
            merged = _merge(merged, data)
    params = dict(_flatten(merged))
    for p in spec.get("parameters") or []:
        if isinstance(p, Mapping) and p.get("name"):
            params[str(p["name"])] = str(p.get("value") or "")
    if len(params) > MAX_PARAMETERS:
        raise InspectError(f"the chart has more than {MAX_PARAMETERS} parameters")
    out["parameters"] = [{"name": k, "value": v} for k, v in sorted(params.items())]
    return out


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        items: list[tuple[str, str]] = []
        for key, sub in value.items():
            items += _flatten(sub, f"{prefix}.{key}" if prefix else str(key))
        return items
    if isinstance(value, list):
        items = []
        for i, sub in enumerate(value):
            items += _flatten(sub, f"{prefix}[{i}]")
        return items
    if value is None:
        return []
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    return [(prefix, str(value))]


def _kustomize_details(app_dir: Path) -> dict[str, Any]:
    found = find_kustomization(app_dir)
    doc = _read_yaml(found, app_dir) if found is not None else None
    images = []
    for entry in (doc.get("images") if isinstance(doc, dict) else None) or []:
        if not isinstance(entry, Mapping) or not entry.get("name"):
            continue
        image = str(entry.get("newName") or entry["name"])
        if entry.get("newTag"):
            image += f":{entry['newTag']}"
        if entry.get("digest"):
            image += f"@{entry['digest']}"
        images.append(image)
    return {"images": images}


__all__ = [
    "ConnectionCache",
    "ConnectionState",
    "ConnectionStatus",
    "InspectError",
    "RepoInspector",
]
