"""GitHub's push event as a Git host sends it to ``/api/webhook``, for tests and benchmarks
that play the Git host (tests/integration/api/test_webhook_live.py, bench/peers.py)."""

from __future__ import annotations

import json
from typing import Any


def github_push_event(
    repo_url: str, before: str, after: str, files: list[str], *, owner: str = "acme"
) -> bytes:
    """The push of commit ``after`` (parent ``before``) changing ``files`` on ``main`` of
    ``repo_url`` (``.../apps.git``): the fields GitHub's documentation lists that a push
    carries, ``html_url`` the web page (the URL without ``.git``), ``clone_url`` the URL."""
    commit = {"id": after, "message": "change", "added": [], "removed": [], "modified": files}
    payload: dict[str, Any] = {
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "created": False,
        "deleted": False,
        "forced": False,
        "commits": [commit],
        "head_commit": commit,
        "repository": {
            "name": "apps",
            "full_name": f"{owner}/apps",
            "html_url": repo_url.removesuffix(".git"),
            "clone_url": repo_url,
            "default_branch": "main",
        },
        "pusher": {"name": owner, "email": f"{owner}@example.com"},
    }
    return json.dumps(payload).encode()


__all__ = ["github_push_event"]
