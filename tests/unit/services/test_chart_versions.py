"""Which Helm chart revisions may be served from the render cache."""

from __future__ import annotations

import pytest

from kapstan.services.manifests import is_exact_chart_version


@pytest.mark.parametrize(
    ("revision", "exact"),
    [
        ("0.1.0", True),
        ("v1.2.3", True),
        ("1.2", False),
        ("1.0.0-rc.1", True),
        ("1.0.0+build.7", True),
        ("0.1.*", False),
        ("0.1.x", False),
        (">=0.1.0 <0.2.0", False),
        ("~1.2", False),
        ("^1.0", False),
        ("*", False),
        ("", False),
    ],
)
def test_only_exact_versions_are_cacheable(revision: str, exact: bool) -> None:
    assert is_exact_chart_version(revision) is exact
