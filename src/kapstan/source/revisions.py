"""Resolving ``targetRevision`` against a remote's refs: pure logic, mirroring Argo CD.

Argo CD's rules (``util/git/client.go`` ``resolveRevision`` and ``util/versions.MaxVersion``):

- empty or ``HEAD`` → the commit the remote's ``HEAD`` points at (its default branch);
- a full 40-hex SHA is used as is, without asking the remote;
- a string that parses as a semver *version* (``v1.2.3``, ``1.2``) is a pin, NOT a constraint:
  it must equal a tag (or branch) name exactly;
- a string that parses as a semver *constraint* (``1.2.*``, ``>=1.0.0 <2.0.0``, ``~1.2``,
  ``^1.0``; commas mean AND as in Masterminds/semver) picks the highest tag satisfying it; tags
  may carry a ``v`` prefix; prerelease tags only count when the constraint itself names a
  prerelease; no satisfying tag is an error;
- otherwise a ref name: a full ``refs/...`` name, or a short name where branches win over tags
  (the order ``git ls-remote`` lists them in);
- a 7..39-hex string that names no ref is a short SHA; resolving it needs the objects, so it
  is left to the git client (:func:`needs_objects`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import nodesemver  # type: ignore[import-untyped]  # ships no type information

_FULL_SHA = re.compile(r"^[0-9a-fA-F]{40}$")
_SHORT_SHA = re.compile(r"^[0-9a-fA-F]{7,39}$")
# Masterminds/semver's NewVersion accepts a 'v' prefix and missing minor/patch parts.
_VERSION = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?P<pre>-[0-9A-Za-z.-]+)?(?P<build>\+[0-9A-Za-z.-]+)?$"
)
# A prerelease part inside a constraint: a digit, then '-', then an identifier (not ' - ').
_CONSTRAINT_PRERELEASE = re.compile(r"\d-[0-9A-Za-z]")


def is_commit_sha(revision: str) -> bool:
    """True for a full 40-hex-digit SHA-1."""
    return bool(_FULL_SHA.match(revision))


def is_short_sha(revision: str) -> bool:
    """True for a 7..39 hex-digit string (Argo CD's IsTruncatedCommitSHA minus full SHAs)."""
    return bool(_SHORT_SHA.match(revision))


@dataclass(frozen=True)
class RemoteRefs:
    """What ``git ls-remote --symref`` says: ref name → commit SHA, and HEAD's target branch.

    For annotated tags ``refs`` holds the peeled commit (the ``^{}`` line), not the tag object.
    """

    refs: dict[str, str] = field(default_factory=dict)
    head: str | None = None  # e.g. "refs/heads/main"

    @property
    def tags(self) -> dict[str, str]:
        """Short tag name → commit SHA."""
        return {n.removeprefix("refs/tags/"): s for n, s in self.refs.items() if _is_tag(n)}

    @property
    def branches(self) -> dict[str, str]:
        """Short branch name → commit SHA."""
        return {
            n.removeprefix("refs/heads/"): s
            for n, s in self.refs.items()
            if n.startswith("refs/heads/")
        }


def _is_tag(name: str) -> bool:
    return name.startswith("refs/tags/")


def parse_ls_remote(text: str) -> RemoteRefs:
    """Parse ``git ls-remote --symref`` output (``<sha>\\t<ref>`` and ``ref: <target>\\tHEAD``)."""
    refs: dict[str, str] = {}
    peeled: dict[str, str] = {}
    head: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        left, _, name = line.partition("\t")
        if left.startswith("ref: "):
            if name == "HEAD":
                head = left.removeprefix("ref: ").strip()
            continue
        if name.endswith("^{}"):
            peeled[name.removesuffix("^{}")] = left
        else:
            refs[name] = left
    refs.update(peeled)  # an annotated tag resolves to the commit it points at
    return RemoteRefs(refs=refs, head=head)


def parse_version(tag: str) -> str | None:
    """Coerce a tag such as ``v1.2`` to a full semver string ``1.2.0``; None if not a version."""
    m = _VERSION.match(tag.strip())
    if m is None:
        return None
    core = f"{m['major']}.{m['minor'] or 0}.{m['patch'] or 0}"
    return core + (m["pre"] or "") + (m["build"] or "")


def _range(constraint: str) -> str | None:
    """node-semver range text for a Masterminds-style constraint, or None if not a constraint."""
    text = constraint.replace(",", " ").strip()
    if not text or parse_version(text) is not None:
        return None
    if not re.search(r"\d|\*", text):
        return None  # plain words such as "main" are ref names, never ranges
    try:
        nodesemver.make_range(text, True)
    except ValueError:
        return None
    return text


def is_constraint(revision: str) -> bool:
    """True when ``revision`` is a semver constraint (a version pin is not a constraint)."""
    return _range(revision) is not None


def max_satisfying_tag(constraint: str, tags: Iterable[str]) -> str | None:
    """The tag with the highest version that satisfies ``constraint`` (None if none does)."""
    rng = _range(constraint)
    if rng is None:
        return None
    allow_pre = bool(_CONSTRAINT_PRERELEASE.search(constraint))
    best: tuple[str, str] | None = None  # (version, tag)
    for tag in tags:
        version = parse_version(tag)
        if version is None:
            continue
        if "-" in version.split("+")[0] and not allow_pre:
            continue
        if not nodesemver.satisfies(version, rng, True, include_prerelease=allow_pre):
            continue
        if best is None or nodesemver.gt(version, best[0], True):
            best = (version, tag)
    return best[1] if best else None


class UnsatisfiableConstraint(LookupError):
    """A semver constraint matched no tag."""


def resolve_ref(revision: str, remote: RemoteRefs) -> str | None:
    """The commit SHA ``revision`` names among ``remote``'s refs, or None if no ref matches.

    Raises UnsatisfiableConstraint for a semver constraint no tag satisfies.
    """
    revision = revision.strip()
    if revision in ("", "HEAD"):
        if remote.head and remote.head in remote.refs:
            return remote.refs[remote.head]
        return remote.refs.get("HEAD")
    if is_commit_sha(revision):
        return revision.lower()
    if is_constraint(revision):
        tag = max_satisfying_tag(revision, remote.tags)
        if tag is None:
            raise UnsatisfiableConstraint(revision)
        return remote.tags[tag]
    if revision in remote.refs:
        return remote.refs[revision]
    branches = remote.branches
    if revision in branches:
        return branches[revision]
    return remote.tags.get(revision)


def needs_objects(revision: str) -> bool:
    """True when an unresolved ``revision`` may still be a short SHA (fetch, then rev-parse)."""
    return is_short_sha(revision.strip())
