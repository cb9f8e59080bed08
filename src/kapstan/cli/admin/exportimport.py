"""``kapstan admin export`` and ``kapstan admin import``: back up and restore Argo CD data.

Contract of ``export``: writes, as YAML documents each followed by ``---``, the settings
ConfigMaps (:data:`~kapstan.cli.admin.backup.SETTINGS_CONFIGMAPS`; a missing one is skipped,
where ``argocd`` fails), the Argo CD Secrets, AppProjects, Applications and ApplicationSets
of ``--namespace``, stripped as :func:`~kapstan.cli.admin.backup.exported` says, to
``--out FILE`` (``-``, the default: standard output).

Contract of ``import SOURCE`` (a file, ``-`` for standard input): each document is created
when absent, updated when it differs (:func:`~kapstan.cli.admin.backup.unchanged`), one line
each as ``argocd`` prints them (``<group>/<kind> <name> in namespace <ns> created|updated``,
`` (dry run)`` appended with ``--dry-run``, which writes nothing); live Secrets, AppProjects,
Applications and ApplicationSets absent from the source are listed as ``needs pruning``, or
deleted with ``--prune`` (an Application's finalizers are removed first). Settings ConfigMaps
are never pruned. A document of another kind is refused before anything is written.
"""

from __future__ import annotations

import contextlib
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from kapstan.cli.admin import backup as b
from kapstan.cli.admin.kubeaccess import DEFAULT_NAMESPACE, KubeconfigOpt, NamespaceOpt, run_kube
from kapstan.cli.argocd.errors import GENERIC, CommandExit, handled
from kapstan.kube.client import KubeClient
from kapstan.kube.errors import Conflict, Forbidden, NotFound
from kapstan.model.vocabulary import API_VERSION, ARGOCD_CM, configmaps_path, secrets_path

_KIND_ORDER = (b.APPPROJECT, b.APPLICATION, b.APPLICATIONSET)


async def _list_kind(kube: KubeClient, kind: str, namespace: str) -> list[dict[str, Any]]:
    try:
        found = await kube.list(b.object_path(kind, namespace))
    except (NotFound, Forbidden) as e:  # no ApplicationSet CRD, or no right to read it
        if kind != b.APPLICATIONSET:
            raise
        print(f"warning: {API_VERSION}/{kind}: {e}", file=sys.stderr)
        return []
    return found.items


async def live_objects(kube: KubeClient, namespace: str) -> list[dict[str, Any]]:
    """Every Argo CD object of ``namespace``, in export order."""
    out: list[dict[str, Any]] = []
    argocd_cm: dict[str, Any] | None = None
    for name in b.SETTINGS_CONFIGMAPS:
        try:
            cm = await kube.get(configmaps_path(namespace, name))
        except NotFound:
            continue
        cm.setdefault("apiVersion", "v1")
        cm.setdefault("kind", b.CONFIGMAP)
        argocd_cm = cm if name == ARGOCD_CM else argocd_cm
        out.append(cm)
    referenced = b.referenced_secrets(argocd_cm)
    secrets = (await kube.list(secrets_path(namespace))).items
    out.extend(s for s in secrets if b.is_argocd_secret(s, referenced))
    for kind in _KIND_ORDER:
        out.extend(await _list_kind(kube, kind, namespace))
    return out


def dump(objects: list[dict[str, Any]], namespace: str) -> str:
    return "".join(
        yaml.safe_dump(b.exported(o, namespace), sort_keys=True, allow_unicode=True) + "---\n"
        for o in objects
    )


def export(
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
    out: Annotated[
        str, typer.Option("--out", "-o", help="Output to the specified file instead of stdout.")
    ] = "-",
) -> None:
    """Export all Argo CD data (settings, Secrets, projects, applications) as YAML."""
    with handled():
        text = dump(run_kube(kubeconfig, lambda kube: live_objects(kube, namespace)), namespace)
        if out == "-":
            sys.stdout.write(text)
        else:
            try:
                Path(out).write_text(text, encoding="utf-8")
            except OSError as e:
                raise CommandExit(GENERIC, f"{out}: {e.strerror}") from None


