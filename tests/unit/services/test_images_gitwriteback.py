"""Git write-back's pure parts: which kustomization is edited, how (as ``kustomize edit set
image``), the commit message, and the targets that are refused with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.services.images.annotations import read_annotations
from kapstan.services.images.gitwriteback import (
    GitChange,
    branches,
    commit_message,
    kustomization_dir,
    set_images,
    target_of,
)
from kapstan.services.images.writeback import WriteBackError

P = "argocd-image-updater.argoproj.io/"


def _spec(extra: dict[str, str] | None = None, image: str = "reg.io/team/web:1.x") -> Any:
    got = read_annotations({P + "image-list": f"web={image}", **(extra or {})})
    assert got is not None
    return got.images[0]


@pytest.mark.parametrize(
    ("path", "target", "want"),
    [
        ("apps/web", "kustomization", "apps/web"),
        ("apps/web", "kustomization:../base", "apps/base"),
        ("apps/web", "kustomization:/config/overlays/bar", "config/overlays/bar"),
        ("", "kustomization", "."),
    ],
)
def test_kustomization_dir(path: str, target: str, want: str) -> None:
    assert kustomization_dir(path, target) == want


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "renderer does not read those files yet"),
        ("flux-markers", "is not built"),
        ("helmvalues:values.yaml", "is not a kustomization"),
        ("kustomization:../../..", "leaves the repository"),
    ],
)
def test_targets_not_built_or_unsafe_are_refused(target: str, message: str) -> None:
    with pytest.raises(WriteBackError, match=message):
        kustomization_dir("apps/web", target)


def test_set_images_as_kustomize_edit_set_image() -> None:
    doc: dict[str, Any] = {"resources": ["d.yaml"], "images": [{"name": "other", "newTag": "1"}]}
    assert set_images(doc, [GitChange(_spec(), "1.2.4", None, "1.2.3")])
    assert doc["images"][1] == {"name": "reg.io/team/web", "newTag": "1.2.4"}
    assert not set_images(doc, [GitChange(_spec(), "1.2.4", None, "1.2.3")])  # idempotent
    named = _spec({P + "web.kustomize.image-name": "web"})
    assert set_images(doc, [GitChange(named, "1.2.5", None, None)])
    assert doc["images"][2] == {"name": "web", "newName": "reg.io/team/web", "newTag": "1.2.5"}
    digest = _spec({P + "web.update-strategy": "digest"}, image="reg.io/team/web:latest")
    assert set_images(doc, [GitChange(digest, "latest", "sha256:abc", None)])
    assert doc["images"][1] == {"name": "reg.io/team/web", "digest": "sha256:abc"}


def test_commit_message_lists_each_image() -> None:
    text = commit_message("shop", [GitChange(_spec(), "1.2.4", None, "1.2.3")])
    assert text == (
        "build: automatic update of shop\n\nupdates image reg.io/team/web tag '1.2.3' to '1.2.4'\n"
    )


@pytest.mark.parametrize(
    ("target", "want"),
    [
        ("helmvalues", ("helmvalues", "apps/web/values.yaml")),
        ("helmvalues:prod.yaml", ("helmvalues", "apps/web/prod.yaml")),
        ("helmvalues:/env/values.yaml", ("helmvalues", "env/values.yaml")),
        ("kustomization:../base", ("kustomization", "apps/base")),
    ],
)
def test_target_of(target: str, want: tuple[str, str]) -> None:
    assert target_of("apps/web", target) == want


def test_message_template_and_branch_templates() -> None:
    changes = [GitChange(_spec(), "1.2.4", None, "1.2.3")]
    template = (
        "chore({{ .AppName }}):{{ range .AppChanges }} {{ .Image }} {{ .OldTag }}->"
        "{{ .NewTag }}{{ end }}\n"
    )
    assert commit_message("shop", changes, template) == (
        "chore(shop): reg.io/team/web 1.2.3->1.2.4\n"
    )
    assert branches("main", "shop", changes) == ("main", None)
    base, pushed = branches(
        "main:image-updater{{range .Images}}-{{.Alias}}-{{.NewTag}}{{end}}", "shop", changes
    )
    assert (base, pushed) == ("main", "image-updater-web-1.2.4")
    _, by_sha = branches("main:image-updater-{{.SHA256}}", "shop", changes)
    assert by_sha is not None
    assert by_sha.startswith("image-updater-")
    assert len(by_sha) == len("image-updater-") + 64
    assert branches("main:image-updater-{{.SHA256}}", "shop", changes)[1] == by_sha  # stable


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("main:x-{{.Nope}}", "field .Nope does not exist"),
        ("main:x-{{ if .SHA1 }}", "is not supported"),
        ("{{.SHA1}}", "a template needs base:target"),
    ],
)
def test_bad_branch_templates_are_refused(spec: str, message: str) -> None:
    with pytest.raises(WriteBackError, match=message):
        branches(spec, "shop", [GitChange(_spec(), "1.2.4", None, "1.2.3")])


def test_bad_message_template_is_refused() -> None:
    with pytest.raises(WriteBackError, match="range without end"):
        commit_message("shop", [], "{{ range .AppChanges }}")
