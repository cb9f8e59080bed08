"""What the spec flags of ``app create|set|unset`` said, as plain data (no I/O, no rules).

Contract: a field left at its default was not given (empty, ``None`` or ``False``), which
:func:`nothing_given` tells; :func:`key_value` reads the ``key=value`` of a repeated flag,
raising :class:`SpecFlagError` (exit 20, the message names the flag) otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import StrEnum

from kapstan.cli.argocd.errors import GENERIC, CommandExit


class SpecFlagError(CommandExit):
    """A flag whose value cannot be used (the message names the flag); exits 20."""

    def __init__(self, message: str) -> None:
        super().__init__(GENERIC, message)


class SyncPolicyChoice(StrEnum):
    """``--sync-policy`` values (Argo CD's aliases accepted by :meth:`parse`)."""

    AUTOMATED = "automated"
    NONE = "none"

    @classmethod
    def parse(cls, raw: str) -> SyncPolicyChoice:
        word = raw.strip().lower()
        if word in ("automated", "auto", "automatic"):
            return cls.AUTOMATED
        if word in ("none", "manual"):
            return cls.NONE
        raise SpecFlagError(f"--sync-policy {raw!r}: use automated or none")


def nothing_given(flags: object) -> bool:
    """Whether every field of a flags dataclass is unset (empty, ``None`` or ``False``)."""
    return all(getattr(flags, f.name) in (None, "", False, (), []) for f in fields(flags))  # type: ignore[arg-type]


def key_value(raw: str, flag: str) -> tuple[str, str]:
    """``key=value`` of a repeated flag."""
    key, sep, value = raw.partition("=")
    if not sep or not key:
        raise SpecFlagError(f"{flag} {raw!r}: expected key=value")
    return key, value


@dataclass
class SpecFlags:
    """The spec flags of ``app create``/``app set`` (argocd's ``AddAppFlags``)."""

    repo: str = ""
    path: str = ""
    revision: str = ""
    helm_chart: str = ""
    ref: str = ""
    dest_server: str = ""
    dest_name: str = ""
    dest_namespace: str = ""
    project: str = ""
    revision_history_limit: int | None = None
    sync_policy: str = ""
    auto_prune: bool | None = None
    self_heal: bool | None = None
    allow_empty: bool | None = None
    sync_options: Sequence[str] = ()
    sync_retry_limit: int | None = None
    sync_retry_backoff_duration: str = ""
    sync_retry_backoff_max_duration: str = ""
    sync_retry_backoff_factor: int | None = None
    helm_set: Sequence[str] = ()
    helm_set_string: Sequence[str] = ()
    helm_set_file: Sequence[str] = ()
    values: Sequence[str] = ()
    values_literal: str = ""  # the text of --values-literal-file
    ignore_missing_value_files: bool | None = None
    release_name: str = ""
    helm_namespace: str = ""
    helm_skip_crds: bool | None = None
    helm_pass_credentials: bool | None = None
    kustomize_images: Sequence[str] = ()
    kustomize_replicas: Sequence[str] = ()
    kustomize_namespace: str = ""
    kustomize_version: str = ""
    nameprefix: str | None = None
    namesuffix: str | None = None
    directory_recurse: bool | None = None
    directory_include: str = ""
    directory_exclude: str = ""
    config_management_plugin: str = ""
    plugin_envs: Sequence[str] = ()


@dataclass
class UnsetFlags:
    """What ``app unset`` removes (argocd's ``unsetOpts``)."""

    parameters: Sequence[str] = ()
    values: Sequence[str] = ()
    values_literal: bool = False
    ignore_missing_value_files: bool = False
    pass_credentials: bool = False
    kustomize_images: Sequence[str] = ()
    kustomize_replicas: Sequence[str] = ()
    kustomize_version: bool = False
    kustomize_namespace: bool = False
    nameprefix: bool = False
    namesuffix: bool = False
    plugin_envs: Sequence[str] = ()
    ref: bool = False


__all__ = [
    "SpecFlagError",
    "SpecFlags",
    "SyncPolicyChoice",
    "UnsetFlags",
    "key_value",
    "nothing_given",
]
