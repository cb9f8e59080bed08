"""Session fixtures: Debian's ``docker-registry`` on 127.0.0.1, plain and with htpasswd basic
auth, started once per session (each test pushes to its own repository names)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kapstan.testing.chartservers import DOCKER_REGISTRY
from kapstan.testing.registries import Pusher, Registry, image_registry
from kapstan.testing.tokenauth import token_service

USER, PASSWORD = "puller", "s3cret-pull"


def _need_registry() -> None:
    if not DOCKER_REGISTRY.exists():
        pytest.fail("docker-registry not installed: see toolchain/apt-packages.txt")


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    _need_registry()
    with image_registry(tmp_path_factory.mktemp("registry")) as reg:
        yield reg


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    _need_registry()
    root = tmp_path_factory.mktemp("auth-registry")
    with image_registry(root, username=USER, password=PASSWORD) as reg:
        yield reg


@pytest.fixture
def pusher(registry: Registry) -> Iterator[Pusher]:
    with Pusher(registry) as p:
        yield p


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """``docker-registry`` with its own ``token`` auth, tokens from a test token service."""
    _need_registry()
    root = tmp_path_factory.mktemp("token-registry")
    with (
        token_service(root / "tokens", USER, PASSWORD) as tokens,
        image_registry(root, username=USER, password=PASSWORD, tokens=tokens) as reg,
    ):
        yield reg
