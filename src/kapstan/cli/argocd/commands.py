"""Every client command group, registered on the ``kapstan`` command."""

from __future__ import annotations

import typer

from kapstan.cli.argocd import account, cert, cluster, clusteradd, login, proj, repo
from kapstan.cli.argocd import app as app_commands


def register_client_commands(app: typer.Typer) -> None:
    login.register(app)
    app.add_typer(app_commands.group, name="app")
    app.add_typer(proj.group, name="proj")
    app.add_typer(repo.repo_group, name="repo")
    app.add_typer(repo.creds_group, name="repocreds")
    clusteradd.register(cluster.group)
    app.add_typer(cluster.group, name="cluster")
    app.add_typer(account.group, name="account")
    app.add_typer(cert.group, name="cert")


__all__ = ["register_client_commands"]
