"""Re-ordering after the sort: mirrored prune waves, PruneLast, and dependency moves."""

from __future__ import annotations

import dataclasses

from kapstan.engine.sync.tasks import SyncTask
from kapstan.model.sync import SyncPhase


def reverse_prune_waves(tasks: list[SyncTask]) -> list[SyncTask]:
    """Prunes run in reverse wave order: swap prune waves symmetrically, PruneLast at the end."""
    prune_waves = sorted({t.wave for t in tasks if t.target is None})
    mirror = dict(zip(prune_waves, reversed(prune_waves), strict=True))
    last = max([0] + [t.wave for t in tasks if t.phase is SyncPhase.SYNC]) + 1
    result: list[SyncTask] = []
    for task in tasks:
        if task.target is None:
            wave = last if task.options.prune_last else mirror[task.wave]
            result.append(dataclasses.replace(task, wave=wave))
        else:
            result.append(task)
    return result


def move_dependencies(tasks: list[SyncTask]) -> list[SyncTask]:
    """Namespaces before the resources in them, CRDs before their CRs (gitops-engine adjustDeps)."""

    def namespace_dep(task: SyncTask) -> str | None:
        return task.key.name if task.kind == "Namespace" and task.key.group == "" else None

    def namespace_needs(task: SyncTask) -> str | None:
        return task.key.namespace or None

    def crd_dep(task: SyncTask) -> str | None:
        if task.kind != "CustomResourceDefinition" or task.target is None:
            return None
        spec = task.target.get("spec") or {}
        return f"{spec.get('group', '')}/{(spec.get('names') or {}).get('kind', '')}"

    def crd_needs(task: SyncTask) -> str | None:
        return f"{task.key.group}/{task.kind}"

    for is_dep, needs in ((namespace_dep, namespace_needs), (crd_dep, crd_needs)):
        first_dependant: dict[str, int] = {}
        for index in range(len(tasks)):
            task = tasks[index]
            if task.target is None:
                continue
            dep = is_dep(task)
            if dep is not None:
                if dep in first_dependant:
                    tasks.insert(first_dependant[dep], tasks.pop(index))
                    first_dependant = {
                        k: v + 1 if v >= first_dependant[dep] else v
                        for k, v in first_dependant.items()
                        if k != dep
                    }
                continue
            need = needs(task)
            if need is not None:
                first_dependant.setdefault(need, index)
    return tasks
