"""``application_from_flags``: the Application ``app create``'s flags describe, as Argo CD's
``SetAppSpecOptions`` builds it (on top of a file's manifest when there is one)."""

from __future__ import annotations

import pytest

from kapstan.model.appspec import AppFlags, AppSpecError, application_from_flags, parse_pairs


def test_a_git_app_with_automated_sync() -> None:
    app = application_from_flags(
        AppFlags(
            name="guestbook",
            repo="https://git.example/r.git",
            path="guestbook",
            revision="main",
            dest_server="https://kubernetes.default.svc",
            dest_namespace="web",
            sync_policy="automated",
            auto_prune=True,
            self_heal=True,
            sync_options=("CreateNamespace=true",),
            labels=(("team", "a"),),
            set_finalizer=True,
        )
    )
    assert app == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": "guestbook",
            "labels": {"team": "a"},
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "source": {
                "repoURL": "https://git.example/r.git",
                "path": "guestbook",
                "targetRevision": "main",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
            "project": "default",
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    }


def test_a_helm_chart_with_parameters() -> None:
    app = application_from_flags(
        AppFlags(
            name="redis",
            repo="https://charts.example",
            chart="redis",
            revision="1.2.3",
            dest_name="prod",
            values=("values-prod.yaml",),
            release_name="cache",
            helm_set=(("replicas", "2"), ("replicas", "3")),
            helm_set_string=(("tag", "007"),),
            helm_set_file=(("cfg", "files/cfg.json"),),
        )
    )
    source = app["spec"]["source"]
    assert source["chart"] == "redis"
    assert "path" not in source
    assert source["helm"] == {
        "valueFiles": ["values-prod.yaml"],
        "releaseName": "cache",
        "parameters": [
            {"name": "replicas", "value": "3"},
            {"name": "tag", "value": "007", "forceString": True},
        ],
        "fileParameters": [{"name": "cfg", "path": "files/cfg.json"}],
    }
    assert app["spec"]["destination"] == {"name": "prod"}


def test_flags_override_a_file_and_keep_the_rest() -> None:
    base = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "from-file", "annotations": {"a": "1"}},
        "spec": {
            "project": "team",
            "source": {"repoURL": "https://r", "path": "p", "kustomize": {"images": ["nginx:1"]}},
            "destination": {"server": "https://s", "namespace": "n"},
            "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["Validate=false"]},
        },
    }
    app = application_from_flags(
        AppFlags(
            dest_name="other",
            kustomize_images=("nginx:2", "redis:7"),
            name_prefix="pre-",
            sync_policy="none",
            sync_options=("Validate=true",),
        ),
        base,
    )
    assert base["spec"]["destination"] == {"server": "https://s", "namespace": "n"}  # untouched
    assert app["metadata"] == {"name": "from-file", "annotations": {"a": "1"}}
    assert app["spec"]["project"] == "team"
    assert app["spec"]["destination"] == {"namespace": "n", "name": "other"}
    assert app["spec"]["source"]["kustomize"] == {
        "images": ["nginx:2", "redis:7"],
        "namePrefix": "pre-",
    }
    assert app["spec"]["syncPolicy"] == {"syncOptions": ["Validate=true"]}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (AppFlags(), "app name is required"),
        (AppFlags(name="a", auto_prune=True), "Cannot set --auto-prune"),
        (AppFlags(name="a", path="p", chart="c"), "mutually exclusive"),
        (AppFlags(name="a", dest_server="s", dest_name="n"), "mutually exclusive"),
        (AppFlags(name="a", sync_policy="sometimes"), "Invalid sync policy"),
    ],
)
def test_inconsistent_flags(flags: AppFlags, message: str) -> None:
    with pytest.raises(AppSpecError, match=message):
        application_from_flags(flags)


def test_parse_pairs() -> None:
    assert parse_pairs(["a=b", "c=d=e"], "--label") == (("a", "b"), ("c", "d=e"))
    with pytest.raises(AppSpecError, match="--label: expected key=value"):
        parse_pairs(["novalue"], "--label")
