"""In-place YAML scalar edits for the helmvalues write-back: only the value changes; comments,
quoting, order and blank lines stay; what cannot be edited safely is refused."""

from __future__ import annotations

import pytest

from kapstan.services.images.yamledit import YamlEditError, set_scalar

VALUES = """# chart values
replicas: 2
image:
  # which image
  name: reg.io/team/web   # repository
  tag: "1.2.3"  # pinned by the image updater

sidecar:
  image:
    tag: '0.1'
    name: reg.io/side
flow: {tag: x}
multi: |
  text
"""


@pytest.mark.parametrize(
    ("path", "value", "line_before", "line_after"),
    [
        (
            "image.tag",
            "1.2.4",
            '  tag: "1.2.3"  # pinned by the image updater',
            '  tag: "1.2.4"  # pinned by the image updater',
        ),
        (
            "image.name",
            "reg.io/team/web2",
            "  name: reg.io/team/web   # repository",
            "  name: reg.io/team/web2   # repository",
        ),
        ("sidecar.image.tag", "0.2", "    tag: '0.1'", "    tag: '0.2'"),
        ("replicas", "3", "replicas: 2", 'replicas: "3"'),
    ],
)
def test_only_the_value_changes(path: str, value: str, line_before: str, line_after: str) -> None:
    out = set_scalar(VALUES, path, value)
    assert out == VALUES.replace(line_before, line_after)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("image.digest", "key image.digest not found"),
        ("flow.tag", "key flow.tag not found"),
        ("multi", "not a one-line scalar"),
        ("sidecar", "not a one-line scalar"),
        ("", "empty key path"),
    ],
)
def test_what_cannot_be_edited_safely_is_refused(path: str, message: str) -> None:
    with pytest.raises(YamlEditError, match=message):
        set_scalar(VALUES, path, "x")
