"""``kapstan repo add|get|list|rm`` and ``kapstan repocreds add|get|list|rm``, as ``argocd``
has them.

Contract: ``add URL`` posts a Repository (``/api/v1/repositories``) or a credential template
(``/api/v1/repocreds``) built from the flags; key and certificate files are read by the
client and sent as their contents; ``--username`` without ``--password`` prompts for it (never
echoed). ``--upsert`` replaces a different one. A secret is never printed: the API's answers
carry none, and the tables show only whether credentials are set. ``list``/``get`` take
``-o json|yaml`` (the API's objects unchanged), ``url`` and ``wide`` (the default table).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from kapstan.cli.argocd import session
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.login import OutputOpt
from kapstan.cli.argocd.output import OutputFormat, check_format, emit, table

repo_group = typer.Typer(no_args_is_help=True, help="Manage repository connection parameters.")
creds_group = typer.Typer(no_args_is_help=True, help="Manage credential templates.")
REPOS, CREDS = "/api/v1/repositories", "/api/v1/repocreds"
_URL_FORMAT = "url"
_FORMATS = (OutputFormat.TEXT, OutputFormat.WIDE, OutputFormat.JSON, OutputFormat.YAML)


class RepoType(StrEnum):
    GIT = "git"
    HELM = "helm"


def _path(base: str, url: str) -> str:
    return f"{base}/{quote(url, safe='')}"


def _read(path: Path | None, what: str) -> str:
    if path is None:
        return ""
    try:
        return path.read_text()
    except OSError as err:
        raise CommandExit(20, f"cannot read the {what} {path}: {err.strerror}") from None


def _password(username: str, password: str) -> str:
    if not username or password:
        return password
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True))
    line = sys.stdin.readline()
    if not line:
        raise CommandExit(20, "a password is required with --username (pass --password)")
    return line.rstrip("\n")


@dataclass(frozen=True)
class CredFlags:
    username: str
    password: str
    ssh_key: Path | None
    tls_cert: Path | None
    tls_key: Path | None
    repo_type: RepoType | None
    name: str
    enable_oci: bool
    insecure: bool
    project: str

    def body(self) -> dict[str, Any]:
        """The object to send (only what was given; files as their contents)."""
        out: dict[str, Any] = {}
        text = {
            "username": self.username,
            "password": _password(self.username, self.password),
            "sshPrivateKey": _read(self.ssh_key, "SSH private key"),
            "tlsClientCertData": _read(self.tls_cert, "TLS client certificate"),
            "tlsClientCertKey": _read(self.tls_key, "TLS client key"),
            "type": self.repo_type.value if self.repo_type else "",
            "name": self.name,
            "project": self.project,
        }
        out.update({k: v for k, v in text.items() if v})
        if self.enable_oci:
            out["enableOCI"] = True
        if self.insecure:
            out["insecure"] = True
        return out


UsernameOpt = Annotated[str, typer.Option("--username", help="Username.")]
PasswordOpt = Annotated[str, typer.Option("--password", help="Password (else prompted).")]
SshOpt = Annotated[
    Path | None, typer.Option("--ssh-private-key-path", help="File of an SSH private key.")
]
CertOpt = Annotated[
    Path | None, typer.Option("--tls-client-cert-path", help="File of a TLS client certificate.")
]
KeyOpt = Annotated[
    Path | None, typer.Option("--tls-client-cert-key-path", help="File of its private key.")
]
TypeOpt = Annotated[RepoType | None, typer.Option("--type", help="git or helm.")]
NameOpt = Annotated[str, typer.Option("--name", help="Name (Helm repositories).")]
OciOpt = Annotated[bool, typer.Option("--enable-oci", help="An OCI Helm registry.")]
InsecureOpt = Annotated[
    bool,
    typer.Option("--insecure-skip-server-verification", help="Skip server TLS/host key checks."),
]
ProjectOpt = Annotated[str, typer.Option("--project", help="Scope to this project.")]
UpsertOpt = Annotated[bool, typer.Option("--upsert", help="Replace a different one.")]


@repo_group.command("add")
def repo_add(
    url: Annotated[str, typer.Argument(help="Repository URL.")],
    username: UsernameOpt = "",
    password: PasswordOpt = "",
    ssh_key: SshOpt = None,
    tls_cert: CertOpt = None,
    tls_key: KeyOpt = None,
    repo_type: TypeOpt = RepoType.GIT,
    name: NameOpt = "",
    enable_oci: OciOpt = False,
    insecure: InsecureOpt = False,
    project: ProjectOpt = "",
    upsert: UpsertOpt = False,
) -> None:
    """Add a repository (its connection is checked by the server)."""
    with handled():
        flags = CredFlags(username, password, ssh_key, tls_cert, tls_key, repo_type, name,
                          enable_oci, insecure, project)  # fmt: skip
        body = {"repo": url, **flags.body()}
        session.current().client().request(
            "POST", REPOS, params={"upsert": "true"} if upsert else None, body=body
        )
        print(f"Repository '{url}' added")


def _has_creds(item: dict[str, Any]) -> bool:
    return bool(item.get("username") or item.get("inheritedCreds") or item.get("githubAppID"))


def _repo_rows(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    def flag(item: dict[str, Any], key: str) -> str:
        return str(bool(item.get(key))).lower()

    return [
        (
            i.get("type") or "git", i.get("name", ""), i.get("repo", ""), flag(i, "insecure"),
            flag(i, "enableOCI"), flag(i, "enableLfs"), str(_has_creds(i)).lower(),
            (i.get("connectionState") or {}).get("status", ""),
            (i.get("connectionState") or {}).get("message", ""), i.get("project", ""),
        )
        for i in items
    ]  # fmt: skip


_REPO_HEADERS = ("TYPE", "NAME", "REPO", "INSECURE", "OCI", "LFS", "CREDS", "STATUS", "MESSAGE",
                 "PROJECT")  # fmt: skip


def _show(items: list[dict[str, Any]], data: Any, output: str, key: str, rows: Any) -> None:
    if output == _URL_FORMAT:
        for item in items:
            print(item.get(key, ""))
        return
    fmt = check_format(output, _FORMATS)
    if emit(data, fmt):
        return
    headers, body = rows(items)
    table(headers, body)


@repo_group.command("get")
def repo_get(
    url: Annotated[str, typer.Argument(help="Repository URL.")],
    output: OutputOpt = "",
    project: ProjectOpt = "",
    refresh: Annotated[
        str, typer.Option("--refresh", help="hard: check the connection again.")
    ] = "",
) -> None:
    """Show a repository and its connection state."""
    with handled():
        params = {"appProject": project or None, "forceRefresh": "true" if refresh else None}
        found = session.current().client().get(_path(REPOS, url), **params)
        _show([found], found, output, "repo", lambda i: (_REPO_HEADERS, _repo_rows(i)))


@repo_group.command("list")
def repo_list(
    output: OutputOpt = "",
    refresh: Annotated[
        str, typer.Option("--refresh", help="hard: check the connections again.")
    ] = "",
) -> None:
    """List the repositories and their connection states."""
    with handled():
        params = {"forceRefresh": "true" if refresh else None}
        items = session.current().client().get(REPOS, **params).get("items") or []
        _show(items, items, output, "repo", lambda i: (_REPO_HEADERS, _repo_rows(i)))


@repo_group.command("rm")
def repo_rm(
    urls: Annotated[list[str], typer.Argument(help="Repository URLs.")],
    project: ProjectOpt = "",
) -> None:
    """Remove repositories."""
    with handled():
        for url in urls:
            session.current().client().request(
                "DELETE", _path(REPOS, url), params={"appProject": project or None}
            )
            print(f"Repository '{url}' removed")


@creds_group.command("add")
def creds_add(
    url: Annotated[str, typer.Argument(help="URL prefix the template applies to.")],
    username: UsernameOpt = "",
    password: PasswordOpt = "",
    ssh_key: SshOpt = None,
    tls_cert: CertOpt = None,
    tls_key: KeyOpt = None,
    repo_type: TypeOpt = None,
    enable_oci: OciOpt = False,
    upsert: UpsertOpt = False,
) -> None:
    """Add a credential template."""
    with handled():
        flags = CredFlags(username, password, ssh_key, tls_cert, tls_key, repo_type, "",
                          enable_oci, False, "")  # fmt: skip
        session.current().client().request(
            "POST", CREDS, params={"upsert": "true"} if upsert else None,
            body={"url": url, **flags.body()},
        )  # fmt: skip
        print(f"Repository credentials for '{url}' added")


def _creds_rows(items: list[dict[str, Any]]) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    rows = [
        (i.get("url", ""), i.get("username") or "-", str(bool(i.get("sshPrivateKey"))).lower(),
         str(bool(i.get("tlsClientCertData"))).lower())
        for i in items
    ]  # fmt: skip
    return ("URL PATTERN", "USERNAME", "SSH_CREDS", "TLS_CREDS"), rows


@creds_group.command("get")
def creds_get(
    url: Annotated[str, typer.Argument(help="URL of the template.")], output: OutputOpt = ""
) -> None:
    """Show a credential template."""
    with handled():
        items = session.current().client().get(CREDS, url=url).get("items") or []
        if not items:
            raise CommandExit(20, f"repository credentials '{url}' not found")
        _show(items, items[0], output, "url", _creds_rows)


@creds_group.command("list")
def creds_list(output: OutputOpt = "") -> None:
    """List the credential templates."""
    with handled():
        items = session.current().client().get(CREDS).get("items") or []
        _show(items, items, output, "url", _creds_rows)


@creds_group.command("rm")
def creds_rm(urls: Annotated[list[str], typer.Argument(help="Template URLs.")]) -> None:
    """Remove credential templates."""
    with handled():
        for url in urls:
            session.current().client().request("DELETE", _path(CREDS, url))
            print(f"Repository credentials for '{url}' removed")


__all__ = ["RepoType", "creds_group", "repo_group"]
