"""Flux setter markers: the marked scalar changes (whole reference, :tag, :name, :digest),
quoting and the rest of the line kept; unmarked lines and other policies untouched."""

from __future__ import annotations

import pytest

from kapstan.services.images.setters import SetterValue, set_markers

WEB = {"argocd:web": SetterValue("reg.io/team/web", "1.2.4", "sha256:abc")}
NO_DIGEST = {"argocd:web": SetterValue("reg.io/team/web", "1.2.4")}


@pytest.mark.parametrize(
    ("line", "values", "want"),
    [
        (
            '    image: reg.io/team/web:1.2.3 # {"$imagepolicy": "argocd:web"}\n',
            NO_DIGEST,
            '    image: reg.io/team/web:1.2.4 # {"$imagepolicy": "argocd:web"}\n',
        ),
        (
            '  - "reg.io/team/web:1.2.3"  # {"$imagepolicy": "argocd:web"}\n',
            NO_DIGEST,
            '  - "reg.io/team/web:1.2.4"  # {"$imagepolicy": "argocd:web"}\n',
        ),
        (
            'tag: 1.2.3 # {"$imagepolicy": "argocd:web:tag"}\n',
            WEB,
            'tag: 1.2.4 # {"$imagepolicy": "argocd:web:tag"}\n',
        ),
        (
            'repo: old/name # {"$imagepolicy": "argocd:web:name"}\n',
            WEB,
            'repo: reg.io/team/web # {"$imagepolicy": "argocd:web:name"}\n',
        ),
        (
            'digest: sha256:old # {"$imagepolicy": "argocd:web:digest"}\n',
            WEB,
            'digest: sha256:abc # {"$imagepolicy": "argocd:web:digest"}\n',
        ),
        (
            'image: reg.io/team/web:1.2.3 # {"$imagepolicy": "argocd:web"}\n',
            WEB,
            'image: reg.io/team/web@sha256:abc # {"$imagepolicy": "argocd:web"}\n',
        ),
        ('image: x:1 # {"$imagepolicy": "argocd:other"}\n', WEB, None),
        ("image: x:1 # a comment\n", WEB, None),
        ('digest: x # {"$imagepolicy": "argocd:web:digest"}\n', NO_DIGEST, None),
    ],
)
def test_markers(line: str, values: dict[str, SetterValue], want: str | None) -> None:
    assert set_markers(line, values) == (line if want is None else want)
