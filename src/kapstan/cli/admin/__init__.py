"""``kapstan admin …``: Argo CD's ``argocd admin`` commands, which work on Kubernetes and on
local files directly, never through the API server (so, unlike :mod:`kapstan.cli.argocd`,
they may use the kube adapter, the services and the engine). One module per concern, each
with a ``register(group)``.
"""

from __future__ import annotations

import typer

from kapstan.cli.admin import appspec, exportimport, initialpassword, settings, webhook

group = typer.Typer(
    no_args_is_help=True,
    help="Commands for Kapstan administrators; they need direct Kubernetes access (or files).",
)
for module in (initialpassword, exportimport, settings, appspec, webhook):
    module.register(group)


def register_admin_commands(app: typer.Typer) -> None:
    app.add_typer(group, name="admin")


__all__ = ["group", "register_admin_commands"]
