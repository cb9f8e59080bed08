"""``kapstan app sync`` and ``kapstan app rollback``, as ``argocd`` has them.

Contract: ``sync NAME... | -l SELECTOR | --project P`` posts Argo CD's ``ApplicationSyncRequest``
to ``/api/v1/applications/{name}/sync`` for each app in turn (``--strategy``/``--force`` →
``strategy``, ``--replace``/``--server-side``/``--apply-out-of-sync-only`` → ``syncOptions``,
``--retry-*`` → ``retryStrategy`` when ``--retry-limit`` is not 0, ``--info k=v`` → ``infos``);
``--resource [!]GROUP:KIND:[NAMESPACE/]NAME`` (``*`` wildcards) and ``--label k=v`` pick the
app's resources client-side, as argocd does, and send them as ``resources``. With
``--preview-changes`` the diff is shown first and the sync needs a ``y`` (asked on a terminal,
else read from standard input; ``--assumeYes`` skips the question). Unless ``--async`` it
then follows the operation (:mod:`~kapstan.cli.argocd.app.progress`) and prints the final
view; a failed operation exits 20 with its message, a timeout with argocd's message.

``rollback NAME [ID]`` posts ``{id, prune}`` to ``.../rollback`` (ID default: the entry before
the last of ``status.history``) and follows the operation the same way.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer

from kapstan.cli.argocd import session
from kapstan.cli.argocd.app import appdiff
from kapstan.cli.argocd.app.progress import Reporter, Until, follow, operation_failure
from kapstan.cli.argocd.app.summary import finish
from kapstan.cli.argocd.errors import GENERIC, CommandExit, handled
from kapstan.cli.argocd.output import OutputFormat, check_format
from kapstan.client.http import ApiClient

FORMATS = (
    OutputFormat.TEXT,
    OutputFormat.JSON,
    OutputFormat.YAML,
    OutputFormat.WIDE,
    OutputFormat.TREE,
    OutputFormat.TREE_DETAILED,
)
OutputOpt = Annotated[
    str, typer.Option("--output", "-o", help="json|yaml|wide|tree|tree=detailed.")
]
TimeoutOpt = Annotated[
    int, typer.Option("--timeout", help="Seconds to wait for the operation (0: no limit).")
]
Resource = dict[str, str]


def parse_resource(spec: str) -> tuple[bool, str, str, str, str]:
    """``[!]GROUP:KIND:[NAMESPACE/]NAME`` → (excluded, group, kind, namespace, name)."""
    excluded = spec.startswith("!")
    parts = spec.lstrip("!").split(":")
    if len(parts) != 3:
        raise CommandExit(
            GENERIC, f"{spec!r}: a resource is GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME"
        )
    group, kind, rest = parts
    namespace, _, name = rest.rpartition("/")
    return excluded, group, kind, namespace, name


def _matches(pattern: tuple[bool, str, str, str, str], res: Mapping[str, Any]) -> bool:
    _, group, kind, namespace, name = pattern
    fields = ((group, "group"), (kind, "kind"), (name, "name"))
    if any(not fnmatch.fnmatchcase(str(res.get(k) or ""), p or "") for p, k in fields):
        return False
    return not namespace or fnmatch.fnmatchcase(str(res.get("namespace") or ""), namespace)


def select_resources(
    app: Mapping[str, Any], specs: Sequence[str], labelled: Sequence[Resource] | None
) -> list[Resource] | None:
    """The ``resources`` of a selective sync (``None``: the whole app)."""
    if not specs and labelled is None:
        return None
    found = list((app.get("status") or {}).get("resources") or [])
    patterns = [parse_resource(s) for s in specs]
    includes = [p for p in patterns if not p[0]]
    excludes = [p for p in patterns if p[0]]
    picked: list[Resource] = []
    for res in found:
        if includes and not any(_matches(p, res) for p in includes):
            continue
        if any(_matches(p, res) for p in excludes):
            continue
        ref = {k: str(res.get(k) or "") for k in ("group", "kind", "namespace", "name")}
        if labelled is not None and ref not in labelled:
            continue
        picked.append(ref)
    if not picked:
        raise CommandExit(GENERIC, "no resources of the app match the given --resource/--label")
    return picked


def _by_label(client: ApiClient, name: str, labels: Sequence[str]) -> list[Resource]:
    wanted = dict(_pair(item, "--label") for item in labels)
    out: list[Resource] = []
    for item in client.get(f"/api/v1/applications/{name}/managed-resources").get("items") or []:
        state = item.get("liveState") or item.get("targetState") or "null"
        obj = json.loads(state) if isinstance(state, str) else state
        have = ((obj or {}).get("metadata") or {}).get("labels") or {}
        if all(have.get(k) == v for k, v in wanted.items()):
            out.append({k: str(item.get(k) or "") for k in ("group", "kind", "namespace", "name")})
    return out


def _pair(item: str, flag: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise CommandExit(GENERIC, f"{flag} {item!r}: expected key=value")
    return key, value


def app_names(client: ApiClient, names: Sequence[str], selector: str, project: str) -> list[str]:
    """The apps a command names, or those ``-l``/``--project`` select."""
    if names:
        if selector:
            raise CommandExit(GENERIC, "pass application names or -l SELECTOR, not both")
        return list(names)
    if not selector and not project:
        raise CommandExit(GENERIC, "name at least one application (or pass -l SELECTOR)")
    found = client.get("/api/v1/applications", selector=selector, projects=project)
    picked = [str((a.get("metadata") or {}).get("name")) for a in found.get("items") or []]
    if not picked:
        raise CommandExit(GENERIC, "no apps match the selector")
    return picked


def _confirm(question: str, assume_yes: bool) -> bool:
    """``y`` to go on (a terminal is asked; otherwise one line of standard input is read, as
    argocd reads it; none is a no)."""
    if assume_yes:
        return True
    if sys.stdin.isatty():
        return bool(typer.confirm(question, default=False))
    sys.stdout.write(f"{question} [y/N]: ")
    answer = sys.stdin.readline().strip().lower()
    sys.stdout.write("\n")
    return answer in ("y", "yes")


def _await(
    client: ApiClient, app: Mapping[str, Any], timeout: int, fmt: OutputFormat, project: str
) -> None:
    name = str((app.get("metadata") or {}).get("name"))
    stale = str(((app.get("status") or {}).get("operationState") or {}).get("startedAt") or "")
    until = Until(operation=True, stale_start=stale, require_new=True)
    quiet = fmt in (OutputFormat.JSON, OutputFormat.YAML)
    with Reporter(name, quiet=quiet) as reporter:
        done = follow(client, name, until, timeout=timeout, reporter=reporter, project=project)
    assert done is not None
    if not quiet:
        sys.stdout.write("\n")
    finish(done, fmt, operation=True, server_url=client.base_url, client=client)
    failure = operation_failure(done)
    if failure is not None:
        raise failure


def sync(
    names: Annotated[list[str] | None, typer.Argument(help="Applications.")] = None,
    selector: Annotated[str, typer.Option("--selector", "-l", help="Apps by label.")] = "",
    project: Annotated[str, typer.Option("--project", help="Apps of this project.")] = "",
    revision: Annotated[str, typer.Option("--revision", help="Sync to this revision.")] = "",
    prune: Annotated[bool, typer.Option("--prune", help="Delete resources not in Git.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Preview, change nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Delete and re-create.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="kubectl replace/create.")] = False,
    server_side: Annotated[bool, typer.Option("--server-side", help="Server-side apply.")] = False,
    out_of_sync_only: Annotated[
        bool, typer.Option("--apply-out-of-sync-only", help="Apply only OutOfSync resources.")
    ] = False,
    strategy: Annotated[str, typer.Option("--strategy", help="apply|hook.")] = "",
    resources: Annotated[
        list[str] | None,
        typer.Option("--resource", help="[!]GROUP:KIND:[NAMESPACE/]NAME (repeat; * wildcards)."),
    ] = None,
    labels: Annotated[
        list[str] | None, typer.Option("--label", help="Only resources with label k=v (repeat).")
    ] = None,
    infos: Annotated[
        list[str] | None, typer.Option("--info", help="Operation info k=v (repeat).")
    ] = None,
    async_: Annotated[bool, typer.Option("--async", help="Do not wait for the sync.")] = False,
    timeout: TimeoutOpt = 0,
    retry_limit: Annotated[int, typer.Option("--retry-limit", help="Max retries.")] = 0,
    retry_duration: Annotated[
        str, typer.Option("--retry-backoff-duration", help="First backoff.")
    ] = "5s",
    retry_max: Annotated[
        str, typer.Option("--retry-backoff-max-duration", help="Max backoff.")
    ] = "3m0s",
    retry_factor: Annotated[
        int, typer.Option("--retry-backoff-factor", help="Backoff factor.")
    ] = 2,
    preview: Annotated[
        bool, typer.Option("--preview-changes", help="Show the diff and ask first.")
    ] = False,
    assume_yes: Annotated[
        bool, typer.Option("--assumeYes", help="Answer yes to questions.")
    ] = False,
    output: OutputOpt = "",
    local: Annotated[
        str, typer.Option("--local", help="Not supported: the controller syncs from Git only.")
    ] = "",
) -> None:
    """Sync applications to their target state, then follow the operation to its end."""
    with handled():
        fmt = check_format(output, FORMATS)
        if local:
            # The API would accept argocd's `manifests`, but kapstan controller renders the
            # app's source itself and never reads operation.sync.manifests: refuse here
            # rather than sync Git's state while the user believes DIR was synced.
            raise CommandExit(
                GENERIC,
                "--local is not supported: kapstan controller syncs from Git only; "
                "use `kapstan app diff NAME --local DIR --server-side-generate` to preview DIR",
            )
        if strategy not in ("", "apply", "hook"):
            raise CommandExit(GENERIC, f"--strategy {strategy!r}: use apply or hook")
        client = session.current().client()
        flags = (
            ("Replace=true", replace),
            ("ServerSideApply=true", server_side),
            ("ApplyOutOfSyncOnly=true", out_of_sync_only),
        )
        options = [option for option, on in flags if on]
        for name in app_names(client, names or [], selector, project):
            app = client.get(f"/api/v1/applications/{name}", project=project)
            labelled = _by_label(client, name, labels) if labels else None
            body: dict[str, Any] = {
                "name": name,
                "revision": revision,
                "prune": prune,
                "dryRun": dry_run,
                "strategy": {strategy or "hook": {"force": force}},
                "project": project,
            }
            picked = select_resources(app, resources or [], labelled)
            if picked is not None:
                body["resources"] = picked
            if options:
                body["syncOptions"] = {"items": options}
            if retry_limit:
                backoff = {"duration": retry_duration, "maxDuration": retry_max,
                           "factor": retry_factor}  # fmt: skip
                body["retryStrategy"] = {"limit": retry_limit, "backoff": backoff}
            if infos:
                body["infos"] = [{"name": k, "value": v} for k, v in map(
                    lambda i: _pair(i, "--info"), infos)]  # fmt: skip
            if preview:
                changed = appdiff.print_plain_diff(client, name, revision=revision)
                if not changed:
                    print(f"Application '{name}' has no changes")
                if not _confirm(f"Sync application '{name}'?", assume_yes):
                    print(f"Sync of '{name}' cancelled")
                    continue
            started = client.request(
                "POST", f"/api/v1/applications/{name}/sync",
                body={k: v for k, v in body.items() if v not in ("", False)},
            )  # fmt: skip
            if async_:
                if fmt in (OutputFormat.JSON, OutputFormat.YAML):
                    finish(started, fmt, operation=False)
                continue
            _await(client, {**started, "status": app.get("status") or {}}, timeout, fmt, project)


def previous_history_id(app: Mapping[str, Any]) -> int:
    """argocd's default rollback target: the entry before the last."""
    history = list((app.get("status") or {}).get("history") or [])
    if len(history) < 2:
        name = (app.get("metadata") or {}).get("name")
        raise CommandExit(
            GENERIC, f"Application '{name}' should have at least two successful deployments"
        )
    return int(history[-2].get("id", 0))


def rollback(
    name: Annotated[str, typer.Argument(help="Application.")],
    history_id: Annotated[
        int | None, typer.Argument(metavar="[ID]", help="History ID (default: the previous).")
    ] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Delete resources not in it.")] = False,
    timeout: TimeoutOpt = 0,
    output: OutputOpt = "",
) -> None:
    """Roll an application back to a deployed version of its history, and wait."""
    with handled():
        fmt = check_format(output, FORMATS)
        client = session.current().client()
        app = client.get(f"/api/v1/applications/{name}")
        target = history_id if history_id is not None else previous_history_id(app)
        started = client.request(
            "POST", f"/api/v1/applications/{name}/rollback",
            body={"name": name, "id": target, "prune": prune},
        )  # fmt: skip
        _await(client, {**started, "status": app.get("status") or {}}, timeout, fmt, "")


def register(group: typer.Typer) -> None:
    group.command()(sync)
    group.command()(rollback)


__all__ = ["app_names", "parse_resource", "previous_history_id", "register", "select_resources"]
