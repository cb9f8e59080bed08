from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.services.imagecluster import tag_server


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    """host:port of the tag server (see :func:`~tests.unit.services.imagecluster.tag_server`)."""
    with tag_server() as host:
        yield host
