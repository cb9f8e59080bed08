"""``kapstan account list|get|get-user-info|update-password|generate-token|delete-token|can-i``,
as ``argocd account`` has them.

Contract: ``--account``/``-a`` defaults to the logged-in user (``/api/v1/session/userinfo``).
``list`` prints ``NAME ENABLED CAPABILITIES`` (``-o json|yaml|name``); ``get`` a block and
the account's tokens (``ID ISSUED AT EXPIRING AT``); ``get-user-info`` ``Logged In``,
``Username``, ``Issuer``, ``Groups``. ``update-password`` prompts (never echoed) for what the
flags leave out, the new password twice; after changing one's own password it logs in again
and saves the new token in the current context, as argocd does. ``generate-token`` prints
only the new token (it is shown once); ``delete-token ID`` removes one. ``can-i ACTION
RESOURCE SUBRESOURCE`` prints ``yes`` or ``no`` and exits 0 either way (argocd's behaviour).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any
from urllib.parse import quote

import typer

from kapstan.cli.argocd import session, tokens
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.login import OutputOpt
from kapstan.cli.argocd.output import OutputFormat, block, check_format, emit, table
from kapstan.client.config import ServerEntry
from kapstan.client.http import ApiClient

group = typer.Typer(no_args_is_help=True, help="Manage account settings.")
ACCOUNTS, USERINFO = "/api/v1/account", "/api/v1/session/userinfo"
_FORMATS = (OutputFormat.TEXT, OutputFormat.WIDE, OutputFormat.NAME, OutputFormat.JSON,
            OutputFormat.YAML)  # fmt: skip
AccountOpt = Annotated[
    str, typer.Option("--account", "-a", help="Account (default: the current user).")
]


def _userinfo() -> dict[str, Any]:
    found: dict[str, Any] = session.current().client().get(USERINFO)
    return found


def _account(name: str) -> str:
    name = name or str(_userinfo().get("username") or "")
    if not name:
        raise CommandExit(20, "not logged in: run kapstan login SERVER (or pass --account)")
    return name


@group.command("list")
def list_(output: OutputOpt = "") -> None:
    """List the local accounts."""
    with handled():
        fmt = check_format(output, _FORMATS)
        items = session.current().client().get(ACCOUNTS).get("items") or []
        if emit(items, fmt):
            return
        if fmt is OutputFormat.NAME:
            for item in items:
                print(item.get("name", ""))
            return
        rows = [
            (a.get("name"), str(bool(a.get("enabled"))).lower(),
             ", ".join(a.get("capabilities") or []))
            for a in items
        ]  # fmt: skip
        table(("NAME", "ENABLED", "CAPABILITIES"), rows)


@group.command()
def get(account: AccountOpt = "", output: OutputOpt = "") -> None:
    """Show an account and its tokens."""
    with handled():
        fmt = check_format(output, _FORMATS)
        found = session.current().client().get(f"{ACCOUNTS}/{_account(account)}")
        if emit(found, fmt):
            return
        if fmt is OutputFormat.NAME:
            print(found.get("name", ""))
            return
        block(
            [
                ("Name", found.get("name", "")),
                ("Enabled", str(bool(found.get("enabled"))).lower()),
                ("Capabilities", ", ".join(found.get("capabilities") or [])),
            ]
        )
        print("\nTokens:")
        listed = found.get("tokens") or []
        if not listed:
            print("NONE")
            return
        rows = [(t.get("id"), tokens.when(t.get("issuedAt")), _expiry(t.get("expiresAt")))
                for t in listed]  # fmt: skip
        table(("ID", "ISSUED AT", "EXPIRING AT"), rows)


def _expiry(value: Any) -> str:
    shown = tokens.when(value)
    return "never" if shown == "Never" else shown


@group.command("get-user-info")
def get_user_info(output: OutputOpt = "") -> None:
    """Show who the current session is."""
    with handled():
        fmt = check_format(output, (OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.YAML))
        found = _userinfo()
        if emit(found, fmt):
            return
        logged_in = bool(found.get("loggedIn"))
        print(f"Logged In: {str(logged_in).lower()}")
        if logged_in:
            print(f"Username: {found.get('username', '')}")
            print(f"Issuer: {found.get('iss', '')}")
            print(f"Groups: {','.join(found.get('groups') or [])}")


def _secret(label: str) -> str:
    if sys.stdin.isatty():
        return str(typer.prompt(label, hide_input=True))
    line = sys.stdin.readline()
    if not line:
        raise CommandExit(20, f"{label} is required (pass it as a flag)")
    return line.rstrip("\n")


@group.command("update-password")
def update_password(
    account: Annotated[str, typer.Option("--account", help="Account (default: yours).")] = "",
    current_password: Annotated[
        str, typer.Option("--current-password", help="Your password (else prompted).")
    ] = "",
    new_password: Annotated[
        str, typer.Option("--new-password", help="The new password (else prompted twice).")
    ] = "",
) -> None:
    """Change your password, or another account's (with the right to update it)."""
    with handled():
        me = _account("")
        current_password = current_password or _secret(
            f"*** Enter password of currently logged in user ({me})"
        )
        target = account or me
        if not new_password:
            new_password = _secret(f"*** Enter new password for user {target}")
            if _secret(f"*** Confirm new password for user {target}") != new_password:
                raise CommandExit(20, "the passwords do not match")
        current = session.current()
        current.client().request(
            "PUT", f"{ACCOUNTS}/password",
            body={"name": target, "currentPassword": current_password, "newPassword": new_password},
        )  # fmt: skip
        print("Password updated")
        if target == me and not current.flags.auth_token:
            _relogin(me, new_password)


