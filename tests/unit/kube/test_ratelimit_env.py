"""The client rate a Kapstan process takes from Argo CD's environment variables."""

from __future__ import annotations

import logging

import pytest

from kapstan.kube.client import KubeClient
from kapstan.kube.config import ClusterConfig
from kapstan.kube.ratelimit import BURST_ENV, DEFAULT_BURST, DEFAULT_QPS, QPS_ENV, client_rate

CASES = [
    # (ARGOCD_K8S_CLIENT_QPS, ARGOCD_K8S_CLIENT_BURST, expected (qps, burst), warned)
    (None, None, (DEFAULT_QPS, DEFAULT_BURST), False),
    ("100", "200", (100.0, 200), False),
    ("7.5", None, (7.5, DEFAULT_BURST), False),
    ("fast", "-3", (DEFAULT_QPS, DEFAULT_BURST), True),
    ("0", "", (DEFAULT_QPS, DEFAULT_BURST), True),
]


@pytest.mark.parametrize(("qps", "burst", "expected", "warned"), CASES)
def test_client_rate_follows_argocd_env(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    qps: str | None,
    burst: str | None,
    expected: tuple[float, int],
    warned: bool,
) -> None:
    for name, value in ((QPS_ENV, qps), (BURST_ENV, burst)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with caplog.at_level(logging.WARNING):
        assert client_rate() == expected
    assert ("is not a positive number" in caplog.text) is warned


def test_a_client_without_a_rate_takes_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(QPS_ENV, "25")
    monkeypatch.setenv(BURST_ENV, "30")
    config = ClusterConfig(server="https://127.0.0.1:1")
    client = KubeClient(config)
    assert (client.limiter.qps, client.limiter.burst) == (25.0, 30)
    explicit = KubeClient(config, qps=0.0, burst=5)
    assert (explicit.limiter.qps, explicit.limiter.burst) == (0.0, 5)
