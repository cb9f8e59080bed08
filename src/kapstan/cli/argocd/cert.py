"""``kapstan cert add-ssh|add-tls|list|rm``, as ``argocd cert`` has them.

Contract: ``add-ssh`` reads known-hosts lines (``--from FILE``, else standard input;
``--batch`` is accepted as argocd requires it) and posts one ``ssh`` entry per host and key
(``certData`` is the key, base64-encoded as grpc-gateway sends bytes; comment and blank lines
are skipped, a line with several comma-separated hosts gives one entry per host).
``add-tls HOST`` posts the PEM bundle (``--from FILE`` or standard input). ``--upsert``
replaces different data. ``list`` prints ``HOSTNAME TYPE SUBTYPE INFO`` (``--cert-type``,
``--hostname-pattern``; ``-o json|yaml``); ``rm HOST`` removes the matching entries
(``--cert-type``, ``--cert-sub-type``) and says how many.
"""

from __future__ import annotations

import base64
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from kapstan.cli.argocd import session
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.login import OutputOpt
from kapstan.cli.argocd.output import OutputFormat, check_format, emit, table

group = typer.Typer(
    no_args_is_help=True, help="Manage repository certificates and SSH known hosts."
)
CERTIFICATES = "/api/v1/certificates"


class CertType(StrEnum):
    SSH = "ssh"
    HTTPS = "https"


FromOpt = Annotated[Path | None, typer.Option("--from", help="Read from FILE (else stdin).")]
UpsertOpt = Annotated[bool, typer.Option("--upsert", help="Replace different data.")]
TypeOpt = Annotated[CertType | None, typer.Option("--cert-type", help="ssh or https.")]


def _read(source: Path | None) -> str:
    if source is None:
        return sys.stdin.read()
    try:
        return source.read_text()
    except OSError as err:
        raise CommandExit(20, f"cannot read {source}: {err.strerror}") from None


def known_hosts_entries(text: str) -> list[dict[str, str]]:
    """The ``ssh`` certificate entries of known-hosts ``text`` (see the module contract)."""
    out: list[dict[str, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if fields[0].startswith("@"):
            raise CommandExit(20, f"line {number}: markers like {fields[0]} are not supported")
        if len(fields) < 3:
            raise CommandExit(20, f"line {number}: expected 'HOST KEYTYPE KEY'")
        hosts, key_type, key = fields[0], fields[1], fields[2]
        data = base64.b64encode(key.encode()).decode()
        out += [
            {"serverName": host, "certType": "ssh", "certSubType": key_type, "certData": data}
            for host in hosts.split(",")
            if host
        ]
    return out


def _post(items: list[dict[str, str]], upsert: bool) -> list[dict[str, Any]]:
    answer = session.current().client().request(
        "POST", CERTIFICATES, params={"upsert": "true"} if upsert else None,
        body={"items": items},
    )  # fmt: skip
    created: list[dict[str, Any]] = answer.get("items") or []
    return created


@group.command("add-ssh")
def add_ssh(
    source: FromOpt = None,
    batch: Annotated[bool, typer.Option("--batch", help="Read known-hosts data.")] = False,
    upsert: UpsertOpt = False,
) -> None:
    """Add SSH known-hosts entries."""
    del batch  # argocd requires it; reading known-hosts data is the only mode here
    with handled():
        items = known_hosts_entries(_read(source))
        if not items:
            raise CommandExit(20, "no known-hosts entries in the input")
        created = _post(items, upsert)
        print(f"Successfully created {len(created)} SSH known host entries")


@group.command("add-tls")
def add_tls(
    host: Annotated[str, typer.Argument(help="Repository server host name.")],
    source: FromOpt = None,
    upsert: UpsertOpt = False,
) -> None:
    """Add the TLS CA certificates (PEM) of a repository server."""
    with handled():
        pem = _read(source)
        if "-----BEGIN CERTIFICATE-----" not in pem:
            raise CommandExit(20, "no PEM certificate in the input")
        data = base64.b64encode(pem.encode()).decode()
        created = _post([{"serverName": host, "certType": "https", "certData": data}], upsert)
        print(f"Created entry with {len(created)} PEM certificates for repository server {host}")


@group.command("list")
def list_(
    cert_type: TypeOpt = None,
    hostname_pattern: Annotated[
        str, typer.Option("--hostname-pattern", help="Host name glob.")
    ] = "",
    output: OutputOpt = "",
) -> None:
    """List the known SSH host keys and TLS certificates."""
    with handled():
        fmt = check_format(
            output, (OutputFormat.TEXT, OutputFormat.WIDE, OutputFormat.JSON, OutputFormat.YAML)
        )
        params = {"certType": cert_type.value if cert_type else None,
                  "hostNamePattern": hostname_pattern or None}  # fmt: skip
        items = session.current().client().request("GET", CERTIFICATES, params=params)
        listed = items.get("items") or []
        if emit(listed, fmt):
            return
        rows = [(c.get("serverName"), c.get("certType"), c.get("certSubType"), c.get("certInfo"))
                for c in listed]  # fmt: skip
        table(("HOSTNAME", "TYPE", "SUBTYPE", "INFO"), rows)


@group.command("rm")
def rm(
    host: Annotated[str, typer.Argument(help="Host name (or glob) whose entries go.")],
    cert_type: TypeOpt = None,
    cert_sub_type: Annotated[
        str, typer.Option("--cert-sub-type", help="SSH key type (e.g. ssh-ed25519).")
    ] = "",
) -> None:
    """Remove certificates and known-hosts entries of a host."""
    with handled():
        params = {"hostNamePattern": host, "certType": cert_type.value if cert_type else None,
                  "certSubType": cert_sub_type or None}  # fmt: skip
        answer = session.current().client().request("DELETE", CERTIFICATES, params=params)
        print(f"Removed {len(answer.get('items') or [])} certificates")


__all__ = ["CertType", "group", "known_hosts_entries"]
