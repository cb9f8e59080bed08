"""A real local Kubernetes cluster: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok, all on 127.0.0.1 with free ports, in one work directory.

The work directory holds everything: certificates, etcd data, logs, the admin kubeconfig and
``state.json`` (ports and process identities), so ``down`` works from another process than
``up``. Several clusters run side by side as long as their work directories differ.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from kapstan.localcluster import pki as pki_mod
from kapstan.localcluster import process
from kapstan.localcluster.ports import LOOPBACK as _LOOPBACK
from kapstan.localcluster.ports import free_port
from kapstan.localcluster.toolchain import Toolchain

# Started in this order, stopped in reverse.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"
CONTAINER_LOG = "container.log"  # under the work directory: what fake containers print


class ClusterError(RuntimeError):
    """The cluster could not start or be reached; the message names the component and its log."""


@dataclass(frozen=True)
class ClusterState:
    """What ``state.json`` records for a running cluster."""

    name: str
    workdir: str
    api_port: int
    etcd_port: int
    nodes: int
    processes: tuple[process.ProcessHandle, ...]

    @property
    def server(self) -> str:
        return f"https://{_LOOPBACK}:{self.api_port}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @staticmethod
    def from_json(text: str) -> ClusterState:
        raw = json.loads(text)
        raw["processes"] = tuple(process.ProcessHandle(**p) for p in raw["processes"])
        return ClusterState(**raw)


_STARTED_HERE: list[LocalCluster] = []
_START_ATTEMPTS = 3
_PORT_TAKEN = "address already in use"


@atexit.register
def _stop_leftovers() -> None:
    # Clusters this process started and did not stop (an exception, Ctrl-C) are stopped here.
    for cluster in list(_STARTED_HERE):
        with contextlib.suppress(Exception):
            cluster.stop()


class LocalCluster:
    """One local cluster rooted at ``workdir``.

    ``start()`` blocks until the API is ready, the controllers run and ``nodes`` fake nodes are
    Ready; ``stop()`` stops every process it started and is safe to call more than once.
    With ``owned=True`` (tests) the processes also die if this process dies.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        name: str | None = None,
        nodes: int = 2,
        toolchain: Toolchain | None = None,
        owned: bool = True,
    ) -> None:
        self.workdir = workdir.resolve()
        self.name = name or self.workdir.name
        self.nodes = nodes
        self.toolchain = toolchain or Toolchain()
        self.owned = owned
        self.state: ClusterState | None = None
        # argv of each component started here, so that restart_component can start it again.
        self._argv: dict[str, list[str]] = {}

    # -- paths ---------------------------------------------------------------------------------
    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    @property
    def state_file(self) -> Path:
        return self.workdir / "state.json"

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    @property
    def server(self) -> str:
        if self.state is None:
            raise ClusterError(f"cluster {self.name} is not running")
        return self.state.server

    # -- lifecycle -----------------------------------------------------------------------------
    @classmethod
    def attach(cls, workdir: Path, toolchain: Toolchain | None = None) -> LocalCluster:
        """The cluster recorded in ``workdir/state.json`` (started by another process)."""
        cluster = cls(workdir, toolchain=toolchain, owned=False)
        if not cluster.state_file.exists():
            raise ClusterError(f"no cluster state in {workdir}")
        cluster.state = ClusterState.from_json(cluster.state_file.read_text())
        cluster.name = cluster.state.name
        return cluster

    def start(self, timeout: float = 180.0) -> None:
        if self.state_file.exists():
            raise ClusterError(
                f"{self.workdir} already holds a cluster; run `kapstan local-cluster down` first"
            )
        for attempt in range(_START_ATTEMPTS):
            try:
                self._start_once(timeout)
                return
            except ClusterError as e:
                # Another process bound a port between its choice and the server's bind: the
                # start failed before any state mattered, so start again on other ports.
                if _PORT_TAKEN not in str(e) or attempt + 1 == _START_ATTEMPTS:
                    raise
                shutil.rmtree(self.workdir / "etcd", ignore_errors=True)

    def _start_once(self, timeout: float) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        binaries = {c: str(self.toolchain.path(c)) for c in COMPONENTS}
        certs = pki_mod.generate(self.workdir / "pki")
        etcd_port, peer_port, api_port, kwok_port = (free_port() for _ in range(4))
        self._write_kubeconfig(certs, api_port)
        stages = self.workdir / "kwok-stages.yaml"
        stages.write_text(
            resources.files("kapstan.localcluster").joinpath("data/kwok-stages.yaml").read_text()
            + self._container_logs()
        )
        handles: list[process.ProcessHandle] = []
        self.state = ClusterState(
            name=self.name,
            workdir=str(self.workdir),
            api_port=api_port,
            etcd_port=etcd_port,
            nodes=self.nodes,
            processes=(),
        )
        _STARTED_HERE.append(self)
        deadline = time.monotonic() + timeout
        try:
            handles.append(self._spawn("etcd", self._etcd_args(binaries, etcd_port, peer_port)))
            self._record(handles)
            self._spawn_and_wait_api(handles, binaries, certs, etcd_port, api_port, deadline)
            kc = str(self.kubeconfig)
            handles.append(
                self._spawn(
                    "kube-controller-manager",
                    [
                        binaries["kube-controller-manager"],
                        f"--kubeconfig={kc}",
                        "--leader-elect=false",
                        f"--bind-address={_LOOPBACK}",
                        "--secure-port=0",
                        f"--service-account-private-key-file={certs.sa_key}",
                        f"--root-ca-file={certs.ca_cert}",
                        f"--cluster-signing-cert-file={certs.ca_cert}",
                        f"--cluster-signing-key-file={certs.ca_key}",
                        "--use-service-account-credentials=false",
                        "--concurrent-deployment-syncs=10",
                        "--concurrent-replicaset-syncs=10",
                        # Its default 20 QPS (one client for all its controllers) made
                        # Deployments of a few hundred apps wait for their status.
                        "--kube-api-qps=200",
                        "--kube-api-burst=400",
                    ],
                )
            )
            handles.append(
                self._spawn(
                    "kube-scheduler",
                    [
                        binaries["kube-scheduler"],
                        f"--kubeconfig={kc}",
                        "--leader-elect=false",
                        f"--bind-address={_LOOPBACK}",
                        "--secure-port=0",
                    ],
                )
            )
            handles.append(
                self._spawn(
                    "kwok",
                    [
                        binaries["kwok"],
                        f"--kubeconfig={kc}",
                        f"--config={stages}",
                        "--manage-all-nodes=false",
                        f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
                        f"--node-ip={_LOOPBACK}",
                        "--node-name=kwok-controller",
                        f"--node-port={kwok_port}",
                        f"--server-address={_LOOPBACK}:{kwok_port}",
                        f"--tls-cert-file={certs.serving_cert}",
                        f"--tls-private-key-file={certs.serving_key}",
                        "--node-lease-duration-seconds=40",
                    ],
                )
            )
            self._record(handles)
            for i in range(self.nodes):
                self.create_node(f"kwok-node-{i}")
            self._wait_ready(deadline)
        except BaseException:
            self.stop()
            raise
        if not self.owned:
            # A detached cluster (``local-cluster up``) outlives this process by design.
            _STARTED_HERE.remove(self)

    def _spawn_and_wait_api(
        self,
        handles: list[process.ProcessHandle],
        binaries: dict[str, str],
        certs: pki_mod.Pki,
        etcd_port: int,
        api_port: int,
        deadline: float,
    ) -> None:
        handles.append(
            self._spawn(
                "kube-apiserver",
                [
                    binaries["kube-apiserver"],
                    f"--etcd-servers=http://{_LOOPBACK}:{etcd_port}",
                    f"--bind-address={_LOOPBACK}",
                    f"--advertise-address={_LOOPBACK}",
                    f"--secure-port={api_port}",
                    # Endpoints validation rejects loopback addresses; do not reconcile them.
                    "--endpoint-reconciler-type=none",
                    f"--tls-cert-file={certs.serving_cert}",
                    f"--tls-private-key-file={certs.serving_key}",
                    f"--client-ca-file={certs.ca_cert}",
                    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                    f"--service-account-key-file={certs.sa_pub}",
                    f"--service-account-signing-key-file={certs.sa_key}",
                    "--service-cluster-ip-range=10.0.0.0/16",  # room for many Services
                    "--authorization-mode=Node,RBAC",
                    # kwok plays every node's kubelet on one loopback port (logs, exec)
                    "--kubelet-preferred-address-types=InternalIP",
                    "--allow-privileged=true",
                    "--profiling=false",
                    # The cluster serves one developer: no priority-and-fairness throttling.
                    "--enable-priority-and-fairness=false",
                    "--max-requests-inflight=0",
                    "--max-mutating-requests-inflight=0",
                ],
            )
        )
        self._record(handles)
        while True:
            self._check_alive()
            try:
                if self.request("GET", "/readyz", parse=False) == "ok":
                    return
            except (OSError, ClusterError):
                pass
            if time.monotonic() > deadline:
                raise ClusterError(self._with_log("kube-apiserver", "not ready before the timeout"))
            time.sleep(0.3)

    def _etcd_args(self, binaries: dict[str, str], port: int, peer: int) -> list[str]:
        return [
            binaries["etcd"],
            f"--name={self.name}",
            f"--data-dir={self.workdir / 'etcd'}",
            "--unsafe-no-fsync=true",  # throwaway data: trade durability for test speed
            f"--listen-client-urls=http://{_LOOPBACK}:{port}",
            f"--advertise-client-urls=http://{_LOOPBACK}:{port}",
            f"--listen-peer-urls=http://{_LOOPBACK}:{peer}",
            f"--initial-advertise-peer-urls=http://{_LOOPBACK}:{peer}",
            f"--initial-cluster={self.name}=http://{_LOOPBACK}:{peer}",
            # The metrics listener defaults to the client URL; keep it explicit and local.
            f"--listen-metrics-urls=http://{_LOOPBACK}:{free_port()}",
            "--log-level=warn",
        ]

    def stop(self) -> None:
        """Stop every process of this cluster (newest first); forget its state."""
        state = self.state
        if state is None and self.state_file.exists():
            state = ClusterState.from_json(self.state_file.read_text())
        if state is not None:
            for handle in reversed(state.processes):
                process.stop(handle)
        with contextlib.suppress(FileNotFoundError):
            self.state_file.unlink()
        self.state = None
        if self in _STARTED_HERE:
            _STARTED_HERE.remove(self)

    def destroy(self) -> None:
        """Stop the cluster and delete its work directory."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def status(self) -> dict[str, Any]:
        """Per-component liveness plus API readiness, as a plain dict for display."""
        if self.state is None:
            return {"name": self.name, "running": False}
        components = {h.name: ("running" if h.alive() else "stopped") for h in self.state.processes}
        try:
            ready = self.request("GET", "/readyz", parse=False) == "ok"
        except (OSError, ClusterError):
            ready = False
        return {
            "name": self.name,
            "running": all(v == "running" for v in components.values()),
            "server": self.state.server,
            "kubeconfig": str(self.kubeconfig),
            "apiReady": ready,
            "components": components,
        }

    def restart_component(self, name: str, timeout: float = 60.0) -> None:
        """Stop one component and start it again with the same argv (tests of reconnects).

        Only for clusters started by this object. Waits for ``/readyz`` after restarting etcd
        or the API server. Call it from the thread that started the cluster: an owned cluster's
        processes die with the thread that spawned them (``PR_SET_PDEATHSIG`` is per thread),
        so a restart from a short-lived worker thread would not survive that thread.
        """
        if self.state is None or name not in self._argv:
            raise ClusterError(f"cluster {self.name}: component {name} was not started here")
        handles = list(self.state.processes)
        at = next(i for i, h in enumerate(handles) if h.name == name)
        process.stop(handles[at])
        handles[at] = self._spawn(name, self._argv[name])
        self._record(handles)
        if name not in ("etcd", "kube-apiserver"):
            return
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError, ClusterError):
                if self.request("GET", "/readyz", parse=False) == "ok":
                    return
            if time.monotonic() > deadline:
                raise ClusterError(self._with_log(name, "not ready after restart"))
            time.sleep(0.2)

    def compact_etcd(self) -> int:
        """Compact etcd up to its current revision (physically); return that revision.

        Watches resuming from an older resourceVersion then get 410 Gone.
        """
        if self.state is None:
            raise ClusterError(f"cluster {self.name} is not running")
        base = f"http://{_LOOPBACK}:{self.state.etcd_port}/v3/kv"

        def post(path: str, body: dict[str, Any]) -> Any:
            req = urllib.request.Request(  # noqa: S310 - http to our own loopback etcd
                base + path, data=json.dumps(body).encode(), method="POST"
            )
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                return json.loads(resp.read().decode())

        revision = int(post("/range", {"key": "AA==", "limit": 1})["header"]["revision"])
        post("/compaction", {"revision": str(revision), "physical": True})
        return revision

    # -- API access (tooling only; the product has its own client) -----------------------------
    def _ssl(self) -> ssl.SSLContext:
        d = self.workdir / "pki"
        ctx = ssl.create_default_context(cafile=str(d / "ca.crt"))
        ctx.load_cert_chain(str(d / "admin.crt"), str(d / "admin.key"))
        return ctx

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, parse: bool = True
    ) -> Any:
        """One authenticated request to the API server as the admin user."""
        if self.state is None:
            raise ClusterError(f"cluster {self.name} is not running")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(  # noqa: S310 - https to our own loopback server
            self.state.server + path, data=data, method=method
        )
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self._ssl(), timeout=10) as resp:  # noqa: S310
                text = resp.read().decode()
        except urllib.error.HTTPError as e:
            raise ClusterError(f"{method} {path}: HTTP {e.code}: {e.read().decode()[:500]}") from e
        return json.loads(text) if parse else text

    def _container_logs(self) -> str:
        """A kwok ``ClusterLogs`` document: every container of a fake pod "prints" the lines of
        ``<workdir>/container.log`` (CRI log format, followed), so ``kubectl logs`` and the API's
        log routes have something real to stream from the kubelet kwok plays."""
        log_file = self.workdir / CONTAINER_LOG
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())
        log_file.write_text(
            f"{now} stdout F kwok: this container runs on a fake node; no process writes here\n"
        )
        return (
            "---\n"
            "apiVersion: kwok.x-k8s.io/v1alpha1\n"
            "kind: ClusterLogs\n"
            "metadata:\n"
            "  name: kapstan-container-logs\n"
            "spec:\n"
            "  selector: {}\n"
            "  logs:\n"
            f"  - logsFile: {json.dumps(str(log_file))}\n"
            "    follow: true\n"
        )

    def create_node(self, name: str) -> None:
        """Register a fake node that kwok keeps Ready."""
        self.request(
            "POST",
            "/api/v1/nodes",
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "annotations": {
                        FAKE_NODE_ANNOTATION: "fake",
                        "node.alpha.kubernetes.io/ttl": "0",
                    },
                    "labels": {
                        "type": "kwok",
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                    },
                },
                "spec": {},
            },
        )

    def _wait_ready(self, deadline: float) -> None:
        while True:
            self._check_alive()
            if self._nodes_ready() >= self.nodes and self._default_sa_exists():
                return
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"cluster {self.name}: {self._nodes_ready()}/{self.nodes} nodes Ready, "
                    f"default ServiceAccount present: {self._default_sa_exists()}; "
                    f"see the logs in {self.logs}"
                )
            time.sleep(0.3)

    def _nodes_ready(self) -> int:
        nodes = self.request("GET", "/api/v1/nodes")["items"]
        return sum(
            1
            for n in nodes
            for c in n.get("status", {}).get("conditions", [])
            if c["type"] == "Ready" and c["status"] == "True"
        )

    def _default_sa_exists(self) -> bool:
        # Created by the serviceaccount controller: proves kube-controller-manager is working.
        try:
            self.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")
        except ClusterError:
            return False
        return True

    # -- helpers ---------------------------------------------------------------------------------
    def _spawn(self, component: str, argv: list[str]) -> process.ProcessHandle:
        self._argv[component] = list(argv)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.workdir)}
        return process.spawn(
            component,
            argv,
            log=self.logs / f"{component}.log",
            env=env,
            cwd=self.workdir,
            die_with_parent=self.owned,
        )

    def _record(self, handles: list[process.ProcessHandle]) -> None:
        assert self.state is not None
        self.state = ClusterState(**{**asdict(self.state), "processes": tuple(handles)})
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(self.state.to_json())
        tmp.replace(self.state_file)

    def _check_alive(self) -> None:
        assert self.state is not None
        for h in self.state.processes:
            if not h.alive():
                raise ClusterError(self._with_log(h.name, "exited during start-up"))

    def _with_log(self, component: str, message: str) -> str:
        log = self.logs / f"{component}.log"
        tail = ""
        with contextlib.suppress(OSError):
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        return f"{component} {message} (log: {log})\n{tail}"

    def _write_kubeconfig(self, certs: pki_mod.Pki, api_port: int) -> None:
        ctx = self.name
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": ctx,
                    "cluster": {
                        "server": f"https://{_LOOPBACK}:{api_port}",
                        "certificate-authority": str(certs.ca_cert),
                    },
                }
            ],
            "users": [
                {
                    "name": f"{ctx}-admin",
                    "user": {
                        "client-certificate": str(certs.admin_cert),
                        "client-key": str(certs.admin_key),
                    },
                }
            ],
            "contexts": [{"name": ctx, "context": {"cluster": ctx, "user": f"{ctx}-admin"}}],
            "current-context": ctx,
        }
        # JSON is valid YAML; kubectl and every client library read it.
        self.kubeconfig.write_text(json.dumps(config, indent=2))
        self.kubeconfig.chmod(0o600)
