"""The peers' builds (``make bench-peers``): the wrapper module Argo CD and Flux need here,
Argo CD's version stamp that its API parses, and no rebuild of a peer already built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kapstan.localcluster.peers_build import PeerBuild, PeerSpec, ldflags, load_specs, wrapper_edits

ARGOCD_GOMOD = """\
module github.com/argoproj/argo-cd/v3

go 1.27.0

require github.com/argoproj/argo-cd/gitops-engine/v3 v3.6.1

replace (
	github.com/argoproj/argo-cd/gitops-engine/v3 => ./gitops-engine
	github.com/golang/protobuf => github.com/golang/protobuf v1.5.4
	k8s.io/api => k8s.io/api v0.37.0
)
"""


def test_argocd_wrapper_drops_the_local_gitops_engine_and_asks_for_go_1_27() -> None:
    spec = load_specs()["argocd"]
    assert spec.gotoolchain == "go1.27.3"
    assert wrapper_edits(spec, ARGOCD_GOMOD) == [
        "-replace=github.com/golang/protobuf=github.com/golang/protobuf@v1.5.4",
        "-replace=k8s.io/api=k8s.io/api@v0.37.0",
        "-go=1.27.0",
    ]


def test_source_controller_pins_the_artifact_module_the_proxy_serves() -> None:
    spec = load_specs()["source-controller"]
    edits = wrapper_edits(spec, "module github.com/fluxcd/source-controller\n\ngo 1.26.0\n")
    assert edits == [
        "-replace=github.com/fluxcd/pkg/artifact=github.com/fluxcd/pkg/artifact@v0.18.0",
        "-go=1.26.0",
    ]
    assert spec.tidy_tolerant


def test_argocd_version_is_stamped_without_a_leading_v() -> None:
    # With "v3.6.1" Argo CD reports "vv3.6.1" and argocd-server's /api/version fails.
    flags = ldflags(load_specs()["argocd"], {"Time": "2026-11-04T13:21:06Z"})
    assert "-X github.com/argoproj/argo-cd/v3/common.version=3.6.1 " in flags
    assert "common.buildDate=2026-11-04T13:21:06Z" in flags
    assert ldflags(load_specs()["kustomize-controller"], {}) == "-s -w"


@pytest.mark.parametrize(("stamped_version", "built"), [("v1.9.6", True), ("v1.9.5", False)])
def test_a_peer_is_rebuilt_only_when_its_version_changes(
    tmp_path: Path, stamped_version: str, built: bool
) -> None:
    spec = PeerSpec("kustomize-controller", "github.com/fluxcd/kustomize-controller", "v1.9.6",
                    "github.com/fluxcd/kustomize-controller")  # fmt: skip
    old = PeerBuild(PeerSpec(**{**spec.__dict__, "version": stamped_version}), root=tmp_path)
    build = PeerBuild(spec, root=tmp_path)
    build.binary.parent.mkdir(parents=True)
    build.binary.write_bytes(b"")
    (build.root / ".built").write_text(json.dumps({"fingerprint": old.fingerprint()}))
    assert build.is_built() is built
