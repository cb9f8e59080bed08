"""``kapstan proj role create|delete|list|get|add-policy|remove-policy|add-group|remove-group|
create-token|delete-token|list-tokens``, as ``argocd proj role`` has them.

Contract: roles are edited in the project's ``spec.roles`` (fetch, change, ``PUT``). A policy
is argocd's line ``p, proj:PROJECT:ROLE, RESOURCE, ACTION, PROJECT/OBJECT, PERMISSION``
(``-R`` defaults to ``applications``, ``-p`` to ``allow``). ``create-token`` posts to
``/api/v1/projects/P/roles/R/token`` (``-e`` a duration, ``-i`` the token id) and prints the
token with its id and times, or only the token with ``-t``; the token is printed because the
user asked for it and it is shown once. ``delete-token`` takes the token's issued-at.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kapstan.cli.argocd import tokens
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.login import OutputOpt
from kapstan.cli.argocd.output import OutputFormat, block, check_format, emit, table
from kapstan.cli.argocd.projcommon import PROJECTS, client, fetch, modify

roles = typer.Typer(no_args_is_help=True, help="Manage a project's roles.")
ProjectArg = Annotated[str, typer.Argument(help="Project.")]
RoleArg = Annotated[str, typer.Argument(help="Role.")]


def _role(spec: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] | None = next(
        (r for r in spec.get("roles") or [] if r.get("name") == name), None
    )
    if found is None:
        raise CommandExit(20, f"role '{name}' does not exist in project")
    return found


def policy_line(project: str, role: str, resource: str, action: str, obj: str, perm: str) -> str:
    return f"p, proj:{project}:{role}, {resource}, {action}, {project}/{obj}, {perm}"


@roles.command()
def create(
    project: ProjectArg,
    role: RoleArg,
    description: Annotated[str, typer.Option("--description", help="Description.")] = "",
) -> None:
    """Create a role."""
    with handled():

        def edit(spec: dict[str, Any]) -> bool:
            listed = spec.setdefault("roles", [])
            if any(r.get("name") == role for r in listed):
                print(f"Role '{role}' already exists")
                return False
            listed.append({"name": role, **({"description": description} if description else {})})
            print(f"Role '{role}' created")
            return True

        modify(project, edit)


@roles.command()
def delete(project: ProjectArg, role: RoleArg) -> None:
    """Delete a role."""
    with handled():

        def edit(spec: dict[str, Any]) -> bool:
            listed = spec.get("roles") or []
            if not any(r.get("name") == role for r in listed):
                print(f"Role '{role}' does not exist in project")
                return False
            spec["roles"] = [r for r in listed if r.get("name") != role]
            print(f"Role '{role}' deleted")
            return True

        modify(project, edit)


@roles.command("list")
def list_(project: ProjectArg, output: OutputOpt = "") -> None:
    """List a project's roles."""
    with handled():
        fmt = check_format(
            output, (OutputFormat.TEXT, OutputFormat.NAME, OutputFormat.JSON, OutputFormat.YAML)
        )
        listed = (fetch(project).get("spec") or {}).get("roles") or []
        if emit(listed, fmt):
            return
        if fmt is OutputFormat.NAME:
            for r in listed:
                print(r.get("name", ""))
            return
        table(("ROLE-NAME", "DESCRIPTION"), [(r.get("name"), r.get("description")) for r in listed])


@roles.command()
def get(project: ProjectArg, role: RoleArg, output: OutputOpt = "") -> None:
    """Show a role: its policies, groups and tokens."""
    with handled():
        fmt = check_format(output, (OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.YAML))
        found = _role(fetch(project).get("spec") or {}, role)
        if emit(found, fmt):
            return
        block([("Role Name", role), ("Description", found.get("description", ""))])
        print("Policies:")
        for line in found.get("policies") or []:
            print(line)
        print("Groups:")
        for grp in found.get("groups") or []:
            print(grp)
        print("JWT Tokens:")
        _tokens(found, unix=False)


def _tokens(found: dict[str, Any], *, unix: bool) -> None:
    def shown(value: Any) -> str:
        return str(value or 0) if unix else tokens.when(value)

    rows = [
        (t.get("id", ""), shown(t.get("iat")), shown(t.get("exp")))
        for t in found.get("jwtTokens") or []
    ]
    table(("ID", "ISSUED-AT", "EXPIRES-AT"), rows)


ActionOpt = Annotated[str, typer.Option("--action", "-a", help="Action (get, sync, *…).")]
ObjectOpt = Annotated[str, typer.Option("--object", "-o", help="Object within the project.")]
PermOpt = Annotated[str, typer.Option("--permission", "-p", help="allow or deny.")]
ResourceOpt = Annotated[str, typer.Option("--resource", "-R", help="Resource.")]


