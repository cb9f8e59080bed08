"""``kapstan app diff``, as ``argocd app diff`` has it, plus the PR preview.

Contract: prints, for every resource whose live state differs from its target (or that a sync
would create or prune), ``===== GROUP/KIND NAMESPACE/NAME ======`` and a unified diff of the
normalized live state to the predicted live state as YAML (sorted keys; hooks left out).
Without ``--revision``/``--local`` the states come from ``managed-resources`` (the
controller's last comparison; ``--refresh``/``--hard-refresh`` ask for a new one first). With
``--revision REV`` the server renders the app's source at REV and compares it with the live
objects now (``server-side-diff``, nothing is synced), and a summary line per changed resource
(``GROUP/KIND NAMESPACE/NAME: modified|added|removed, N fields``) comes before the diffs;
``--local DIR`` sends DIR's YAML/JSON files as the target instead (plain manifests), or with
``--server-side-generate`` uploads DIR for the server to render with the app's source settings
(Helm, Kustomize: ``POST .../local-manifests``) and diffs that. The controller's drift
forensics for a resource (which field manager changed a drifted field, and when) come as
``# drifted: ...`` lines under its header. Exit 1 when there is a difference (0 with
``--exit-code=false``), 0 when none, 2 on any error.
"""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from kapstan.cli.argocd import session
from kapstan.cli.argocd.app import localdir
from kapstan.cli.argocd.app.drift import RefKey, drift_notes, ref_of
from kapstan.cli.argocd.errors import CommandExit, handled
from kapstan.cli.argocd.session import NotLoggedIn
from kapstan.client.config import ConfigFileError
from kapstan.client.http import ApiCallError, ApiClient

DIFF_FOUND = 1
DIFF_ERROR = 2


def _state(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, str):
        raw = json.loads(raw) if raw else None
    return raw if isinstance(raw, dict) else None


