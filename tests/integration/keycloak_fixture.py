"""The session's Keycloak (started once: ``kc.sh start-dev`` takes 20-85 s), shared by the SSO
test modules that import this fixture. A missing distribution fails the test (``make test``
installs it through ``make keycloak``); it never skips."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kapstan.testing.keycloak import Keycloak, keycloak_server


@pytest.fixture(scope="session")
def keycloak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keycloak]:
    try:
        with keycloak_server(tmp_path_factory.mktemp("keycloak")) as server:
            yield server
    except RuntimeError as err:
        pytest.fail(str(err))
