"""The API's routes, one module per resource (Argo CD's paths)."""

from __future__ import annotations

from fastapi import APIRouter

from kapstan.api.routes import (
    actions,
    applications,
    inspect,
    links,
    logs,
    manifests,
    meta,
    operations,
    resources,
    session,
    streams,
)

ROUTERS: tuple[APIRouter, ...] = (
    meta.router,
    session.router,
    applications.router,
    operations.router,
    inspect.router,
    streams.router,
    resources.router,
    actions.router,
    logs.router,
    links.router,
    manifests.router,
)

__all__ = ["ROUTERS"]
