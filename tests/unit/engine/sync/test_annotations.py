"""Sync annotation parsing: waves, hooks, delete policies, Helm mapping, sync options."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.model.annotations import (
    AnnotationError,
    SyncOptions,
    delete_policies,
    hook_types,
    is_hook,
    is_skip,
    parse_option_list,
    sync_wave,
)
from kapstan.model.sync import HookDeletePolicy as P
from kapstan.model.sync import HookType as H


def obj(**annotations: str) -> dict[str, Any]:
    return {"kind": "Job", "metadata": {"name": "j", "annotations": annotations}}


def a(key: str, value: str) -> dict[str, Any]:
    return {"kind": "Job", "metadata": {"name": "j", "annotations": {key: value}}}


@pytest.mark.parametrize(
    ("annotations", "wave"),
    [
        ({}, 0),
        ({"argocd.argoproj.io/sync-wave": "3"}, 3),
        ({"argocd.argoproj.io/sync-wave": "-2"}, -2),
        ({"argocd.argoproj.io/sync-wave": " 7 "}, 7),
        ({"helm.sh/hook-weight": "-5"}, -5),
        ({"argocd.argoproj.io/sync-wave": "1", "helm.sh/hook-weight": "9"}, 1),
        ({"argocd.argoproj.io/hook": "PreSync", "helm.sh/hook-weight": "9"}, 0),
    ],
)
def test_sync_wave(annotations: dict[str, str], wave: int) -> None:
    assert sync_wave({"metadata": {"annotations": annotations}}) == wave


@pytest.mark.parametrize("bad", ["", "one", "1.5", "0x10"])
def test_invalid_wave_is_a_clear_error(bad: str) -> None:
    with pytest.raises(AnnotationError, match=r"sync-wave annotation.*must be an integer"):
        sync_wave(a("argocd.argoproj.io/sync-wave", bad))


def test_invalid_helm_weight_is_an_error() -> None:
    with pytest.raises(AnnotationError, match="hook-weight"):
        sync_wave(a("helm.sh/hook-weight", "heavy"))


def test_no_metadata_is_wave_zero_and_no_hook() -> None:
    assert sync_wave({}) == 0
    assert sync_wave(None) == 0
    assert hook_types({"metadata": "junk"}) == ()


@pytest.mark.parametrize(
    ("key", "value", "types"),
    [
        ("argocd.argoproj.io/hook", "PreSync", (H.PRE_SYNC,)),
        ("argocd.argoproj.io/hook", "PreSync, PostSync,PreSync", (H.PRE_SYNC, H.POST_SYNC)),
        ("argocd.argoproj.io/hook", "SyncFail,Unknown", (H.SYNC_FAIL,)),
        ("argocd.argoproj.io/hook", "PreDelete,PostDelete", (H.PRE_DELETE, H.POST_DELETE)),
        ("helm.sh/hook", "pre-install,pre-upgrade", (H.PRE_SYNC,)),
        ("helm.sh/hook", "post-install,post-upgrade", (H.POST_SYNC,)),
        ("helm.sh/hook", "pre-delete", (H.PRE_DELETE,)),
        ("helm.sh/hook", "post-delete", (H.POST_DELETE,)),
        ("helm.sh/hook", "test,test-success,test-failure", ()),
        ("helm.sh/hook", "pre-rollback,post-rollback", ()),
        ("helm.sh/hook", "crd-install", ()),
    ],
)
def test_hook_types(key: str, value: str, types: tuple[H, ...]) -> None:
    assert hook_types(a(key, value)) == types


def test_argo_hook_annotation_hides_helm_hooks() -> None:
    both = obj(**{"argocd.argoproj.io/hook": "Sync", "helm.sh/hook": "pre-install"})
    assert hook_types(both) == (H.SYNC,)
    policy_only = obj(**{"argocd.argoproj.io/hook-delete-policy": "HookFailed",
                         "helm.sh/hook": "pre-install"})  # fmt: skip
    assert hook_types(policy_only) == ()
    assert not is_hook(policy_only)


def test_skip() -> None:
    assert is_skip(a("argocd.argoproj.io/hook", "Skip"))
    assert not is_hook(a("argocd.argoproj.io/hook", "Skip"))
    assert not is_skip(a("argocd.argoproj.io/hook", "Skip,PreSync"))
    assert is_hook(a("argocd.argoproj.io/hook", "Skip,PreSync"))


@pytest.mark.parametrize(
    ("annotations", "policies"),
    [
        ({}, (P.BEFORE_HOOK_CREATION,)),
        ({"argocd.argoproj.io/hook-delete-policy": "HookSucceeded"}, (P.HOOK_SUCCEEDED,)),
        (
            {"argocd.argoproj.io/hook-delete-policy": "HookFailed, HookSucceeded,HookFailed"},
            (P.HOOK_FAILED, P.HOOK_SUCCEEDED),
        ),
        ({"argocd.argoproj.io/hook-delete-policy": "Whenever"}, (P.BEFORE_HOOK_CREATION,)),
        ({"helm.sh/hook-delete-policy": "hook-succeeded"}, (P.HOOK_SUCCEEDED,)),
        ({"helm.sh/hook-delete-policy": "hook-failed"}, (P.HOOK_FAILED,)),
        ({"helm.sh/hook-delete-policy": "before-hook-creation"}, (P.BEFORE_HOOK_CREATION,)),
        (
            {"argocd.argoproj.io/hook": "PreSync", "helm.sh/hook-delete-policy": "hook-failed"},
            (P.BEFORE_HOOK_CREATION,),
        ),
    ],
)
def test_delete_policies(annotations: dict[str, str], policies: tuple[P, ...]) -> None:
    assert delete_policies(obj(**annotations)) == policies


def test_option_list_parsing() -> None:
    assert parse_option_list(
        [" Prune=false ", "junk", "=x", "Validate=false", "Prune=confirm"]
    ) == {
        "Prune": "confirm",
        "Validate": "false",
    }


def test_default_options() -> None:
    options = SyncOptions.merged([])
    assert options == SyncOptions()
    assert options.validate
    assert options.prune_propagation_policy == "foreground"
    assert not options.server_side_apply


def test_every_option() -> None:
    options = SyncOptions.merged(
        [
            "Prune=false",
            "Delete=confirm",
            "Validate=false",
            "CreateNamespace=true",
            "PruneLast=true",
            "ApplyOutOfSyncOnly=true",
            "ServerSideApply=true",
            "Replace=true",
            "Force=true",
            "PrunePropagationPolicy=orphan",
            "RespectIgnoreDifferences=true",
            "FailOnSharedResource=true",
            "SkipDryRunOnMissingResource=true",
        ]
    )
    assert options == SyncOptions(
        prune="false",
        delete="confirm",
        validate=False,
        create_namespace=True,
        prune_last=True,
        apply_out_of_sync_only=True,
        server_side_apply=True,
        replace=True,
        force=True,
        prune_propagation_policy="orphan",
        respect_ignore_differences=True,
        fail_on_shared_resource=True,
        skip_dry_run_on_missing_resource=True,
    )


def test_resource_options_override_app_options() -> None:
    resource = a(
        "argocd.argoproj.io/sync-options",
        "ServerSideApply=false, Prune=true,ApplyOutOfSyncOnly=false",
    )
    options = SyncOptions.merged(
        ["ServerSideApply=true", "Prune=false", "ApplyOutOfSyncOnly=true", "Replace=true"], resource
    )
    assert not options.server_side_apply
    assert options.prune == ""
    assert not options.apply_out_of_sync_only
    assert options.replace


def test_helm_keep_means_delete_false_unless_overridden() -> None:
    assert SyncOptions.merged([], a("helm.sh/resource-policy", "keep")).delete == "false"
    both = obj(
        **{"helm.sh/resource-policy": "keep", "argocd.argoproj.io/sync-options": "Delete=true"}
    )
    assert SyncOptions.merged([], both).delete == ""


def test_unknown_values_are_ignored_but_bad_propagation_is_an_error() -> None:
    assert SyncOptions.merged(["Prune=maybe", "Nonsense=1"]) == SyncOptions()
    with pytest.raises(AnnotationError, match="PrunePropagationPolicy"):
        SyncOptions.merged(["PrunePropagationPolicy=later"])
