"""``kapstan cluster`` against the API in process: ``add`` installs argocd-manager in the
target cluster (an in-memory one) exactly as argocd names it and registers the cluster with
the account's token; ``list``/``get``/``set``/``rm`` as argocd prints them; no credential is
ever printed."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from kapstan.cli.argocd import clusteradd
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig
from kapstan.testing.api import api_on
from kapstan.testing.fakekube import FakeKube
from tests.unit.api.admin_fixtures import fake_probe
from tests.unit.cli.helpers import Cli

NS = "argocd"
SERVER = "https://reachable.example:6443"
TOKEN = "planted-manager-token-1"
ADD = ("cluster", "add", "second", "--kubeconfig")
CA = b"-----BEGIN CERTIFICATE-----\nplanted-ca\n-----END CERTIFICATE-----\n"


def _kubeconfig(path: Path) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1", "kind": "Config", "current-context": "second",
                "clusters": [{"name": "c", "cluster": {
                    "server": SERVER,
                    "certificate-authority-data": base64.b64encode(CA).decode()}}],
                "contexts": [{"name": "second", "context": {"cluster": "c", "user": "u"}}],
                "users": [{"name": "u", "user": {"token": "user-token"}}],
            }
        )
    )  # fmt: skip
    return path


async def _token_controller(target: FakeKube, namespace: str) -> None:
    """Kubernetes' token controller: fill the service-account-token Secret once it exists."""
    while True:
        found = target.get_object("Secret", clusteradd.TOKEN_SECRET, namespace=namespace)
        if found is not None:

            def fill(obj: dict[str, Any]) -> None:
                obj["data"] = {"token": base64.b64encode(TOKEN.encode()).decode()}

            target.edit("Secret", clusteradd.TOKEN_SECRET, namespace, change=fill)
            return
        await asyncio.sleep(0.05)


def _cluster_secret(fake: FakeKube) -> dict[str, Any]:
    for obj in fake.objects("Secret", namespace=NS):
        labels = obj["metadata"].get("labels") or {}
        if labels.get("argocd.argoproj.io/secret-type") == "cluster":
            data = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
            return {**data, "config": json.loads(data["config"])}
    raise AssertionError("no cluster Secret")


