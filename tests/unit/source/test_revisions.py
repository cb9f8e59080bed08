"""Pure targetRevision logic: ls-remote parsing, semver constraints over tags, ref resolution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.source import revisions as rv

DATA: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "testdata/semver.yaml").read_text())

A = "a" * 40
B = "b" * 40
C = "c" * 40
T = "d" * 40  # an annotated tag object; its peeled commit is C
LS_REMOTE = f"""ref: refs/heads/main\tHEAD
{A}\tHEAD
{B}\trefs/heads/dev
{A}\trefs/heads/main
{B}\trefs/heads/v1.0.0
{T}\trefs/tags/v1.0.0
{C}\trefs/tags/v1.0.0^{{}}
{B}\trefs/tags/dev
{C}\trefs/tags/v1.1.0
"""


@pytest.mark.parametrize("case", DATA["cases"], ids=lambda c: c["constraint"])
def test_max_satisfying_tag(case: dict[str, Any]) -> None:
    assert rv.is_constraint(case["constraint"])
    assert rv.max_satisfying_tag(case["constraint"], DATA["tags"]) == case["expect"]


@pytest.mark.parametrize("revision", DATA["not_constraints"])
def test_not_constraints(revision: str) -> None:
    assert not rv.is_constraint(revision)


def test_parse_ls_remote_peels_annotated_tags_and_reads_head() -> None:
    refs = rv.parse_ls_remote(LS_REMOTE)
    assert refs.head == "refs/heads/main"
    assert refs.tags["v1.0.0"] == C  # the commit, not the tag object
    assert refs.branches == {"dev": B, "main": A, "v1.0.0": B}


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        ("", A),
        ("HEAD", A),
        ("main", A),
        ("refs/heads/dev", B),
        ("refs/tags/v1.0.0", C),
        ("dev", B),  # a branch and a tag share the name: the branch wins, as in Argo CD
        ("v1.0.0", B),  # a version pin is a name, so the branch of that name wins too
        ("^1.0", C),  # highest of v1.0.0 and v1.1.0 (both at C)
        ("E" * 40, "e" * 40),  # full SHA: as given (lower-cased), no lookup
        ("nope", None),
        ("abcdef1", None),  # may be a short SHA: the client must look at objects
    ],
)
def test_resolve_ref(revision: str, expected: str | None) -> None:
    assert rv.resolve_ref(revision, rv.parse_ls_remote(LS_REMOTE)) == expected


def test_unsatisfiable_constraint_is_an_error() -> None:
    with pytest.raises(rv.UnsatisfiableConstraint):
        rv.resolve_ref("^5.0", rv.parse_ls_remote(LS_REMOTE))


def test_head_without_symref_falls_back_to_head_sha() -> None:
    assert rv.resolve_ref("HEAD", rv.parse_ls_remote(f"{B}\tHEAD\n{A}\trefs/heads/main\n")) == B


@pytest.mark.parametrize(
    ("text", "short", "full"),
    [("abcdef1", True, False), ("abc", False, False), (A, False, True), ("xyz1234", False, False)],
)
def test_sha_shapes(text: str, short: bool, full: bool) -> None:
    assert rv.is_short_sha(text) is short
    assert rv.is_commit_sha(text) is full
    assert rv.needs_objects(text) is short
