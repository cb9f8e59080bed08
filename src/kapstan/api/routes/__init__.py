"""The API's routes, one module per resource (Argo CD's paths)."""

from __future__ import annotations

from fastapi import APIRouter

from kapstan.api.routes import (
    accounts,
    applications,
    inspect,
    meta,
    operations,
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
    accounts.router,
)

__all__ = ["ROUTERS"]
