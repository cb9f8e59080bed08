"""Shared fixtures: a real local cluster for the session, a fresh namespace per test."""

from __future__ import annotations

import gc
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan.localcluster import LocalCluster, Toolchain
from kapstan.localcluster.kubectl import Kubectl
from kapstan.localcluster.process import processes_mentioning


@pytest.fixture(scope="session")
def toolchain() -> Toolchain:
    tc = Toolchain()
    missing = [s.name for s in tc.missing()]
    if missing:
        pytest.fail(f"toolchain not built ({', '.join(missing)} missing): run `make toolchain`")
    return tc


@pytest.fixture(scope="session")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, toolchain: Toolchain
) -> Iterator[LocalCluster]:
    """One real control plane (etcd, apiserver, controller-manager, scheduler, kwok) for the run."""
    c = LocalCluster(tmp_path_factory.mktemp("cluster"), name="pytest", toolchain=toolchain)
    c.start()
    try:
        yield c
    finally:
        c.destroy()


@pytest.fixture(scope="session")
def kubeconfig(cluster: LocalCluster) -> Path:
    return cluster.kubeconfig


@pytest.fixture(scope="session")
def kubectl(cluster: LocalCluster, toolchain: Toolchain) -> Kubectl:
    return Kubectl(cluster.kubeconfig, toolchain)


@pytest.fixture(scope="session")
def argocd(kubeconfig: Path) -> str:
    """``kapstan install`` run once for the session, as a user runs it: the CRDs, the
    ``argocd`` namespace and its default AppProject. Returns the namespace."""
    from kapstan.demo.children import install

    install(kubeconfig, "argocd")
    return "argocd"


@pytest.fixture
def namespace(cluster: LocalCluster) -> Iterator[str]:
    """A namespace of its own for each test, deleted afterwards (without waiting)."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    cluster.request(
        "POST",
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    )
    yield name
    cluster.request("DELETE", f"/api/v1/namespaces/{name}")


_LEAKS: list[str] = []


@pytest.fixture(autouse=True)
def _collect_leaks(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each cluster test, collect garbage here, so an unclosed socket or transport is
    reported against the test that dropped it (listed at the end of the run) instead of
    failing whichever later test the garbage collector happens to interrupt."""
    yield
    if request.node.get_closest_marker("cluster") is None:
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    _LEAKS.extend(f"{request.node.nodeid}: {w.message}" for w in caught)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _LEAKS:
        terminalreporter.section("resources left for the garbage collector")
        for line in _LEAKS:
            terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Session fixtures are torn down by now: any process still naming our temp tree leaked.
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    base = str(factory.getbasetemp())
    strays = processes_mentioning(base)
    if strays:
        session.config.get_terminal_writer().line(
            f"ERROR: processes left running after the session: {strays}", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