def _policy(project: str, role: str, *, add: bool, line: str) -> None:
    def edit(spec: dict[str, Any]) -> bool:
        found = _role(spec, role)
        policies = found.get("policies") or []
        if add:
            if line in policies:
                return False
            found["policies"] = [*policies, line]
            return True
        if line not in policies:
            raise CommandExit(20, f"policy {line!r} does not exist in role '{role}'")
        found["policies"] = [p for p in policies if p != line]
        return True

    modify(project, edit)


@roles.command("add-policy")
def add_policy(
    project: ProjectArg,
    role: RoleArg,
    action: ActionOpt = "",
    obj: ObjectOpt = "",
    permission: PermOpt = "allow",
    resource: ResourceOpt = "applications",
) -> None:
    """Add a policy to a role."""
    with handled():
        line = policy_line(project, role, resource, action, obj, permission)
        _policy(project, role, add=True, line=line)


@roles.command("remove-policy")
def remove_policy(
    project: ProjectArg,
    role: RoleArg,
    action: ActionOpt = "",
    obj: ObjectOpt = "",
    permission: PermOpt = "allow",
    resource: ResourceOpt = "applications",
) -> None:
    """Remove a policy from a role."""
    with handled():
        line = policy_line(project, role, resource, action, obj, permission)
        _policy(project, role, add=False, line=line)


def _groups(project: str, role: str, claim: str, *, add: bool) -> None:
    def edit(spec: dict[str, Any]) -> bool:
        found = _role(spec, role)
        groups = found.get("groups") or []
        if add == (claim in groups):
            state = "already in" if add else "not in"
            print(f"Group '{claim}' {state} role '{role}'")
            return False
        found["groups"] = [*groups, claim] if add else [g for g in groups if g != claim]
        verb = "added to" if add else "removed from"
        print(f"Group '{claim}' {verb} role '{role}'")
        return True

    modify(project, edit)


GroupArg = Annotated[str, typer.Argument(help="OIDC group claim.")]


@roles.command("add-group")
def add_group(project: ProjectArg, role: RoleArg, claim: GroupArg) -> None:
    """Bind an OIDC group to a role."""
    with handled():
        _groups(project, role, claim, add=True)


@roles.command("remove-group")
def remove_group(project: ProjectArg, role: RoleArg, claim: GroupArg) -> None:
    """Unbind an OIDC group from a role."""
    with handled():
        _groups(project, role, claim, add=False)


@roles.command("create-token")
def create_token(
    project: ProjectArg,
    role: RoleArg,
    expires_in: Annotated[
        str, typer.Option("--expires-in", "-e", help="Duration (0s: never expires).")
    ] = "0s",
    token_id: Annotated[str, typer.Option("--id", "-i", help="Token id (default: a UUID).")] = "",
    token_only: Annotated[
        bool, typer.Option("--token-only", "-t", help="Print only the token.")
    ] = False,
) -> None:
    """Create a JWT for a role and print it (shown once)."""
    with handled():
        body = {"project": project, "role": role, "expiresIn": tokens.seconds(expires_in)}
        if token_id:
            body["id"] = token_id
        answer = client().request("POST", f"{PROJECTS}/{project}/roles/{role}/token", body=body)
        token = str(answer.get("token") or "")
        if token_only:
            print(token)
            return
        found = tokens.claims(token)
        print(f"Create token succeeded for proj:{project}:{role}.")
        print(f"  ID: {found.get('jti', token_id)}")
        print(f"  Issued At: {tokens.when(found.get('iat'))}")
        print(f"  Expires At: {tokens.when(found.get('exp'))}")
        print(f"  Token: {token}")


@roles.command("delete-token")
def delete_token(
    project: ProjectArg,
    role: RoleArg,
    issued_at: Annotated[str, typer.Argument(help="The token's issued-at (Unix seconds).")],
) -> None:
    """Delete a role's token."""
    with handled():
        client().request("DELETE", f"{PROJECTS}/{project}/roles/{role}/token/{issued_at}")


@roles.command("list-tokens")
def list_tokens(
    project: ProjectArg,
    role: RoleArg,
    unixtime: Annotated[bool, typer.Option("--unixtime", "-u", help="Times as Unix.")] = False,
) -> None:
    """List a role's tokens."""
    with handled():
        _tokens(_role(fetch(project).get("spec") or {}, role), unix=unixtime)


def register(group: typer.Typer) -> None:
    group.add_typer(roles, name="role")


__all__ = ["policy_line", "register"]
