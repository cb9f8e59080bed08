"""The view ``argocd`` prints when a long operation ends: the app's summary block (as ``app
get`` prints it), the last operation's block, then the resource table (``GROUP KIND NAMESPACE
NAME STATUS HEALTH HOOK MESSAGE``).

Contract: :func:`finish` prints ``app`` as ``-o json|yaml`` (the API object unchanged) or as
that view (``-o tree``/``tree=detailed``: the resource tree instead of the table), with
:mod:`~kapstan.cli.argocd.app.appprint`'s printers (one look for ``get``, ``sync``, ``wait``
and ``rollback``); ``operation`` adds the operation block; the table is the last
operation's results over the app's resources.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from kapstan.cli.argocd.app import appprint
from kapstan.cli.argocd.app.appapi import get_tree
from kapstan.cli.argocd.app.progress import RESOURCE_COLUMNS, resource_rows
from kapstan.cli.argocd.output import OutputFormat, emit, table
from kapstan.client.http import ApiClient

TREES = (OutputFormat.TREE, OutputFormat.TREE_DETAILED)


def finish(
    app: Mapping[str, Any],
    fmt: OutputFormat,
    *,
    operation: bool,
    server_url: str = "",
    client: ApiClient | None = None,
) -> None:
    """See the module contract."""
    if emit(dict(app), fmt):
        return
    name = str((app.get("metadata") or {}).get("name") or "")
    url = f"{server_url.rstrip('/')}/applications/{name}" if server_url else ""
    appprint.summary(app, url, None)
    if operation:
        appprint.operation(app)
    if fmt in TREES and client is not None:
        appprint.tree(app, get_tree(client, name), detailed=fmt is OutputFormat.TREE_DETAILED)
        return
    # The operation's results over the resources (the status may not be refreshed yet when
    # the operation ends), as argocd ends a sync: not app get's current-status table.
    sys.stdout.write("\n")
    table(RESOURCE_COLUMNS, resource_rows(app).values())


__all__ = ["finish"]
