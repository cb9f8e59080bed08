"""``kapstan login|logout|relogin|context|version``, as ``argocd`` has them.

Contract: ``login SERVER --sso`` signs in through the server's OIDC provider in a browser
(:mod:`kapstan.client.sso`; the URL is printed, and opened unless ``--no-sso-launch-browser``)
and records the ID token and refresh token. ``login SERVER`` posts the credentials
(``--username``/``--password``, prompted when absent; the password is never echoed) to
``/api/v1/session`` and records the token in the local
config under ``--name`` (default: the server address), making it the current context; the
server entry keeps ``--insecure``/``--plaintext``. ``logout [CONTEXT]`` revokes the session on
the server (best effort) and forgets the token. ``relogin`` logs in again to the current
context's server with a prompted password. ``context [NAME]`` lists contexts (``*`` marks the
current one) or switches to NAME. ``version`` prints the client's version and, unless
``--client``, the server's (``/api/version``); ``-o json|yaml``.
"""

from __future__ import annotations

import sys
import webbrowser
from typing import Annotated

import httpx2
import typer

from kapstan import __version__
from kapstan.cli.argocd import session
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.output import OutputFormat, check_format, emit, table
from kapstan.client import sso
from kapstan.client.config import ServerEntry
from kapstan.client.http import ApiCallError, ApiClient

OutputOpt = Annotated[str, typer.Option("--output", "-o", help="json|yaml, or a table.")]


def _prompt(label: str, *, secret: bool) -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise CommandExit(2, f"{label} is required (pass --{label.lower()})")
        return line.rstrip("\n")
    return str(typer.prompt(label, hide_input=secret))


def login(
    server: Annotated[str, typer.Argument(help="host:port of kapstan server (or a URL).")],
    username: Annotated[str, typer.Option("--username", help="Local account.")] = "",
    password: Annotated[str, typer.Option("--password", help="Its password (else prompted).")] = "",
    name: Annotated[str, typer.Option("--name", help="Context name (default: SERVER).")] = "",
    sso: Annotated[
        bool, typer.Option("--sso", help="Log in through the server's OIDC provider.")
    ] = False,
    sso_port: Annotated[
        int, typer.Option("--sso-port", help="Local port of the SSO callback (127.0.0.1).")
    ] = 8085,
    sso_launch_browser: Annotated[
        bool,
        typer.Option(
            "--sso-launch-browser/--no-sso-launch-browser",
            help="Open the sign-in page in the default browser (else only print its URL).",
        ),
    ] = True,
    skip_test_tls: Annotated[bool, typer.Option("--skip-test-tls", hidden=True)] = False,
) -> None:
    """Log in to a Kapstan (or Argo CD) API server and save the session in the local config."""
    del skip_test_tls
    with handled():
        current = session.current()
        flags = current.flags
        if sso:
            _sso_login(server, name, sso_port, launch=sso_launch_browser)
            return
        username = username or _prompt("Username", secret=False)
        password = password or _prompt("Password", secret=True)
        with ApiClient(
            server,
            insecure=flags.insecure,
            plaintext=flags.plaintext,
            headers=flags.header_map(),
            transport=current.transport,
        ) as client:
            answer = client.request(
                "POST", "/api/v1/session", body={"username": username, "password": password}
            )
        token = str(answer.get("token") or "")
        if not token:
            raise CommandExit(20, "the server answered without a token")
        context = name or server
        config = current.config()
        config.upsert_login(context, ServerEntry(server, flags.insecure, flags.plaintext), token)
        config.save()
        print(f"'{username}' logged in successfully")
        print(f"Context '{context}' updated")


