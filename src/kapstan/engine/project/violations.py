"""Argo CD-style ``InvalidSpecError`` conditions for an application against its project."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kapstan.engine.project.model import INVALID_SPEC_ERROR, Condition, Project
from kapstan.engine.project.permits import (
    destination_permitted,
    group_kind_permitted,
    source_permitted,
)
from kapstan.model.keys import group_of

__all__ = ["CLUSTER_SCOPED_KINDS", "NamespacedFn", "violations"]

NamespacedFn = Callable[[str, str], bool]
"""``(group, kind) -> namespaced``; usually backed by the cluster's API discovery."""

CLUSTER_SCOPED_KINDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("networking.k8s.io", "IngressClass"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    }
)


def _default_namespaced(group: str, kind: str) -> bool:
    return (group, kind) not in CLUSTER_SCOPED_KINDS


def _sources(app_spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    sources = app_spec.get("sources")
    if isinstance(sources, list) and sources:
        return [s for s in sources if isinstance(s, Mapping)]
    source = app_spec.get("source")
    return [source] if isinstance(source, Mapping) else []


def violations(
    project: Project,
    app_spec: Mapping[str, Any],
    manifests: Iterable[Mapping[str, Any]] = (),
    *,
    namespaced: NamespacedFn | None = None,
) -> list[Condition]:
    """Return the ``InvalidSpecError`` conditions of ``app_spec`` under ``project``.

    Checks every source repo, the destination and each rendered manifest's kind (and, for
    namespaced kinds, its effective namespace). ``namespaced`` tells whether a group/kind
    is namespaced; without it a built-in list of well-known cluster-scoped kinds is used.
    Messages use Argo CD's wording; duplicates are dropped, order is stable.
    """
    is_namespaced = namespaced or _default_namespaced
    proj_name = str(app_spec.get("project") or project.name)
    messages: list[str] = []

    for source in _sources(app_spec):
        repo = str(source.get("repoURL") or "")
        if not source_permitted(project, repo):
            messages.append(f"application repo {repo} is not permitted in project '{proj_name}'")

    dest = app_spec.get("destination")
    dest = dest if isinstance(dest, Mapping) else {}
    server = str(dest.get("server") or "")
    name = str(dest.get("name") or "")
    dest_ns = str(dest.get("namespace") or "")
    if (server or name) and not destination_permitted(project, server, name, dest_ns):
        messages.append(
            f"application destination server '{server or name}' and namespace '{dest_ns}' "
            f"do not match any of the allowed destinations in project '{proj_name}'"
        )

    for obj in manifests:
        group = group_of(str(obj.get("apiVersion") or ""))
        kind = str(obj.get("kind") or "")
        scoped = is_namespaced(group, kind)
        if not group_kind_permitted(project, group, kind, scoped):
            messages.append(f"resource {group}:{kind} is not permitted in project {project.name}")
            continue
        if not scoped:
            continue
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        ns = str(meta.get("namespace") or dest_ns)
        if not destination_permitted(project, server, name, ns):
            messages.append(f"namespace {ns} is not permitted in project '{project.name}'")

    return [Condition(INVALID_SPEC_ERROR, m) for m in dict.fromkeys(messages)]
