"""Argo CD's persistent flags, accepted anywhere on a client command's line (cobra's
behaviour: ``argocd app list --server X`` and ``argocd --server X app list`` are the same).

Contract of :func:`extract`: for an argv whose first word is a client command
(:data:`CLIENT_COMMANDS`), the flags of :class:`GlobalFlags` are removed wherever they stand
(``--flag value`` and ``--flag=value``; ``-H`` repeats) and returned; everything after ``--``
is left alone; any other command's argv is returned untouched. The environment fills what
the flags leave empty: ``KAPSTAN_SERVER``/``ARGOCD_SERVER``, ``KAPSTAN_AUTH_TOKEN``/
``ARGOCD_AUTH_TOKEN``, ``ARGOCD_OPTS``-style booleans are not read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

CLIENT_COMMANDS = frozenset(
    {"login", "logout", "relogin", "context", "version", "app", "proj", "repo", "repocreds",
     "cluster", "account", "cert"}
)  # fmt: skip
VALUED = {
    "--server": "server",
    "--auth-token": "auth_token",
    "--config": "config",
    "--argocd-context": "context",
    "--kapstan-context": "context",
    "--header": "headers",
    "-H": "headers",
    "--grpc-web-root-path": "ignored",
}
SWITCHES = {
    "--insecure": "insecure",
    "--plaintext": "plaintext",
    "--grpc-web": "ignored",
}
SERVER_ENV = ("KAPSTAN_SERVER", "ARGOCD_SERVER")
TOKEN_ENV = ("KAPSTAN_AUTH_TOKEN", "ARGOCD_AUTH_TOKEN")


class FlagError(ValueError):
    """A global flag without its value."""


@dataclass(frozen=True)
class GlobalFlags:
    server: str = ""
    auth_token: str = ""
    config: Path | None = None
    context: str = ""
    headers: tuple[str, ...] = ()
    insecure: bool = False
    plaintext: bool = False
    from_env: frozenset[str] = field(default_factory=frozenset)

    def with_env(self, env: Mapping[str, str]) -> GlobalFlags:
        """The environment's server and token where no flag gave one."""
        server = self.server or next((env[k] for k in SERVER_ENV if env.get(k)), "")
        token = self.auth_token or next((env[k] for k in TOKEN_ENV if env.get(k)), "")
        given = {"server"} if server and not self.server else set()
        given |= {"auth_token"} if token and not self.auth_token else set()
        return replace(self, server=server, auth_token=token, from_env=frozenset(given))

    def header_map(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for raw in self.headers:
            name, sep, value = raw.partition(":")
            if not sep or not name.strip():
                raise FlagError(f"-H/--header {raw!r}: expected 'Name: value'")
            out[name.strip()] = value.strip()
        return out


def extract(argv: Sequence[str]) -> tuple[list[str], GlobalFlags]:
    """Split ``argv`` into the command's own words and the global flags (module contract)."""
    words = list(argv)
    if not words or words[0] not in CLIENT_COMMANDS:
        return words, GlobalFlags()
    kept: list[str] = []
    values: dict[str, object] = {}
    headers: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            kept.extend(words[i:])
            break
        name, eq, inline = word.partition("=")
        if name in SWITCHES and not eq:
            values[SWITCHES[name]] = True
        elif name in VALUED:
            if eq:
                value = inline
            else:
                if i + 1 >= len(words):
                    raise FlagError(f"flag needs an argument: {name}")
                i += 1
                value = words[i]
            target = VALUED[name]
            if target == "headers":
                headers.append(value)
            elif target != "ignored":
                values[target] = value
        else:
            kept.append(word)
        i += 1
    config = values.pop("config", None)
    flags = GlobalFlags(
        server=str(values.get("server", "")),
        auth_token=str(values.get("auth_token", "")),
        config=Path(str(config)) if config else None,
        context=str(values.get("context", "")),
        headers=tuple(headers),
        insecure=bool(values.get("insecure", False)),
        plaintext=bool(values.get("plaintext", False)),
    )
    return kept, flags.with_env(os.environ)


__all__ = ["CLIENT_COMMANDS", "FlagError", "GlobalFlags", "extract"]
