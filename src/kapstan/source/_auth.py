"""Environment for one git invocation: credentials travel in env vars and temp files only.

Contract of :func:`git_environment`: an async context manager yielding the environment for
``kapstan.proc.run``. Nothing secret is ever put on a command line:

- HTTPS: ``GIT_ASKPASS`` names a small script that echoes ``KAPSTAN_GIT_USERNAME`` /
  ``KAPSTAN_GIT_PASSWORD`` from its environment;
- HTTPS with a CA (``tls_ca_data``): the PEM goes into a temp file named by
  ``GIT_SSL_CAINFO``; ``insecure`` sets ``GIT_SSL_NO_VERIFY``;
- SSH: ``GIT_SSH_COMMAND`` with the key in a 0600 temp file, ``IdentitiesOnly=yes``,
  ``UserKnownHostsFile=<file>`` and ``StrictHostKeyChecking=yes`` (``no`` only when insecure);
  without known hosts the check fails closed;
- always ``GIT_TERMINAL_PROMPT=0`` and no system/global git config (so no credential helper
  or ``insteadOf`` from the host can interfere); temp files are removed on exit.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from kapstan.source.credentials import RepoCredentials
from kapstan.source.urls import is_ssh_url

_ASKPASS = """#!/bin/sh
# Written by kapstan: answers git's credential prompts from the environment.
case "$1" in
  Username*|username*) printf '%s\\n' "$KAPSTAN_GIT_USERNAME" ;;
  *) printf '%s\\n' "$KAPSTAN_GIT_PASSWORD" ;;
esac
"""


def askpass_script(root: Path) -> Path:
    """Write (once) the askpass helper under ``root`` and return its path."""
    path = root / "askpass.sh"
    if not path.exists() or path.read_text() != _ASKPASS:
        tmp = root / f".askpass.{os.getpid()}.tmp"
        tmp.write_text(_ASKPASS)
        tmp.chmod(0o700)
        tmp.replace(path)  # atomic: a concurrent process never runs a half-written script
    return path


def _base_env() -> dict[str, str]:
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        # An empty helper list disables any helper configured elsewhere.
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "credential.helper",
        "GIT_CONFIG_VALUE_0": "",
        "SSH_ASKPASS": "",
    }


@contextlib.asynccontextmanager
async def git_environment(
    url: str, creds: RepoCredentials, work_root: Path
) -> AsyncIterator[dict[str, str]]:
    """Yield the environment to run git against ``url`` with ``creds`` (see module contract)."""
    env = _base_env()
    if not is_ssh_url(url):
        if url.lower().startswith("http"):
            env["GIT_ASKPASS"] = str(askpass_script(work_root))
            env["KAPSTAN_GIT_USERNAME"] = creds.username or ""
            env["KAPSTAN_GIT_PASSWORD"] = creds.password or ""
            if creds.insecure:
                env["GIT_SSL_NO_VERIFY"] = "true"
            if creds.tls_ca_data and not creds.insecure:
                with tempfile.TemporaryDirectory(prefix="tls-", dir=work_root) as tmp:
                    ca = Path(tmp) / "ca.pem"
                    ca.write_text(creds.tls_ca_data.rstrip("\n") + "\n")
                    env["GIT_SSL_CAINFO"] = str(ca)
                    yield env
                return
        yield env
        return
    with tempfile.TemporaryDirectory(prefix="ssh-", dir=work_root) as tmp:
        d = Path(tmp)
        d.chmod(0o700)
        argv = ["ssh", "-F", os.devnull, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
        argv += ["-o", "IdentityAgent=none"]
        if creds.ssh_private_key:
            key = d / "key"
            # Created 0600 from the start: the key is never readable by others, even briefly.
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(creds.ssh_private_key.rstrip("\n") + "\n")
            argv += ["-i", str(key)]
        else:
            # No key configured: never fall back to the host's own ~/.ssh/id_* keys.
            argv += ["-o", "IdentityFile=none"]
        known = d / "known_hosts"
        known.write_text(creds.known_hosts or "")
        strict = "no" if creds.insecure else "yes"
        argv += ["-o", f"UserKnownHostsFile={known}", "-o", f"StrictHostKeyChecking={strict}"]
        env["GIT_SSH_COMMAND"] = shlex.join(argv)
        env["GIT_SSH_VARIANT"] = "ssh"
        yield env