def _read_source(source: str) -> list[dict[str, Any]]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        docs = [d for d in yaml.safe_load_all(text) if d]
    except OSError as e:
        raise CommandExit(GENERIC, f"{source}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise CommandExit(GENERIC, f"{source}: invalid YAML: {e}") from None
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") not in b.KINDS:
            kind = doc.get("kind") if isinstance(doc, dict) else type(doc).__name__
            raise CommandExit(GENERIC, f"{source}: cannot import a {kind!r} document")
        if not (doc.get("metadata") or {}).get("name"):
            raise CommandExit(GENERIC, f"{source}: a {doc['kind']} without metadata.name")
    return docs


class Importer:
    """One import run (see the module contract); prints as it goes."""

    def __init__(self, kube: KubeClient, namespace: str, options: dict[str, Any]) -> None:
        self.kube = kube
        self.namespace = namespace
        self.dry_run: bool = options["dry_run"]
        self.verbose: bool = options["verbose"]
        self.stop_operation: bool = options["stop_operation"]
        self.ignore_tracking: bool = options["ignore_tracking"]
        self.override_on_conflict: bool = options["override_on_conflict"]
        self.skip_labels: list[str] = options["skip_labels"]
        self.suffix = " (dry run)" if self.dry_run else ""

    async def run(self, docs: list[dict[str, Any]], *, prune: bool) -> None:
        live = {b.key_of(o): o for o in await live_objects(self.kube, self.namespace)}
        for doc in docs:
            meta = doc.setdefault("metadata", {})
            if any(label in (meta.get("labels") or {}) for label in self.skip_labels):
                group, kind, ns, name = b.key_of(doc)
                print(f"Skipping {group}/{kind} {name} in namespace {ns}")
                continue
            meta["namespace"] = meta.get("namespace") or self.namespace
            await self._one(doc, live.pop(b.key_of(doc), None))
        for key, obj in live.items():
            if key[1] != b.CONFIGMAP:
                await self._prune(key, obj, prune=prune)

    async def _one(self, doc: dict[str, Any], live: dict[str, Any] | None) -> None:
        group, kind, ns, name = b.key_of(doc)
        if live is not None and self.ignore_tracking:
            b.keep_tracking(doc, live)
        if live is None:
            if not self.dry_run:
                await self.kube.request("POST", b.object_path(kind, ns), None, doc)
            print(f"{group}/{kind} {name} in namespace {ns} created{self.suffix}")
            return
        operation_left = self.stop_operation and kind == b.APPLICATION and "operation" in live
        if b.unchanged(doc, live) and not operation_left:
            if self.verbose:
                print(f"{group}/{kind} {name} unchanged{self.suffix}")
            return
        if not self.dry_run:
            await self._update(doc, live)
        print(f"{group}/{kind} {name} in namespace {ns} updated{self.suffix}")

    async def _update(self, doc: dict[str, Any], live: dict[str, Any]) -> None:
        _, kind, ns, name = b.key_of(doc)
        path = b.object_path(kind, ns, name)
        new = b.updated(doc, live, stop_operation=self.stop_operation)
        try:
            await self.kube.request("PUT", path, None, new)
        except Conflict:
            if not self.override_on_conflict:
                raise
            fresh = await self.kube.get(path)
            new["metadata"]["resourceVersion"] = fresh["metadata"]["resourceVersion"]
            await self.kube.request("PUT", path, None, new)

    async def _prune(self, key: b.Key, obj: dict[str, Any], *, prune: bool) -> None:
        group, kind, ns, name = key
        if not prune:
            print(f"{group}/{kind} {name} needs pruning")
            return
        if not self.dry_run:
            path = b.object_path(kind, ns, name)
            if kind == b.APPLICATION and (obj.get("metadata") or {}).get("finalizers"):
                patch = {"metadata": {"finalizers": None}}
                await self.kube.request("PATCH", path, None, patch, "application/merge-patch+json")
            with contextlib.suppress(NotFound):
                await self.kube.request("DELETE", path)
        print(f"{group}/{kind} {name} pruned{self.suffix}")


def import_(
    source: Annotated[
        str, typer.Argument(help="A file written by export, or - for stdin.", metavar="SOURCE")
    ],
    kubeconfig: KubeconfigOpt = None,
    namespace: NamespaceOpt = DEFAULT_NAMESPACE,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what will be performed.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Prune secrets, applications and projects which do not appear in the backup.",
        ),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Verbose output (versus only changed output).")
    ] = False,
    stop_operation: Annotated[
        bool, typer.Option("--stop-operation", help="Stop any existing operations.")
    ] = False,
    ignore_tracking: Annotated[
        bool,
        typer.Option(
            "--ignore-tracking",
            help="Do not update the tracking annotation if the resource is already tracked.",
        ),
    ] = False,
    override_on_conflict: Annotated[
        bool,
        typer.Option(
            "--override-on-conflict", help="Override the resource on conflict when updating."
        ),
    ] = False,
    skip_labels: Annotated[
        list[str] | None,
        typer.Option(
            "--skip-resources-with-labels", help="Skip resources carrying this label (repeat)."
        ),
    ] = None,
) -> None:
    """Import Argo CD data from a file written by `kapstan admin export` (or stdin: -)."""
    with handled():
        docs = _read_source(source)
        options = {
            "dry_run": dry_run,
            "verbose": verbose,
            "stop_operation": stop_operation,
            "ignore_tracking": ignore_tracking,
            "override_on_conflict": override_on_conflict,
            "skip_labels": [s.strip() for v in skip_labels or [] for s in v.split(",") if s],
        }
        print(f"import process started {namespace}")
        started = time.monotonic()

        async def body(kube: KubeClient) -> None:
            await Importer(kube, namespace, options).run(docs, prune=prune)

        run_kube(kubeconfig, body)
        took = time.monotonic() - started
        print(
            f"Import process completed successfully in namespace {namespace} at "
            f"{datetime.now(UTC).isoformat(timespec='seconds')}, duration: {took:.3f}s"
        )


def register(group: typer.Typer) -> None:
    group.command("export")(export)
    group.command("import")(import_)


__all__ = ["dump", "live_objects", "register"]