def _sso_login(server: str, name: str, port: int, *, launch: bool) -> None:
    current = session.current()
    flags = current.flags
    with ApiClient(
        server,
        insecure=flags.insecure,
        plaintext=flags.plaintext,
        headers=flags.header_map(),
        transport=current.transport,
    ) as client:
        oidc = sso.login_settings(client.get("/api/v1/settings"))
    if oidc is None:
        raise CommandExit(
            20, f"{server} has no SSO configured (argocd-cm oidc.config or dex.config)"
        )

    def show(url: str) -> None:
        print(f"To sign in, open this URL in a browser:\n{url}", flush=True)
        if launch:
            webbrowser.open(url)

    try:
        with httpx2.Client(timeout=sso.TIMEOUT) as http:
            provider = sso.provider_of(oidc, http)
            tokens = sso.browser_login(http, provider, port=port, show=show)
    except sso.SsoError as err:
        raise CommandExit(20, str(err)) from None
    context = name or server
    config = current.config()
    entry = ServerEntry(server, flags.insecure, flags.plaintext)
    config.upsert_login(context, entry, tokens.id_token, tokens.refresh_token)
    config.save()
    claims = sso.claims_of(tokens.id_token)
    print(f"'{claims.get('email') or claims.get('sub')}' logged in successfully")
    print(f"Context '{context}' updated")


def logout(
    context: Annotated[str, typer.Argument(help="Context (default: the current one).")] = "",
) -> None:
    """Log out: revoke the session on the server and forget its token."""
    with handled():
        current = session.current()
        config = current.config()
        name = context or config.current_context
        found = config.context(name)
        if found is None:
            raise CommandExit(20, f"no context {name!r} in {config.path}")
        user = config.user(found.user)
        if user is not None and user.auth_token:
            entry = config.server(found.server)
            try:
                with ApiClient(
                    found.server,
                    token=user.auth_token,
                    insecure=bool(entry and entry.insecure),
                    plaintext=bool(entry and entry.plain_text),
                    transport=current.transport,
                ) as client:
                    client.request("DELETE", "/api/v1/session")
            except ApiCallError:
                pass  # the token is forgotten either way
        config.remove_token(name)
        config.save()
        print(f"Logged out from '{name}'")


def relogin(
    password: Annotated[str, typer.Option("--password", help="The password (else prompted).")] = "",
) -> None:
    """Log in again to the current context's server."""
    with handled():
        current = session.current()
        config = current.config()
        found = config.context(current.flags.context)
        if found is None:
            raise CommandExit(20, "no current context: run kapstan login SERVER")
        entry = config.server(found.server)
        username = found.user if found.user != found.name else ""
        username = username or _prompt("Username", secret=False)
        password = password or _prompt("Password", secret=True)
        with ApiClient(
            found.server,
            insecure=bool(entry and entry.insecure),
            plaintext=bool(entry and entry.plain_text),
            transport=current.transport,
        ) as client:
            answer = client.request(
                "POST", "/api/v1/session", body={"username": username, "password": password}
            )
        config.upsert_login(
            found.name,
            entry or ServerEntry(found.server),
            str(answer.get("token") or ""),
        )
        config.save()
        print(f"Context '{found.name}' updated")


def context(
    name: Annotated[str, typer.Argument(help="Switch to this context.")] = "",
    delete: Annotated[bool, typer.Option("--delete", help="Delete context NAME.")] = False,
) -> None:
    """List the contexts of the local config, or switch to (or delete) one."""
    with handled():
        config = session.current().config()
        if not name:
            rows = [
                ("*" if c.name == config.current_context else "", c.name, c.server)
                for c in config.contexts
            ]
            table(("CURRENT", "NAME", "SERVER"), rows)
            return
        if config.context(name) is None:
            raise CommandExit(20, f"no context {name!r} in {config.path}")
        if delete:
            config.contexts = [c for c in config.contexts if c.name != name]
            config.users = [u for u in config.users if u.name != name]
            if config.current_context == name:
                config.current_context = ""
            config.save()
            print(f"Context '{name}' deleted")
            return
        config.current_context = name
        config.save()
        print(f"Switched to context '{name}'")


def version(
    client_only: Annotated[
        bool, typer.Option("--client", help="Only the client's version.")
    ] = False,
    output: OutputOpt = "",
) -> None:
    """Print the client's version and the server's."""
    with handled():
        fmt = check_format(output, (OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.YAML))
        data: dict[str, object] = {"client": {"Version": __version__}}
        if not client_only:
            data["server"] = session.current().client().get("/api/version")
        if emit(data, fmt):
            return
        print(f"kapstan: {__version__}")
        server = data.get("server")
        if isinstance(server, dict):
            print(f"{session.current().server()}: {server.get('Version', '')}")


def register(app: typer.Typer) -> None:
    for command in (login, logout, relogin, context, version):
        app.command()(command)


__all__ = ["register"]
