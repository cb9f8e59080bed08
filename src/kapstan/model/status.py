"""Sync status codes, spelled exactly as Argo CD's ``status.sync.status``."""

from __future__ import annotations

from enum import StrEnum


class SyncStatusCode(StrEnum):
    """Per-resource and per-application sync status (Argo CD ``SyncStatusCode``)."""

    SYNCED = "Synced"
    OUT_OF_SYNC = "OutOfSync"
    UNKNOWN = "Unknown"
