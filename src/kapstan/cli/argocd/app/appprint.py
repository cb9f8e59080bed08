"""How ``argocd`` prints an application: the summary block, the resource table, the resource
tree, the list row. Pure functions of the API's objects (plain dicts) that write to stdout.

Contract: :func:`summary` prints the ``Name:``… block of ``app get`` (``Sync Status: Synced
to <target> (<short sha>)``); :func:`conditions` the ``CONDITION MESSAGE LAST TRANSITION``
table when there are any; :func:`operation` the last operation's block; :func:`resources`
the ``GROUP KIND NAMESPACE NAME STATUS HEALTH HOOK MESSAGE`` table (status.resources with the
last sync's messages and hooks); :func:`tree` the resource tree from the app's resources
down through ``parentRefs`` (``├─``/``└─``), ``detailed`` adding AGE and REASON;
:func:`list_row` one ``app list`` row.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from kapstan.cli.argocd.output import table

SHORT_SHA = 7
KEY_WIDTH = 20  # argocd's "%-20s%s"
SHA = re.compile(r"^[0-9a-f]{7,40}$")
NONE = "<none>"
LIST_HEADERS = (
    "NAME", "CLUSTER", "NAMESPACE", "PROJECT", "STATUS", "HEALTH", "SYNCPOLICY", "CONDITIONS",
    "REPO", "PATH", "TARGET",
)  # fmt: skip
RESOURCE_HEADERS = ("GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE")

Obj = Mapping[str, Any]


def _d(obj: Any, *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, Mapping) else None
    return obj


def _s(obj: Any, *keys: str) -> str:
    found = _d(obj, *keys)
    return "" if found is None else str(found)


def qualified_name(app: Obj) -> str:
    """``<namespace>/<name>``, as ``argocd`` names apps."""
    namespace, name = _s(app, "metadata", "namespace"), _s(app, "metadata", "name")
    return f"{namespace}/{name}" if namespace else name


def sources(app: Obj) -> list[Obj]:
    spec = app.get("spec") or {}
    many = spec.get("sources")
    return list(many) if many else [spec.get("source") or {}]


def cluster(app: Obj) -> str:
    return _s(app, "spec", "destination", "server") or _s(app, "spec", "destination", "name")


def list_policy(app: Obj) -> str:
    automated = _d(app, "spec", "syncPolicy", "automated")
    if not isinstance(automated, Mapping) or automated.get("enabled") is False:
        return "Manual"
    return "Auto-Prune" if automated.get("prune") else "Auto"


def summary_policy(app: Obj) -> str:
    policy = list_policy(app)
    if policy == "Manual":
        return policy
    return "Automated (Prune)" if policy == "Auto-Prune" else "Automated"


def conditions_summary(app: Obj) -> str:
    counts = Counter(_s(c, "type") for c in _d(app, "status", "conditions") or [])
    if not counts:
        return NONE
    return ",".join(t if n == 1 else f"{t}({n})" for t, n in sorted(counts.items()))


def list_row(app: Obj) -> list[str]:
    first = sources(app)[0]
    return [
        qualified_name(app),
        cluster(app),
        _s(app, "spec", "destination", "namespace"),
        _s(app, "spec", "project"),
        _s(app, "status", "sync", "status"),
        _s(app, "status", "health", "status"),
        list_policy(app),
        conditions_summary(app),
        _s(first, "repoURL"),
        _s(first, "path") or _s(first, "chart"),
        _s(first, "targetRevision"),
    ]


def pairs(items: list[tuple[str, str]]) -> None:
    """``Key:`` padded to 20 then the value, as argocd prints its summaries."""
    for key, value in items:
        print(f"{key + ':':<{KEY_WIDTH}}{value}".rstrip())


def sync_status(app: Obj) -> str:
    """``Synced to HEAD (1a2b3c4)``, ``OutOfSync from main (…)``; no short SHA when the
    target is itself a commit."""
    status = _s(app, "status", "sync", "status")
    target = _s(sources(app)[0], "targetRevision")
    text = status
    if status == "Synced":
        text += f" to {target or 'HEAD'}"
    elif status == "OutOfSync":
        text += f" from {target or 'HEAD'}"
    revision = _s(app, "status", "sync", "revision")
    if not revision:
        revisions = _d(app, "status", "sync", "revisions") or []
        revision = str(revisions[0]) if revisions else ""
    if revision and not SHA.match(target):
        text += f" ({revision[:SHORT_SHA]})"
    return text


def sync_window(windows: Obj | None) -> tuple[str, str]:
    """(``SyncWindow`` status, ``Assigned Windows``) from ``/syncwindows``, as argocd: no
    window is ``Sync Allowed``; a denying (or only inactive allowing) window makes it
    ``Manual Allowed`` or ``Sync Denied``."""
    if windows is None:
        return "Unknown", ""
    assigned = [w for w in windows.get("assignedWindows") or [] if isinstance(w, Mapping)]
    if not assigned:
        return "Sync Allowed", ""
    active = [w for w in windows.get("activeWindows") or [] if isinstance(w, Mapping)]
    deny = any(_s(w, "kind") == "deny" for w in active)
    allow = any(_s(w, "kind") != "deny" for w in active)
    inactive_allows = any(_s(w, "kind") == "allow" and w not in active for w in assigned)
    status = "Sync Allowed"
    if deny or (not allow and inactive_allows):
        status = "Manual Allowed" if windows.get("canSync") else "Sync Denied"
    listed = ",".join(f"{_s(w, 'kind')}:{_s(w, 'schedule')}:{_s(w, 'duration')}" for w in assigned)
    return status, listed


def summary(app: Obj, url: str, windows: Obj | None) -> None:
    health = _s(app, "status", "health", "status")
    message = _s(app, "status", "health", "message")
    pairs(
        [
            ("Name", qualified_name(app)),
            ("Project", _s(app, "spec", "project")),
            ("Server", cluster(app)),
            ("Namespace", _s(app, "spec", "destination", "namespace")),
            ("URL", url),
        ]
    )
    print("Sources:" if len(sources(app)) > 1 else "Source:")
    for source in sources(app):
        pairs(_source_lines(source))
    status, assigned = sync_window(windows)
    lines = [("SyncWindow", status)]
    if assigned:
        lines.append(("Assigned Windows", assigned))
    lines += [
        ("Sync Policy", summary_policy(app)),
        ("Sync Status", sync_status(app)),
        ("Health Status", f"{health} ({message})" if message else health),
    ]
    pairs(lines)


def _source_lines(source: Obj) -> list[tuple[str, str]]:
    lines = [("- Repo", _s(source, "repoURL")), ("  Target", _s(source, "targetRevision"))]
    if _s(source, "path"):
        lines.append(("  Path", _s(source, "path")))
    if _s(source, "chart"):
        lines.append(("  Chart", _s(source, "chart")))
    if _s(source, "ref"):
        lines.append(("  Ref", _s(source, "ref")))
    if _d(source, "helm", "valueFiles"):
        lines.append(("  Helm Values", ",".join(_d(source, "helm", "valueFiles"))))
    if _s(source, "kustomize", "namePrefix"):
        lines.append(("  Name Prefix", _s(source, "kustomize", "namePrefix")))
    return lines


def conditions(app: Obj) -> None:
    found = _d(app, "status", "conditions") or []
    if not found:
        return
    print()
    rows = [(_s(c, "type"), _s(c, "message"), _s(c, "lastTransitionTime")) for c in found]
    table(("CONDITION", "MESSAGE", "LAST TRANSITION"), rows)


def operation(app: Obj) -> None:
    state = _d(app, "status", "operationState")
    if not isinstance(state, Mapping):
        return
    print()
    lines = [("Operation", "Sync")] if isinstance(state.get("syncResult"), Mapping) else []
    if _s(state, "syncResult", "revision"):
        lines.append(("Sync Revision", _s(state, "syncResult", "revision")))
    lines += [
        ("Phase", _s(state, "phase")),
        ("Start", _s(state, "startedAt")),
        ("Finished", _s(state, "finishedAt")),
        ("Duration", _duration(_s(state, "startedAt"), _s(state, "finishedAt"))),
    ]
    if _s(state, "message"):
        lines.append(("Message", _s(state, "message")))
    pairs(lines)


def params(app: Obj) -> None:
    """``--show-params``: the Helm parameters (``NAME VALUE``) of the first source."""
    found = _d(sources(app)[0], "helm", "parameters") or []
    if found:
        print()
        table(("NAME", "VALUE"), [(_s(p, "name"), _s(p, "value")) for p in found])


def _key(res: Obj) -> tuple[str, str, str, str]:
    return (_s(res, "group"), _s(res, "kind"), _s(res, "namespace"), _s(res, "name"))


def resources(app: Obj) -> None:
    rows: dict[tuple[str, str, str, str], list[str]] = {}
    for res in _d(app, "status", "resources") or []:
        rows[_key(res)] = [
            *_key(res), _s(res, "status"), _s(res, "health", "status"), "", "",
        ]  # fmt: skip
    hooks: list[list[str]] = []
    for res in _d(app, "status", "operationState", "syncResult", "resources") or []:
        if _s(res, "hookType"):
            hooks.append([*_key(res), _s(res, "hookPhase"), "", _s(res, "hookType"),
                          _s(res, "message")])  # fmt: skip
        elif _key(res) in rows:
            rows[_key(res)][7] = _s(res, "message")
    if rows or hooks:
        print()
        table(RESOURCE_HEADERS, [*rows.values(), *hooks])


def _age(created: str, now: datetime) -> str:
    if not created:
        return ""
    try:
        then = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return ""
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _duration(start: str, end: str) -> str:
    """Go's ``time.Duration`` text of whole seconds (``1m5s``); to now while running."""
    try:
        a = datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.fromisoformat(end.replace("Z", "+00:00")) if end else datetime.now(UTC)
    except ValueError:
        return ""
    seconds = max(0, int((b - a).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def _walk(nodes: list[Obj], parent: Obj | None, prefix: str) -> Iterator[tuple[str, Obj]]:
    if parent is None:
        children = [n for n in nodes if not n.get("parentRefs")]
    else:
        uid = _s(parent, "uid")
        children = [
            n for n in nodes
            if any((uid and _s(r, "uid") == uid) or _key(r) == _key(parent)
                   for r in n.get("parentRefs") or [])
        ]  # fmt: skip
    children.sort(key=_key)
    for i, child in enumerate(children):
        last = i == len(children) - 1
        mark = "" if parent is None else ("└─" if last else "├─")
        yield prefix + mark, child
        below = prefix + ("" if parent is None else ("  " if last else "│ "))
        yield from _walk(nodes, child, below)


def tree(app: Obj, tree_body: Obj, *, detailed: bool = False, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    status = {_key(r): _s(r, "status") for r in _d(app, "status", "resources") or []}
    nodes = [n for n in tree_body.get("nodes") or [] if isinstance(n, Mapping)]
    rows = []
    for lead, node in _walk(nodes, None, ""):
        row = [
            f"{lead}{_s(node, 'kind')}/{_s(node, 'name')}",
            status.get(_key(node), ""),
            _s(node, "health", "status"),
        ]
        if detailed:
            row += [_age(_s(node, "createdAt"), now), "", _s(node, "health", "message")]
        else:
            row.append(_s(node, "health", "message"))
        rows.append(row)
    headers = ["KIND/NAME", "STATUS", "HEALTH"]
    headers += ["AGE", "MESSAGE", "REASON"] if detailed else ["MESSAGE"]
    print()
    table(headers, rows)


__all__ = [
    "LIST_HEADERS",
    "conditions",
    "list_row",
    "operation",
    "pairs",
    "params",
    "qualified_name",
    "resources",
    "summary",
    "sync_status",
    "sync_window",
    "tree",
]
