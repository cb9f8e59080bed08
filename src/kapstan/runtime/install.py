"""``kapstan install``: Kapstan's Argo CD-compatible CRDs, the namespace and the ``default``
AppProject. The controller installs nothing itself (it needs no CRD-write rights at run time).

Contract:

- :func:`install` makes ``namespace`` exist, installs the CRDs and creates the default project
  (each step idempotent) and returns what it did, one line per step;
- :func:`load_crds` returns the CustomResourceDefinitions shipped in
  ``kapstan/runtime/crds/*.yaml`` (``applications``, ``appprojects``, ``applicationsets`` in
  group ``argoproj.io``, and argocd-image-updater's ``imageupdaters`` in
  ``argocd-image-updater.argoproj.io``, all version ``v1alpha1``), read with
  :mod:`importlib.resources`;
- :func:`install_crds` server-side applies them (field manager ``kapstan-controller``, forced,
  so an earlier install by Argo CD's manifests is taken over) and waits until every one reports
  ``Established=True`` (raises :class:`TimeoutError` otherwise); it is idempotent;
- :func:`ensure_default_project` creates the ``default`` AppProject (any repo, any destination,
  any cluster-scoped kind) in ``namespace`` only when no such project exists; an existing one,
  edited or not, is left alone. Returns True when it created the project.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

from kapstan.kube.apply import APPLY_PATCH
from kapstan.kube.client import KubeClient
from kapstan.kube.errors import Conflict, NotFound
from kapstan.model.vocabulary import API_VERSION, DEFAULT_PROJECT, FIELD_MANAGER, project_path

CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
CRD_NAMES = (
    "applications.argoproj.io",
    "appprojects.argoproj.io",
    "applicationsets.argoproj.io",
    "imageupdaters.argocd-image-updater.argoproj.io",
)


def load_crds() -> tuple[dict[str, Any], ...]:
    """The shipped CRD documents, in :data:`CRD_NAMES` order."""
    folder = resources.files("kapstan.runtime").joinpath("crds")
    out: list[dict[str, Any]] = []
    for name in CRD_NAMES:
        doc = yaml.safe_load(folder.joinpath(f"{name}.yaml").read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            raise ValueError(f"crds/{name}.yaml is not a CustomResourceDefinition")
        out.append(doc)
    return tuple(out)


def _established(crd: Mapping[str, Any]) -> bool:
    for cond in (crd.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Established":
            return bool(cond.get("status") == "True")
    return False


async def install_crds(
    kube: KubeClient, *, timeout: float = 60.0, poll: float = 0.2
) -> tuple[dict[str, Any], ...]:
    """Apply the CRDs and wait until each is Established; returns the live CRDs."""
    for crd in load_crds():
        name = crd["metadata"]["name"]
        await kube.request(
            "PATCH",
            f"{CRD_PATH}/{name}",
            {"fieldManager": FIELD_MANAGER, "force": True},
            crd,
            APPLY_PATCH,
        )
    deadline = time.monotonic() + timeout
    live: dict[str, dict[str, Any]] = {}
    while True:
        for name in CRD_NAMES:
            if name not in live or not _established(live[name]):
                live[name] = await kube.get(f"{CRD_PATH}/{name}")
        pending = [n for n in CRD_NAMES if not _established(live[n])]
        if not pending:
            return tuple(live[n] for n in CRD_NAMES)
        if time.monotonic() >= deadline:
            raise TimeoutError(f"CRDs not Established after {timeout:g}s: {', '.join(pending)}")
        await asyncio.sleep(poll)


def default_project(namespace: str) -> dict[str, Any]:
    """Argo CD's built-in ``default`` AppProject: permits everything."""
    return {
        "apiVersion": API_VERSION,
        "kind": "AppProject",
        "metadata": {"name": DEFAULT_PROJECT, "namespace": namespace},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    }


async def ensure_default_project(kube: KubeClient, namespace: str) -> bool:
    """Create the ``default`` AppProject in ``namespace`` if missing; True when created."""
    base = project_path(namespace)
    try:
        await kube.get(f"{base}/{DEFAULT_PROJECT}")
    except NotFound:
        pass
    else:
        return False
    try:
        await kube.request("POST", base, None, default_project(namespace))
    except Conflict:  # created concurrently (another replica): it exists, which is the goal
        return False
    return True


async def ensure_namespace(kube: KubeClient, namespace: str) -> bool:
    """Create ``namespace`` if missing; True when created."""
    try:
        await kube.get(f"/api/v1/namespaces/{namespace}")
    except NotFound:
        pass
    else:
        return False
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    try:
        await kube.request("POST", "/api/v1/namespaces", None, body)
    except Conflict:
        return False
    return True


async def install(kube: KubeClient, namespace: str) -> list[str]:
    """Namespace, CRDs and default project (see the module contract)."""
    done = []
    created = await ensure_namespace(kube, namespace)
    done.append(f"namespace {namespace} {'created' if created else 'exists'}")
    await install_crds(kube)
    done.append(f"CRDs applied and established: {', '.join(CRD_NAMES)}")
    created = await ensure_default_project(kube, namespace)
    done.append(f"AppProject {DEFAULT_PROJECT} {'created' if created else 'exists'}")
    return done


__all__ = [
    "CRD_NAMES",
    "default_project",
    "ensure_default_project",
    "ensure_namespace",
    "install",
    "install_crds",
    "load_crds",
]