def _relogin(username: str, password: str) -> None:
    """A new session token for the current context (the old one no longer verifies)."""
    current = session.current()
    config = current.config()
    found = config.context(current.flags.context)
    if found is None:
        return
    entry = config.server(found.server) or ServerEntry(found.server)
    with ApiClient(
        found.server,
        insecure=current.flags.insecure or entry.insecure,
        plaintext=current.flags.plaintext or entry.plain_text,
        transport=current.transport,
    ) as fresh:
        answer = fresh.request(
            "POST", "/api/v1/session", body={"username": username, "password": password}
        )
    config.upsert_login(found.name, entry, str(answer.get("token") or ""))
    config.save()
    print(f"Context '{found.name}' updated")


@group.command("generate-token")
def generate_token(
    account: AccountOpt = "",
    expires_in: Annotated[
        str, typer.Option("--expires-in", "-e", help="Duration (0s: never expires).")
    ] = "0s",
    token_id: Annotated[str, typer.Option("--id", help="Token id (default: a UUID).")] = "",
) -> None:
    """Generate an API token for an account and print it (shown once)."""
    with handled():
        name = _account(account)
        body: dict[str, Any] = {"name": name, "expiresIn": tokens.seconds(expires_in)}
        if token_id:
            body["id"] = token_id
        answer = session.current().client().request("POST", f"{ACCOUNTS}/{name}/token", body=body)
        print(answer.get("token", ""))


@group.command("delete-token")
def delete_token(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id.")],
    account: AccountOpt = "",
) -> None:
    """Delete an account's API token."""
    with handled():
        name = _account(account)
        session.current().client().request("DELETE", f"{ACCOUNTS}/{name}/token/{token_id}")


@group.command("can-i")
def can_i(
    action: Annotated[str, typer.Argument(help="get, create, update, delete, sync, …")],
    resource: Annotated[str, typer.Argument(help="applications, projects, clusters, …")],
    subresource: Annotated[str, typer.Argument(help="The object, e.g. 'my-proj/*'.")],
) -> None:
    """Whether the current user may do ACTION on RESOURCE SUBRESOURCE: yes or no."""
    with handled():
        path = f"{ACCOUNTS}/can-i/{quote(resource)}/{quote(action)}/{quote(subresource, '/*')}"
        print(session.current().client().get(path).get("value", "no"))


__all__ = ["group"]
