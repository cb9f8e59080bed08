"""Errors of the source layer.

Contract: every message names the repository by its credential-free URL (callers pass the
output of :func:`kapstan.source.urls.strip_credentials`) and, where relevant, the revision.
No exception text ever contains a password, token or private key.
"""

from __future__ import annotations


class SourceError(RuntimeError):
    """Base class: a repository could not be read; ``url`` is credential-free."""

    def __init__(self, message: str, *, url: str, revision: str | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.revision = revision


class RevisionNotFound(SourceError):
    """``targetRevision`` names no branch, tag, commit or satisfiable semver constraint."""

    def __init__(self, url: str, revision: str, detail: str = "") -> None:
        shown = revision or "HEAD"
        suffix = f": {detail}" if detail else ""
        super().__init__(
            f"unable to resolve revision {shown!r} in {url}{suffix}", url=url, revision=revision
        )


class AuthenticationFailed(SourceError):
    """The server refused our credentials (or we had none and it wanted some)."""


class HostKeyVerificationFailed(AuthenticationFailed):
    """The SSH server's host key is not in the known hosts we were given."""


class RepositoryNotFound(SourceError):
    """The server answered but has no such repository."""


class TLSVerificationFailed(SourceError):
    """The HTTPS server's certificate is not signed by a CA we trust for this repository."""


class OutOfBoundsSymlink(SourceError):
    """The commit's tree holds a symlink that is absolute or leads outside the repository.

    Argo CD's repo-server refuses such a repository for every app of it (unless started with
    ``--allow-oob-symlinks``, which Kapstan does not offer); the message ends with Argo's own
    sentence. ``path`` is the first offending link, relative to the repository root.
    """

    def __init__(self, url: str, revision: str, path: str) -> None:
        super().__init__(
            f"{url} at {revision}: repository contains out-of-bounds symlinks. file: {path}",
            url=url,
            revision=revision,
        )
        self.path = path
