"""The API's routes, one module per resource (Argo CD's paths)."""

from __future__ import annotations

from fastapi import APIRouter

from kapstan.api.routes import (
    accounts,
    applications,
    badge,
    certificates,
    clusters,
    inspect,
    meta,
    operations,
    projects,
    repocreds,
    repositories,
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
    projects.router,
    repositories.router,
    repocreds.router,
    clusters.router,
    certificates.router,
    accounts.router,
    badge.router,
)

__all__ = ["ROUTERS"]
