"""Git write-back's pure parts: which kustomization is edited, how (as ``kustomize edit set
image``), the ``.argocd-source-<app>.yaml`` default target, the commit message, and the targets
that are refused with a reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.services.images.annotations import read_annotations
from kapstan.services.images.gitwriteback import (
    GitChange,
    branches,
    commit_message,
    kustomization_dir,
    set_images,
    target_of,
)
from kapstan.services.images.sourcefile import edit_source_file
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
        ("", "is not a kustomization"),
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


def test_no_target_is_argocd_image_updaters_default_file() -> None:
    assert target_of("apps/web", "", "shop") == (
        "argocd-source",
        "apps/web/.argocd-source-shop.yaml",
    )
    assert target_of("", "", "shop") == ("argocd-source", ".argocd-source-shop.yaml")


def _app(kind: str) -> dict[str, Any]:
    return {"metadata": {"name": "shop"}, "status": {"sourceType": kind}}


def test_source_file_gets_the_kustomize_image_and_keeps_the_rest(tmp_path: Path) -> None:
    file = tmp_path / "apps/web/.argocd-source-shop.yaml"
    file.parent.mkdir(parents=True)
    file.write_text("kustomize:\n  images:\n  - other/db:5\n  namePrefix: p-\n")
    edit = edit_source_file("apps/web/.argocd-source-shop.yaml", _app("Kustomize"),
                            [GitChange(_spec(), "1.2.4", None, "1.2.3")])  # fmt: skip
    assert edit(tmp_path)
    assert yaml.safe_load(file.read_text()) == {
        "kustomize": {"images": ["other/db:5", "reg.io/team/web:1.2.4"], "namePrefix": "p-"}
    }
    assert not edit(tmp_path)  # already says so: nothing to commit


def test_source_file_is_created_with_helm_parameters(tmp_path: Path) -> None:
    edit = edit_source_file(".argocd-source-shop.yaml", _app("Helm"),
                            [GitChange(_spec(), "1.2.4", None, None)])  # fmt: skip
    assert edit(tmp_path)
    assert yaml.safe_load((tmp_path / ".argocd-source-shop.yaml").read_text()) == {
        "helm": {
            "parameters": [
                {"name": "image.name", "value": "reg.io/team/web"},
                {"name": "image.tag", "value": "1.2.4"},
            ]
        }
    }


def test_a_source_file_that_is_not_a_map_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / ".argocd-source-shop.yaml").write_text("- a list\n")
    edit = edit_source_file(".argocd-source-shop.yaml", _app("Kustomize"),
                            [GitChange(_spec(), "1.2.4", None, None)])  # fmt: skip
    with pytest.raises(WriteBackError, match="not a map of source fields"):
        edit(tmp_path)
    assert (tmp_path / ".argocd-source-shop.yaml").read_text() == "- a list\n"


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
