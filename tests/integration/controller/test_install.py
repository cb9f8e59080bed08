"""``kapstan install`` and Kapstan's Argo CD CRDs on the real local control plane: install,
round-trip, printer columns, default project."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from kapstan.demo.children import install
from kapstan.kube.client import KubeClient
from kapstan.kube.config import load_kubeconfig
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import CommandError
from kapstan.runtime.install import CRD_NAMES, ensure_default_project, install_crds

pytestmark = pytest.mark.cluster
T = TypeVar("T")

APPLICATION = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  labels: {team: web}
  annotations: {argocd.argoproj.io/refresh: hard}
  finalizers: [resources-finalizer.argocd.argoproj.io]
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    targetRevision: HEAD
    path: guestbook
    directory: {recurse: true, jsonnet: {tlas: [{name: x, value: "1", code: false}]}}
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
  revisionHistoryLimit: 5
  info: [{name: url, value: "https://example.com"}]
  syncPolicy:
    automated: {prune: true, selfHeal: true, allowEmpty: false}
    syncOptions: [CreateNamespace=true, ServerSideApply=true, RespectIgnoreDifferences=true]
    retry:
      limit: 5
      backoff: {duration: 5s, factor: 2, maxDuration: 3m}
    managedNamespaceMetadata: {labels: {owner: web}}
  ignoreDifferences:
    - group: apps
      kind: Deployment
      jsonPointers: [/spec/replicas]
    - kind: ConfigMap
      jqPathExpressions: ['.data["generated"]']
      managedFieldsManagers: [kube-controller-manager]
operation:
  initiatedBy: {username: admin}
  info: [{name: reason, value: manual}]
  sync:
    revision: HEAD
    prune: true
    syncStrategy: {hook: {}}
    syncOptions: [Validate=false]
    resources: [{group: apps, kind: Deployment, name: guestbook-ui}]
  retry: {limit: 2}
"""

PROJECT = """
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: team-web
spec:
  description: the web team
  sourceRepos: ["https://github.com/argoproj/*"]
  sourceNamespaces: [web-*]
  destinations:
    - {server: https://kubernetes.default.svc, namespace: "web-*", name: in-cluster}
  clusterResourceWhitelist: [{group: "", kind: Namespace}]
  namespaceResourceBlacklist: [{group: "", kind: ResourceQuota}]
  orphanedResources: {warn: true, ignore: [{kind: ConfigMap, name: "kube-root-ca.crt"}]}
  roles:
    - name: ci
      description: CI pipeline
      policies: ["p, proj:team-web:ci, applications, sync, team-web/*, allow"]
      groups: [ci-bots]
  syncWindows:
    - {kind: deny, schedule: "0 22 * * *", duration: 1h, applications: ["*"], manualSync: true,
       timeZone: Europe/Paris}
  signatureKeys: [{keyID: 4AEE18F83AFDEB23}]
"""

APPSET = """
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: guestbooks
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - list:
        elements:
          - {cluster: engineering-dev, url: https://1.2.3.4}
          - {cluster: engineering-prod, url: https://2.4.6.8}
    - matrix:
        generators:
          - git: {repoURL: https://github.com/argoproj/argo-cd.git, revision: HEAD,
                  directories: [{path: "applicationset/examples/*"}]}
          - clusters: {selector: {matchLabels: {env: prod}}}
  template:
    metadata:
      name: '{{.cluster}}-guestbook'
      labels: {managed: "yes"}
    spec:
      project: default
      source:
        repoURL: https://github.com/argoproj/argocd-example-apps.git
        targetRevision: HEAD
        path: guestbook
      destination: {server: '{{.url}}', namespace: guestbook}
  syncPolicy: {preserveResourcesOnDeletion: true, applicationsSync: create-update}
  strategy:
    type: RollingSync
    rollingSync:
      steps: [{matchExpressions: [{key: env, operator: In, values: [dev]}]}]
"""