def states(item: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(live, target) of a ``ResourceDiff``: normalized/predicted when present."""
    live = _state(item.get("normalizedLiveState")) if "normalizedLiveState" in item else None
    target = _state(item.get("predictedLiveState")) if "predictedLiveState" in item else None
    if "normalizedLiveState" not in item:
        live = _state(item.get("liveState"))
    if "predictedLiveState" not in item:
        target = _state(item.get("targetState"))
    return live, target


def changed(items: Iterable[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], Any, Any]]:
    """The items a diff shows, with their (live, target)."""
    out = []
    for item in items:
        if item.get("hook"):
            continue
        live, target = states(item)
        if live is None and target is None:
            continue
        if item.get("modified") or live is None or target is None:
            out.append((item, live, target))
    return out


def _leaves(value: Any) -> int:
    if isinstance(value, Mapping):
        return sum(_leaves(v) for v in value.values()) or 1
    if isinstance(value, list):
        return sum(_leaves(v) for v in value) or 1
    return 1


def changed_fields(live: Any, target: Any) -> int:
    """How many leaf fields differ between two documents."""
    if isinstance(live, Mapping) and isinstance(target, Mapping):
        keys = set(live) | set(target)
        return sum(
            changed_fields(live[k], target[k]) if k in live and k in target
            else _leaves(live.get(k, target.get(k)))
            for k in keys
        )  # fmt: skip
    if isinstance(live, list) and isinstance(target, list) and len(live) == len(target):
        return sum(changed_fields(a, b) for a, b in zip(live, target, strict=True))
    if live == target:
        return 0
    return max(_leaves(live), _leaves(target))


def title(item: Mapping[str, Any]) -> str:
    """``GROUP/KIND NAMESPACE/NAME`` (argocd's spelling: ``/Service ns/name`` for the core
    group, ``.../ClusterRole /name`` for a cluster-scoped object)."""
    group, kind = item.get("group") or "", item.get("kind") or ""
    return f"{group}/{kind} {item.get('namespace') or ''}/{item.get('name') or ''}"


def summary_line(item: Mapping[str, Any], live: Any, target: Any) -> str:
    if live is None:
        what, count = "added", _leaves(target)
    elif target is None:
        what, count = "removed", _leaves(live)
    else:
        what, count = "modified", changed_fields(live, target)
    return f"{title(item)}: {what}, {count} field{'s' if count != 1 else ''}"


def _yaml(obj: Any) -> list[str]:
    if obj is None:
        return []
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False).splitlines(keepends=True)


def print_diffs(
    shown: list[tuple[Mapping[str, Any], Any, Any]],
    *,
    summary: bool,
    notes: Mapping[RefKey, list[str]] | None = None,
) -> None:
    if summary:
        for item, live, target in shown:
            sys.stdout.write(summary_line(item, live, target) + "\n")
        if shown:
            sys.stdout.write("\n")
    for item, live, target in shown:
        sys.stdout.write(f"===== {title(item)} ======\n")
        for line in (notes or {}).get(ref_of(item), []):
            sys.stdout.write(line + "\n")
        lines = difflib.unified_diff(_yaml(live), _yaml(target), "live", "target")
        sys.stdout.write("".join(lines))


def print_plain_diff(
    client: ApiClient,
    name: str,
    *,
    revision: str = "",
    revisions: Sequence[str] = (),
    positions: Sequence[int] = (),
) -> bool:
    """The diff of ``name`` (at ``revision``, or multi-source ``revisions`` of the sources at
    ``positions``, when given); whether there was one."""
    preview = bool(revision or revisions)
    if preview:
        answer = client.get(
            f"/api/v1/applications/{name}/server-side-diff",
            revision=revision,
            revisions=list(revisions),
            sourcePositions=list(positions),
        )
    else:
        answer = client.get(f"/api/v1/applications/{name}/managed-resources")
    shown = changed(answer.get("items") or [])
    notes = drift_notes(client.get(f"/api/v1/applications/{name}")) if shown else {}
    print_diffs(shown, summary=preview, notes=notes)
    return bool(shown)


def local_target(
    client: ApiClient, name: str, directory: Path, server_side: bool, position: int = 0
) -> list[str]:
    """The target manifests of ``--local DIR``: rendered by the server with the app's source
    settings (``--server-side-generate``; of the source at ``position``, 1-based, for a
    multi-source app), or DIR's plain files; a Helm or Kustomize DIR without
    ``--server-side-generate`` is refused (the client does not run helm/kustomize)."""
    localdir.checked(directory)
    if server_side:
        answer = client.upload(
            f"/api/v1/applications/{name}/local-manifests", localdir.pack(directory),
            "application/gzip", params={"sourcePosition": position or None},
        )  # fmt: skip
        return [str(m) for m in answer.get("manifests") or []]
    kind = localdir.kind_of(directory)
    if kind is not localdir.DirKind.DIRECTORY:
        raise CommandExit(
            DIFF_ERROR,
            f"--local {directory} is a {kind} directory: add --server-side-generate to render "
            "it with the app's settings on the server",
        )
    return localdir.manifests(directory)


def diff(
    name: Annotated[str, typer.Argument(help="Application.")],
    revision: Annotated[
        str, typer.Option("--revision", help="Compare the live state with this branch/tag/commit.")
    ] = "",
    revisions: Annotated[
        list[str] | None,
        typer.Option("--revisions", help="Multi-source: a revision per --source-positions."),
    ] = None,
    positions: Annotated[
        list[int] | None,
        typer.Option("--source-positions", help="Multi-source: 1-based source positions."),
    ] = None,
    local: Annotated[
        str, typer.Option("--local", help="Compare with the manifests of this directory.")
    ] = "",
    server_side_generate: Annotated[
        bool,
        typer.Option(
            "--server-side-generate",
            help="With --local: the server renders DIR (Helm, Kustomize) as the app.",
        ),
    ] = False,
    exit_code: Annotated[
        bool,
        typer.Option(
            "--exit-code/--no-exit-code",
            help="Exit 1 when there is a difference (--exit-code=false: 0).",
        ),
    ] = True,
    refresh: Annotated[bool, typer.Option("--refresh", help="Refresh first.")] = False,
    hard_refresh: Annotated[
        bool, typer.Option("--hard-refresh", help="Hard refresh first.")
    ] = False,
) -> None:
    """Show the difference between the live state and the target state of an application."""
    with handled():
        try:
            client = session.current().client()
            if refresh or hard_refresh:
                client.get(
                    f"/api/v1/applications/{name}", refresh="hard" if hard_refresh else "normal"
                )
            if local:
                first = (positions or [0])[0]
                target = local_target(client, name, Path(local), server_side_generate, first)
                answer = client.get(
                    f"/api/v1/applications/{name}/server-side-diff", targetManifests=target
                )
                shown = changed(answer.get("items") or [])
                notes = drift_notes(client.get(f"/api/v1/applications/{name}")) if shown else {}
                print_diffs(shown, summary=True, notes=notes)
                found = bool(shown)
            else:
                if len(revisions or []) != len(positions or []):
                    raise CommandExit(
                        DIFF_ERROR, "--revisions and --source-positions must be given in pairs"
                    )
                found = print_plain_diff(
                    client, name, revision=revision, revisions=revisions or [],
                    positions=positions or [],
                )  # fmt: skip
        except (ApiCallError, NotLoggedIn, ConfigFileError) as err:
            raise CommandExit(DIFF_ERROR, str(err)) from None
        if found and exit_code:
            raise CommandExit(DIFF_FOUND)


def register(group: typer.Typer) -> None:
    group.command()(diff)


__all__ = ["changed", "changed_fields", "print_plain_diff", "register", "states", "summary_line"]
