"""The view ``argocd`` prints when a long operation ends: the app's summary block (as ``app
get`` prints it), the last operation's block, then the resource table (``GROUP KIND NAMESPACE
NAME STATUS HEALTH HOOK MESSAGE``).

Contract: :func:`finish` prints ``app`` as ``-o json|yaml`` (the API object unchanged) or as
that view, with :mod:`~kapstan.cli.argocd.app.appprint`'s printers (one look for ``get``,
``sync``, ``wait`` and ``rollback``); ``operation`` adds the operation block.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kapstan.cli.argocd.app import appprint
from kapstan.cli.argocd.output import OutputFormat, emit


def finish(
    app: Mapping[str, Any], fmt: OutputFormat, *, operation: bool, server_url: str = ""
) -> None:
    """See the module contract."""
    if emit(dict(app), fmt):
        return
    name = str((app.get("metadata") or {}).get("name") or "")
    url = f"{server_url.rstrip('/')}/applications/{name}" if server_url else ""
    appprint.summary(app, url, None)
    if operation:
        appprint.operation(app)
    appprint.resources(app)


__all__ = ["finish"]