def run(kubeconfig: Path, body: Callable[[KubeClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with KubeClient(load_kubeconfig(kubeconfig)) as kube:
            return await body(kube)

    return asyncio.run(main())


@pytest.fixture(scope="module")
def crds(kubeconfig: Path) -> tuple[dict[str, Any], ...]:
    return run(kubeconfig, install_crds)


def test_crds_install_established_and_idempotent(
    kubeconfig: Path, kubectl: Kubectl, crds: tuple[dict[str, Any], ...]
) -> None:
    assert [c["metadata"]["name"] for c in crds] == list(CRD_NAMES)
    again = run(kubeconfig, install_crds)
    for before, after in zip(crds, again, strict=True):
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
        conds = {c["type"]: c["status"] for c in after["status"]["conditions"]}
        assert conds["Established"] == "True"
        assert conds["NamesAccepted"] == "True"
    app = kubectl.get_json("crd", "applications.argoproj.io")
    assert app["spec"]["names"]["shortNames"] == ["app", "apps"]
    assert "subresources" not in app["spec"]["versions"][0]  # like Argo CD: no status subresource
    appset = kubectl.get_json("crd", "applicationsets.argoproj.io")
    assert appset["spec"]["versions"][0]["subresources"] == {"status": {}}
    resources = kubectl("api-resources", "--api-group=argoproj.io", "-o", "wide")
    for line in ("app,apps", "appproj,appprojs", "appset,appsets"):
        assert line in resources


@pytest.mark.parametrize("doc", [APPLICATION, PROJECT, APPSET], ids=["app", "project", "appset"])
def test_argo_yaml_round_trips(
    kubectl: Kubectl, namespace: str, crds: tuple[dict[str, Any], ...], doc: str
) -> None:
    want = yaml.safe_load(doc)
    kubectl("apply", "-n", namespace, "-f", "-", stdin=doc)
    plural = {"Application": "applications", "AppProject": "appprojects"}.get(
        want["kind"], "applicationsets"
    )
    got = kubectl.get_json("-n", namespace, f"{plural}.argoproj.io", want["metadata"]["name"])
    for top in ("spec", "operation"):
        assert got.get(top) == want.get(top), top
    meta = got["metadata"]
    for key in ("labels", "finalizers"):
        assert meta.get(key) == want["metadata"].get(key), key
    for k, v in want["metadata"].get("annotations", {}).items():
        assert meta["annotations"][k] == v


def test_application_status_is_written_by_plain_update(
    kubeconfig: Path, kubectl: Kubectl, namespace: str, crds: tuple[dict[str, Any], ...]
) -> None:
    kubectl("apply", "-n", namespace, "-f", "-", stdin=APPLICATION)
    status = {
        "sync": {"status": "Synced", "revision": "0123456789abcdef0123456789abcdef01234567"},
        "health": {"status": "Healthy"},
        "operationState": {"phase": "Succeeded", "message": "done", "startedAt": "x"},
        "resources": [{"group": "apps", "kind": "Deployment", "name": "guestbook-ui"}],
    }

    async def body(kube: KubeClient) -> dict[str, Any]:
        path = f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/applications/guestbook"
        app = await kube.get(path)
        app["status"] = status
        app.pop("operation")
        return await kube.request("PUT", path, None, app)

    updated = run(kubeconfig, body)
    assert updated["status"] == status
    assert "operation" not in updated
    table = kubectl("get", "applications", "-n", namespace, "-o", "wide")
    header, row = table.splitlines()[:2]
    for column in ("NAME", "SYNC STATUS", "HEALTH STATUS", "REVISION", "PROJECT"):
        assert column in header
    assert row.split() == [
        "guestbook",
        "Synced",
        "Healthy",
        "0123456789abcdef0123456789abcdef01234567",
        "default",
    ]
    narrow = kubectl("get", "apps", "-n", namespace).splitlines()[0]
    assert "SYNC STATUS" in narrow
    assert "REVISION" not in narrow  # priority 10: only with -o wide, as in Argo CD


def test_required_fields_are_enforced(
    kubectl: Kubectl, namespace: str, crds: tuple[dict[str, Any], ...]
) -> None:
    bad = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\nspec: {}\n"
    with pytest.raises(CommandError) as err:
        kubectl("apply", "-n", namespace, "-f", "-", stdin=bad)
    assert "spec.destination: Required value" in err.value.output
    assert "spec.project: Required value" in err.value.output


def test_default_project_created_once(
    kubeconfig: Path, kubectl: Kubectl, namespace: str, crds: tuple[dict[str, Any], ...]
) -> None:
    async def twice(kube: KubeClient) -> tuple[bool, bool]:
        return (
            await ensure_default_project(kube, namespace),
            await ensure_default_project(kube, namespace),
        )

    assert run(kubeconfig, twice) == (True, False)
    project = kubectl.get_json("-n", namespace, "appproj", "default")
    assert project["spec"] == {
        "sourceRepos": ["*"],
        "destinations": [{"server": "*", "namespace": "*"}],
        "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
    }
    # An edited default project is left alone.
    kubectl(
        "patch", "-n", namespace, "appproj", "default", "--type=merge",
        "-p", '{"spec":{"description":"mine"}}',
    )  # fmt: skip
    assert run(kubeconfig, twice) == (False, False)
    assert kubectl.get_json("-n", namespace, "appproj", "default")["spec"]["description"] == "mine"


def test_kapstan_install_command(kubeconfig: Path, kubectl: Kubectl) -> None:
    """The command a user runs: namespace, CRDs and default project; a second run changes
    nothing and says so."""
    name = f"inst-{uuid.uuid4().hex[:8]}"
    try:
        first = install(kubeconfig, name)
        assert kubectl.get_json("namespace", name)["metadata"]["name"] == name
        assert kubectl.get_json("-n", name, "appproj", "default")["spec"]["sourceRepos"] == ["*"]
        again = install(kubeconfig, name)
    finally:
        kubectl("delete", "namespace", name, "--wait=false")
    assert f"namespace {name} created" in first
    assert "AppProject default created" in first
    assert "applications.argoproj.io" in first
    assert f"namespace {name} exists" in again
    assert "AppProject default exists" in again
