"""Clusters start side by side, listen on loopback only, and leave no process behind."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest

from kapstan.localcluster import LocalCluster, Toolchain, ports
from kapstan.localcluster import cluster as cluster_mod
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import capture, processes_mentioning

pytestmark = pytest.mark.cluster


def listening_addresses(pids: set[int]) -> set[str]:
    """Local addresses of TCP sockets in LISTEN state owned by ``pids`` (from /proc)."""
    inodes: set[str] = set()
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A = LISTEN
                found.add(cols[1].split(":")[0])
    return found


def test_two_clusters_side_by_side_then_nothing_left(tmp_path: Path, toolchain: Toolchain) -> None:
    a = LocalCluster(tmp_path / "a", toolchain=toolchain, nodes=1)
    b = LocalCluster(tmp_path / "b", toolchain=toolchain, nodes=1)
    try:
        a.start()
        b.start()
        assert a.server != b.server
        assert a.kubeconfig != b.kubeconfig
        ka, kb = Kubectl(a.kubeconfig, toolchain), Kubectl(b.kubeconfig, toolchain)
        ka("create", "configmap", "only-in-a", "-n", "default")
        assert "only-in-a" in ka("get", "configmaps", "-n", "default")
        assert "only-in-a" not in kb("get", "configmaps", "-n", "default")

        pids = {h.pid for c in (a, b) for h in (c.state.processes if c.state else ())}
        assert len(pids) == 10
        # 0100007F is 127.0.0.1 in /proc/net/tcp's byte order; nothing else may listen.
        assert listening_addresses(pids) == {"0100007F"}
    finally:
        a.stop()
        b.stop()
    assert processes_mentioning(str(tmp_path)) == []
    assert not (tmp_path / "a" / "state.json").exists()


def test_cli_up_kubeconfig_get_nodes_down(toolchain: Toolchain) -> None:
    name = f"pytest-{uuid.uuid4().hex[:8]}"
    kapstan = str(Path(__import__("sys").executable).parent / "kapstan")
    env = dict(os.environ)
    try:
        capture(
            [kapstan, "local-cluster", "up", "--name", name, "--nodes", "2"], env=env, timeout=240
        )
        kubeconfig = capture(
            [kapstan, "local-cluster", "kubeconfig", "--name", name], env=env
        ).strip()
        nodes = Kubectl(Path(kubeconfig), toolchain)("get", "nodes")
        rows = [line.split() for line in nodes.splitlines()[1:]]
        assert len(rows) == 2
        assert all(r[1] == "Ready" for r in rows), nodes
        status = capture(
            [kapstan, "local-cluster", "status", "--name", name, "-o", "json"], env=env
        )
        assert '"running": true' in status
    finally:
        capture([kapstan, "local-cluster", "down", "--name", name], env=env)
    assert processes_mentioning(f"/clusters/{name}/") == []


def test_a_port_taken_before_the_api_server_binds_it_costs_a_retry_not_the_start(
    tmp_path: Path, toolchain: Toolchain, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race a CI run lost: a port was free when chosen, then another socket took it.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        handed = iter([ports.free_port(), ports.free_port(), taken.getsockname()[1]])
        monkeypatch.setattr(
            cluster_mod, "free_port", lambda: next(handed, None) or ports.free_port()
        )
        c = LocalCluster(tmp_path / "c", toolchain=toolchain, nodes=1)
        try:
            c.start()
            assert c.state is not None
            assert c.state.api_port != taken.getsockname()[1]
            assert "kwok-node-0" in Kubectl(c.kubeconfig, toolchain)("get", "nodes")
        finally:
            c.stop()
    assert processes_mentioning(str(tmp_path)) == []
