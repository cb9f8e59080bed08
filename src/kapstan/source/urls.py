"""Repository URL handling, mirroring Argo CD's ``git.NormalizeGitURL`` / ``SameURL``.

Contracts:

- :func:`normalize_url` is for comparison and cache keys only, never for connecting. Like Argo CD
  it lower-cases the whole URL, turns scp-like ``git@host:org/repo`` into the ``ssh://`` form,
  strips a trailing ``/`` and ``.git`` and finally drops the ``ssh://`` scheme, so
  ``git@host:org/repo`` and ``ssh://git@host/org/repo.git`` normalize equal. Unlike Argo CD it
  also drops any password (and, for http(s), the whole user part), so a normalized URL is safe
  to log and to hash.
- :func:`strip_credentials` splits ``https://user:pass@host/...`` into the clean URL and the
  credentials; the clean URL is what every message and log line may show.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

# Argo CD's sshURLRegex: optional ssh:// scheme, a user, '@', and no second '@'.
_SSH_URL = re.compile(r"^(ssh://)?([^/:]*?)@[^@]+$")
# scp-like syntax: user@host:path (no scheme, the first ':' separates host from path).
_SCP_LIKE = re.compile(r"^(?P<user>[^@/:]+)@(?P<host>[^/:]+):(?P<path>.*)$")


def is_ssh_url(url: str) -> bool:
    """True for ``ssh://user@host/...`` and scp-like ``user@host:path`` URLs (Argo CD's rule)."""
    return bool(_SSH_URL.match(url.strip())) and not url.strip().lower().startswith("http")


def scp_to_ssh(url: str) -> str:
    """``git@host:org/repo`` → ``ssh://git@host/org/repo``; other URLs are returned unchanged."""
    m = _SCP_LIKE.match(url)
    if m is None or "://" in url:
        return url
    path = m["path"].lstrip("/")
    return f"ssh://{m['user']}@{m['host']}/{path}"


def strip_credentials(url: str) -> tuple[str, str | None, str | None]:
    """Return ``(clean_url, username, password)`` for a URL that may embed credentials.

    For http(s) the whole user-info part is removed. For ssh the user name stays in the URL
    (it is the login name, e.g. ``git``, not a secret) and only a password is removed.
    Unparseable input is returned as is, with no credentials.
    """
    url = url.strip()
    if "://" not in url:
        return url, None, None  # scp-like or a path: there is no place for a password
    try:
        parts = urlsplit(url)
        username, password = parts.username, parts.password
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url, None, None
    if username is None and password is None:
        return url, None, None
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None:
        netloc = f"{netloc}:{port}"
    keep_user = parts.scheme.lower() == "ssh" and username
    if keep_user:
        netloc = f"{username}@{netloc}"
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    user = unquote(username) if username else None
    secret = unquote(password) if password is not None else None
    return clean, (None if keep_user else user), secret


def normalize_url(url: str) -> str:
    """Canonical, credential-free form of a repository URL for comparison and cache keys."""
    clean, _, _ = strip_credentials(url)
    repo = clean.strip().lower()
    if is_ssh_url(repo):
        repo = scp_to_ssh(repo)
    repo = repo.rstrip("/").removesuffix(".git").rstrip("/")
    return repo.removeprefix("ssh://")


def same_url(left: str, right: str) -> bool:
    """True when two repository URLs name the same repository (Argo CD's ``SameURL``)."""
    return left == right or normalize_url(left) == normalize_url(right)
