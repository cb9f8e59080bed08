"""argocd-image-updater's ImageUpdater resource read into the same settings the annotations
give: selection by namePattern and labels, layered settings, manifest targets, write-back."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.services.images.annotations import ConfigError, WriteBackMethod
from kapstan.services.images.imageupdater import app_settings, settings_for
from kapstan.services.images.policy import Strategy

UPDATER: dict[str, Any] = {
    "metadata": {"name": "iu", "namespace": "argocd"},
    "spec": {
        "namespace": "argocd",
        "commonUpdateSettings": {"updateStrategy": "semver", "ignoreTags": ["latest"]},
        "writeBackConfig": {"method": "argocd"},
        "applicationRefs": [
            {
                "namePattern": "prod-*",
                "labelSelectors": {"matchLabels": {"team": "web"}},
                "commonUpdateSettings": {"updateStrategy": "newest-build"},
                "images": [
                    {
                        "alias": "web",
                        "imageName": "ghcr.io/o/web:1.x",
                        "commonUpdateSettings": {
                            "allowTags": "regexp:^1\\.",
                            "platforms": ["linux/arm64"],
                            "forceUpdate": True,
                        },
                        "manifestTargets": {"helm": {"name": "web.repo", "tag": "web.tag"}},
                    },
                    {
                        "alias": "side",
                        "imageName": "ghcr.io/o/side",
                        "manifestTargets": {"kustomize": {"name": "side"}},
                    },
                ],
            },
            {
                "namePattern": "*",
                "writeBackConfig": {
                    "method": "git",
                    "gitConfig": {"branch": "main", "writeBackTarget": "kustomization"},
                },
                "images": [{"alias": "any", "imageName": "nginx:~1.26"}],
            },
        ],
    },
}


def _app(name: str, labels: dict[str, str] | None = None, ns: str = "argocd") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns, "labels": labels or {}}}


def test_first_matching_ref_with_layered_settings() -> None:
    got = settings_for(UPDATER, _app("prod-shop", {"team": "web"}))
    assert got is not None
    web, side = got.images
    assert (web.policy.strategy, web.policy.constraint) == (Strategy.NEWEST_BUILD, "")
    assert web.policy.filter.ignore == ("latest",)  # from the spec's settings
    assert web.policy.filter.allow == "regexp:^1\\."
    assert [str(p) for p in web.policy.platforms] == ["linux/arm64"]
    assert web.force
    assert (web.helm_name, web.helm_tag) == ("web.repo", "web.tag")
    assert (side.kustomize_name, side.policy.strategy) == ("side", Strategy.NEWEST_BUILD)
    assert got.write_back.method is WriteBackMethod.ARGOCD


def test_labels_and_patterns_select_the_ref() -> None:
    got = settings_for(UPDATER, _app("prod-shop", {"team": "db"}))
    assert got is not None  # the catch-all entry
    assert [i.alias for i in got.images] == ["any"]
    assert (got.images[0].policy.constraint, got.write_back.method) == (
        "~1.26",
        WriteBackMethod.GIT,
    )
    assert (got.write_back.branch, got.write_back.target) == ("main", "kustomization")
    assert settings_for(UPDATER, _app("prod-shop", ns="elsewhere")) is None


def test_annotations_win_over_image_updaters() -> None:
    app = _app("prod-shop", {"team": "web"})
    app["metadata"]["annotations"] = {"argocd-image-updater.argoproj.io/image-list": "x=a/b"}
    settings, source = app_settings(app, [UPDATER])
    assert settings is not None
    assert ([i.alias for i in settings.images], source) == (["x"], "annotations")
    settings, source = app_settings(_app("dev", {}), [UPDATER])
    assert source == "ImageUpdater iu"
    assert app_settings(_app("dev", {}, ns="other"), [UPDATER]) == (None, "")


@pytest.mark.parametrize(
    ("images", "message"),
    [
        ([{"alias": "a"}], "needs alias and imageName"),
        (
            [{"alias": "a", "imageName": "x/y", "commonUpdateSettings": {"updateStrategy": "big"}}],
            "ImageUpdater argocd/iu: .*unknown update strategy",
        ),
    ],
)
def test_bad_image_updaters_name_themselves(images: list[dict[str, Any]], message: str) -> None:
    bad = {
        "metadata": {"name": "iu", "namespace": "argocd"},
        "spec": {"applicationRefs": [{"namePattern": "*", "images": images}]},
    }
    with pytest.raises(ConfigError, match=message):
        settings_for(bad, _app("x"))