def test_add_installs_the_manager_and_registers_the_cluster(tmp_path: Path) -> None:
    target = FakeKube(namespaces=("default", "kube-system", "web"))
    kubeconfig = _kubeconfig(tmp_path / "kubeconfig")

    def connect(config: ClusterConfig) -> KubeClient:
        assert config.server == SERVER
        return KubeClient(config, qps=0.0, transport=target.transport())

    async def body() -> None:
        async with api_on(FakeKube(), customize=fake_probe) as api:
            cli = Cli(api, tmp_path)
            filler = asyncio.create_task(_token_controller(target, "kube-system"))
            with mock.patch.object(clusteradd, "connect", connect):
                added = await cli.ok(*ADD, str(kubeconfig), "-y", "--label", "env=test",
                                     "--project", "default")  # fmt: skip
            await filler
            assert f"Cluster '{SERVER}' added" in added
            assert TOKEN not in added

            sa = target.get_object("ServiceAccount", "argocd-manager", namespace="kube-system")
            assert sa is not None
            role = target.get_object("ClusterRole", "argocd-manager-role")
            assert role is not None
            assert role["rules"] == [
                {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                {"nonResourceURLs": ["*"], "verbs": ["*"]},
            ]
            binding = target.get_object("ClusterRoleBinding", "argocd-manager-role-binding")
            assert binding is not None
            assert binding["roleRef"]["name"] == "argocd-manager-role"
            assert binding["subjects"] == [
                {"kind": "ServiceAccount", "name": "argocd-manager", "namespace": "kube-system"}
            ]
            token_secret = target.get_object(
                "Secret", "argocd-manager-long-lived-token", namespace="kube-system"
            )
            assert token_secret is not None
            assert token_secret["type"] == "kubernetes.io/service-account-token"
            assert token_secret["metadata"]["annotations"] == {
                "kubernetes.io/service-account.name": "argocd-manager"
            }

            stored = _cluster_secret(api.fake)
            assert stored["server"] == SERVER
            assert stored["name"] == "second"
            assert stored["project"] == "default"
            assert stored["config"]["bearerToken"] == TOKEN
            assert base64.b64decode(stored["config"]["tlsClientConfig"]["caData"]) == CA

            listed = (await cli.ok("cluster", "list")).splitlines()
            assert listed[0].split() == ["SERVER", "NAME", "VERSION", "STATUS", "MESSAGE",
                                         "PROJECT"]  # fmt: skip
            row = next(line.split() for line in listed if line.startswith(SERVER))
            assert row[:2] == [SERVER, "second"]
            assert row[-1] == "default"
            got = yaml.safe_load(await cli.ok("cluster", "get", "second"))
            assert got["server"] == SERVER
            assert got["labels"] == {"env": "test"}
            as_json = json.loads(await cli.ok("cluster", "get", SERVER, "-o", "json"))
            assert as_json == got
            assert (await cli.ok("cluster", "get", "second", "-o", "server")).strip() == SERVER
            for text in (listed, got):
                assert TOKEN not in str(text)

            # Running it again reuses what exists; only a different spec needs --upsert.
            with mock.patch.object(clusteradd, "connect", connect):
                again = await cli.ok(*ADD, str(kubeconfig), "-y", "--label", "env=test",
                                     "--project", "default")  # fmt: skip
                assert "Using existing bearer token secret" in again
                renamed = await cli("cluster", "add", "second", "--kubeconfig", str(kubeconfig),
                                    "-y", "--name", "other")  # fmt: skip
                assert renamed.exit_code == 20
                assert "use upsert flag" in renamed.stderr

            assert "updated" in await cli.ok("cluster", "set", "second", "--name", "two",
                                            "--namespace", "web")  # fmt: skip
            stored = _cluster_secret(api.fake)
            assert stored["name"] == "two"
            assert stored["namespaces"] == "web"
            assert stored["config"]["bearerToken"] == TOKEN  # credentials kept

            kept = await cli("cluster", "rm", "two", stdin="n\n")
            assert "cancelled" in kept.stdout
            assert "removed" in await cli.ok("cluster", "rm", "two", "-y")
            gone = await cli("cluster", "get", SERVER)
            assert gone.exit_code == 20

    asyncio.run(body())


def test_add_per_namespace_and_failures(tmp_path: Path) -> None:
    target = FakeKube(namespaces=("default", "kube-system", "web", "api"))
    kubeconfig = _kubeconfig(tmp_path / "kubeconfig")

    def connect(config: ClusterConfig) -> KubeClient:
        return KubeClient(config, qps=0.0, transport=target.transport())

    async def body() -> None:
        async with api_on(FakeKube(), customize=fake_probe) as api:
            cli = Cli(api, tmp_path)
            filler = asyncio.create_task(_token_controller(target, "kube-system"))
            with mock.patch.object(clusteradd, "connect", connect):
                await cli.ok(*ADD, str(kubeconfig), "-y", "--namespace", "web",
                             "--namespace", "api", "--in-cluster")  # fmt: skip
            await filler
            assert target.get_object("ClusterRole", "argocd-manager-role") is None
            for ns in ("web", "api"):
                role = target.get_object("Role", "argocd-manager-role", namespace=ns)
                assert role is not None
                assert role["rules"] == [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
                binding = target.get_object("RoleBinding", "argocd-manager-role-binding",
                                            namespace=ns)  # fmt: skip
                assert binding is not None
                assert binding["roleRef"]["kind"] == "Role"
            stored = _cluster_secret(api.fake)
            assert stored["server"] == "https://kubernetes.default.svc"
            assert stored["namespaces"] == "web,api"

            unknown = await cli("cluster", "add", "nope", "--kubeconfig", str(kubeconfig), "-y")
            assert unknown.exit_code == 20
            assert "nope" in unknown.stderr
            assert len(unknown.stderr.splitlines()) == 1
            declined = await cli("cluster", "add", "second", "--kubeconfig", str(kubeconfig),
                                 stdin="n\n")  # fmt: skip
            assert declined.exit_code == 1
            contexts = await cli.ok("cluster", "add", "--kubeconfig", str(kubeconfig))
            assert contexts.splitlines()[1].split() == ["*", "second", "c"]

    asyncio.run(body())
