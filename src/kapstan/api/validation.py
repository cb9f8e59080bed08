"""Validation of an Application before it is written (``validate=true``, Argo CD's default):
its project exists, the project permits its sources and destination, the destination cluster
is known. Violations are InvalidArgument with the project rule's own message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kapstan.api.context import ApiContext
from kapstan.api.errors import invalid
from kapstan.engine.project import Project, violations
from kapstan.model.vocabulary import IN_CLUSTER_NAME, IN_CLUSTER_URL


def validate_app(ctx: ApiContext, app: Mapping[str, Any]) -> None:
    spec = app.get("spec") or {}
    if not isinstance(spec, Mapping):
        raise invalid("spec must be an object")
    if not spec.get("source") and not spec.get("sources"):
        raise invalid("spec.source or spec.sources is required")
    destination = spec.get("destination") or {}
    if not isinstance(destination, Mapping) or not (
        destination.get("server") or destination.get("name")
    ):
        raise invalid("spec.destination needs a server or a name")
    if destination.get("server") and destination.get("name"):
        raise invalid("application destination can't have both name and server defined")
    name = str(spec.get("project") or "")
    if not name:
        raise invalid("spec.project is required")
    raw = ctx.mirror.project(name)
    if raw is None:
        raise invalid(f"application references project {name} which does not exist")
    project = Project.from_spec(name, raw.get("spec"))
    server = str(destination.get("server") or "")
    if destination.get("name") == IN_CLUSTER_NAME:
        server = IN_CLUSTER_URL
    found = violations(
        project,
        {**spec, "destination": {**destination, "server": server}},
        [],
        namespaced=lambda _g, _k: True,
    )
    if found:
        raise invalid("; ".join(c.message for c in found))


__all__ = ["validate_app"]
