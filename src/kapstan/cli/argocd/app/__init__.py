"""``kapstan app …``: Argo CD's application commands. Each module registers its commands on
:data:`group` (one module per concern, so they stay small)."""

from __future__ import annotations

import typer

from kapstan.cli.argocd.app import (
    appcreate,
    appdiff,
    appops,
    appresources,
    appset,
    appview,
    appwait,
)

group = typer.Typer(no_args_is_help=True, help="Manage applications.")
for module in (appcreate, appview, appset, appresources, appops, appwait, appdiff):
    module.register(group)

__all__ = ["group"]
