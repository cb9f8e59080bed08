"""The API's routes, one module per resource (Argo CD's paths)."""

from __future__ import annotations

from fastapi import APIRouter

from kapstan.api.routes import (
    accounts,
    actions,
    applications,
    badge,
    certificates,
    clusters,
    dex,
    inspect,
    links,
    localmanifests,
    logs,
    manifests,
    meta,
    multiplex,
    operations,
    projects,
    repocreds,
    repositories,
    resources,
    serverdiff,
    session,
    sso,
    streams,
    webhook,
)

ROUTERS: tuple[APIRouter, ...] = (
    meta.router,
    session.router,
    sso.router,
    dex.router,
    applications.router,
    operations.router,
    inspect.router,
    streams.router,
    multiplex.router,
    projects.router,
    repositories.router,
    repocreds.router,
    clusters.router,
    certificates.router,
    accounts.router,
    badge.router,
    resources.router,
    actions.router,
    logs.router,
    links.router,
    manifests.router,
    localmanifests.router,
    serverdiff.router,
    webhook.router,
)

__all__ = ["ROUTERS"]
