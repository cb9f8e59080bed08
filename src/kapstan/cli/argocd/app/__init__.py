"""``kapstan app …``: Argo CD's application commands. Each module registers its commands on
:data:`group` (one module per concern, so they stay small)."""

from __future__ import annotations

import typer

from kapstan.cli.argocd.app import appcreate, appops, appresources, appset, appview

group = typer.Typer(no_args_is_help=True, help="Manage applications.")
for module in (appcreate, appview, appset, appresources, appops):
    module.register(group)

__all__ = ["group"]
