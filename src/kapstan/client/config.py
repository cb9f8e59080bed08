"""Argo CD's local CLI config, so ``kapstan login`` reads and writes what ``argocd login`` does.

Contract: the file is YAML with ``contexts`` (``name``, ``server``, ``user``),
``current-context``, ``servers`` (``server``, ``insecure``, ``plain-text``, ``grpc-web``,
``grpc-web-root-path``) and ``users`` (``name``, ``auth-token``, ``refresh-token``), Argo CD's
field names; unknown fields are kept on rewrite. :func:`default_path` is ``--config``, else
``$KAPSTAN_CONFIG``, else ``$XDG_CONFIG_HOME/kapstan/config`` (``~/.config/kapstan/config``).
:meth:`LocalConfig.save` writes atomically with mode 0600 (the file holds tokens) and creates
the directory 0700. A missing file is an empty config; an unreadable one raises
:class:`ConfigFileError` naming the path.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONFIG_ENV = "KAPSTAN_CONFIG"


class ConfigFileError(RuntimeError):
    """The config file cannot be read or written (the message names it)."""


def default_path(flag: Path | None = None) -> Path:
    if flag is not None:
        return flag.expanduser()
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kapstan" / "config"


@dataclass
class ServerEntry:
    server: str
    insecure: bool = False
    plain_text: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_yaml(self) -> dict[str, Any]:
        out = {**self.extra, "server": self.server}
        if self.insecure:
            out["insecure"] = True
        if self.plain_text:
            out["plain-text"] = True
        return out


@dataclass
class UserEntry:
    name: str
    auth_token: str = ""
    refresh_token: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_yaml(self) -> dict[str, Any]:
        out = {**self.extra, "name": self.name}
        if self.auth_token:
            out["auth-token"] = self.auth_token
        if self.refresh_token:
            out["refresh-token"] = self.refresh_token
        return out


@dataclass
class ContextEntry:
    name: str
    server: str
    user: str

    def to_yaml(self) -> dict[str, Any]:
        return {"name": self.name, "server": self.server, "user": self.user}


def _str(raw: Any) -> str:
    return raw if isinstance(raw, str) else ""


@dataclass
class LocalConfig:
    """The parsed file (see the module contract)."""

    path: Path
    contexts: list[ContextEntry] = field(default_factory=list)
    servers: list[ServerEntry] = field(default_factory=list)
    users: list[UserEntry] = field(default_factory=list)
    current_context: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> LocalConfig:
        try:
            text = path.read_text()
        except FileNotFoundError:
            return cls(path)
        except OSError as err:
            raise ConfigFileError(f"{path}: {err.strerror or err}") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as err:
            raise ConfigFileError(f"{path}: not YAML ({err})") from None
        if not isinstance(data, dict):
            raise ConfigFileError(f"{path}: not a config file (a mapping was expected)")
        known = {"contexts", "servers", "users", "current-context"}
        config = cls(path, current_context=_str(data.get("current-context")))
        config.extra = {k: v for k, v in data.items() if k not in known}
        for raw in data.get("servers") or []:
            if isinstance(raw, dict) and _str(raw.get("server")):
                rest = {
                    k: v for k, v in raw.items() if k not in ("server", "insecure", "plain-text")
                }
                config.servers.append(
                    ServerEntry(
                        raw["server"], bool(raw.get("insecure")), bool(raw.get("plain-text")), rest
                    )
                )
        for raw in data.get("users") or []:
            if isinstance(raw, dict) and _str(raw.get("name")):
                rest = {
                    k: v for k, v in raw.items() if k not in ("name", "auth-token", "refresh-token")
                }
                config.users.append(
                    UserEntry(
                        raw["name"],
                        _str(raw.get("auth-token")),
                        _str(raw.get("refresh-token")),
                        rest,
                    )
                )
        for raw in data.get("contexts") or []:
            if isinstance(raw, dict) and _str(raw.get("name")):
                config.contexts.append(
                    ContextEntry(raw["name"], _str(raw.get("server")), _str(raw.get("user")))
                )
        return config

    def to_yaml(self) -> dict[str, Any]:
        return {
            **self.extra,
            "contexts": [c.to_yaml() for c in self.contexts],
            "current-context": self.current_context,
            "servers": [s.to_yaml() for s in self.servers],
            "users": [u.to_yaml() for u in self.users],
        }

    def save(self) -> None:
        text = yaml.safe_dump(self.to_yaml(), sort_keys=False)
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".config-")
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w") as out:
                    out.write(text)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as err:
            raise ConfigFileError(f"{self.path}: {err.strerror or err}") from None

    # -- look-ups ------------------------------------------------------------------------------
    def context(self, name: str = "") -> ContextEntry | None:
        wanted = name or self.current_context
        return next((c for c in self.contexts if c.name == wanted), None)

    def server(self, url: str) -> ServerEntry | None:
        return next((s for s in self.servers if s.server == url), None)

    def user(self, name: str) -> UserEntry | None:
        return next((u for u in self.users if u.name == name), None)

    # -- edits -----------------------------------------------------------------------------
    def upsert_login(
        self, name: str, server: ServerEntry, token: str, refresh_token: str = ""
    ) -> None:
        """Record a login as ``argocd login`` does: context, server and user all named
        ``name`` (the server address by default), made the current context."""
        self.servers = [s for s in self.servers if s.server != server.server] + [server]
        self.users = [u for u in self.users if u.name != name] + [
            UserEntry(name, token, refresh_token)
        ]
        self.contexts = [c for c in self.contexts if c.name != name] + [
            ContextEntry(name, server.server, name)
        ]
        self.current_context = name

    def remove_token(self, context_name: str) -> bool:
        """``logout``: forget the context's tokens (the context stays, as in Argo CD)."""
        ctx = self.context(context_name)
        user = self.user(ctx.user) if ctx else None
        if user is None:
            return False
        user.auth_token = ""
        user.refresh_token = ""
        return True


__all__ = [
    "CONFIG_ENV",
    "ConfigFileError",
    "ContextEntry",
    "LocalConfig",
    "ServerEntry",
    "UserEntry",
    "default_path",
]
