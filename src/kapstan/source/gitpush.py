"""Committing a change to a Git repository and pushing it (image automation's Git write-back).

Contract of :func:`commit_and_push`: clones ``branch`` of ``url`` (shallow) into a temporary
directory with ``credentials`` (the same environment-only credential handling as
:mod:`kapstan.source.git`: nothing secret in argv, logs or messages), calls ``edit(worktree)``,
and when it reports a change commits it as ``author`` with ``message`` and pushes to
``branch``, or to ``push_branch`` (created from ``branch``) when given: if that branch exists
already, the change set was pushed before and nothing is done. A rejected push (someone
pushed meanwhile) is never forced: the new head is fetched, the edit is applied again on it
and the push retried, up to ``attempts`` times. Returns the pushed commit SHA, or ``None``
when nothing was pushed. Failures are :class:`~kapstan.source.errors.SourceError`
(authentication, missing branch, rejected pushes).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from kapstan import proc
from kapstan.source._auth import git_environment
from kapstan.source.credentials import RepoCredentials
from kapstan.source.errors import AuthenticationFailed, SourceError
from kapstan.source.urls import strip_credentials

_REJECTED = re.compile(r"\[rejected\]|non-fast-forward|fetch first|failed to push", re.I)
_AUTH = re.compile(
    r"Authentication failed|could not read (Username|Password)|returned error: 40[13]|"
    r"Permission denied \(",
    re.I,
)


async def commit_and_push(
    url: str,
    branch: str,
    edit: Callable[[Path], bool],
    *,
    message: str,
    credentials: RepoCredentials | None = None,
    author: tuple[str, str] = ("kapstan-image-updater", "noreply@kapstan.invalid"),
    attempts: int = 3,
    timeout: float = 120.0,
    work_root: Path | None = None,
    push_branch: str | None = None,
) -> str | None:
    """Apply ``edit`` on ``branch`` and push it (see the module contract)."""
    clean, _, _ = strip_credentials(url)
    creds = credentials or RepoCredentials()
    secrets = creds.secrets()
    with tempfile.TemporaryDirectory(prefix="kapstan-push-", dir=work_root) as tmp:
        root = Path(tmp)
        work = root / "work"

        async def git(*args: str, cwd: Path | None = work) -> str:
            async with git_environment(clean, creds, root) as base:
                env = {
                    **base,
                    "GIT_AUTHOR_NAME": author[0],
                    "GIT_AUTHOR_EMAIL": author[1],
                    "GIT_COMMITTER_NAME": author[0],
                    "GIT_COMMITTER_EMAIL": author[1],
                }
                try:
                    done = await proc.run(
                        ["git", *args], cwd=cwd, env=env, timeout=timeout, redact=secrets
                    )
                except proc.ProcessFailed as err:
                    text = proc.redact_text(err.stderr or str(err), secrets).strip()
                    tail = (text.splitlines() or ["(no error output)"])[-1]
                    if _AUTH.search(text):
                        raise AuthenticationFailed(
                            f"authentication failed pushing to {clean}: {tail}", url=clean
                        ) from None
                    if args[0] == "push" and _REJECTED.search(text):
                        raise _Rejected(tail) from None
                    raise SourceError(f"git {args[0]} on {clean}: {tail}", url=clean) from None
                except proc.ProcessError as err:
                    raise SourceError(f"git {args[0]} on {clean}: {err}", url=clean) from None
                return done.stdout.decode(errors="replace").strip()

        await git(
            "clone", "--quiet", "--depth", "1", "--branch", branch, "--", clean, str(work), cwd=root
        )
        target = push_branch or branch
        if target != branch and await git("ls-remote", "--heads", "origin", target):
            return None  # that change set was pushed to its own branch already
        for attempt in range(1, attempts + 1):
            if not edit(work):
                return None
            await git("add", "-A")
            await git("commit", "--quiet", "-m", message)
            try:
                await git("push", "--quiet", "origin", f"HEAD:refs/heads/{target}")
            except _Rejected as rejected:
                if attempt == attempts:
                    raise SourceError(
                        f"push to {target} of {clean} rejected {attempts} times (the branch "
                        f"keeps moving): {rejected}",
                        url=clean,
                    ) from None
                await git("fetch", "--quiet", "--depth", "1", "origin", branch)
                await git("reset", "--quiet", "--hard", "FETCH_HEAD")
                continue
            return await git("rev-parse", "HEAD")
    return None  # attempts < 1


class _Rejected(Exception):
    """The remote refused a non-fast-forward push."""


__all__ = ["commit_and_push"]
