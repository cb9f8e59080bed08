"""Image update policies, table-driven from testdata/images-policies.yaml, plus the policies
a user can get wrong (each must say what is wrong)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.services.images.policy import (
    Candidate,
    Order,
    Policy,
    PolicyError,
    Strategy,
    TagFilter,
    choose,
    needs_details,
    parse_strategy,
)
from kapstan.source.registry.wire import Platform, parse_time

CASES = yaml.safe_load((Path(__file__).parent / "testdata" / "images-policies.yaml").read_text())


def _candidate(raw: Any) -> Candidate:
    if isinstance(raw, str):
        return Candidate(raw)
    return Candidate(
        tag=str(raw["tag"]),
        created=parse_time(raw["created"]) if raw.get("created") else None,
        platforms=tuple(Platform.parse(p) for p in raw.get("platforms", [])),
        digest=raw.get("digest"),
    )


def _policy(raw: dict[str, Any]) -> Policy:
    return Policy(
        strategy=parse_strategy(raw.get("strategy", "semver")),
        constraint=str(raw.get("constraint", "")),
        filter=TagFilter(
            allow=raw.get("allow", ""),
            ignore=tuple(raw.get("ignore", [])),
            pattern=raw.get("pattern", ""),
            extract=raw.get("extract", ""),
        ),
        platforms=tuple(Platform.parse(p) for p in raw.get("platforms", [])),
        order=Order(raw.get("order", "asc")),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_policy_table(case: dict[str, Any]) -> None:
    choice = choose(_policy(case["policy"]), [_candidate(t) for t in case["tags"]])
    assert choice.tag == case["want"]
    if "reason" in case:
        assert case["reason"] in choice.reason
    if "digest" in case:
        assert choice.digest == case["digest"]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: parse_strategy("biggest"), "unknown update strategy 'biggest'"),
        (lambda: TagFilter(allow="^v1"), "must be 'any' or 'regexp:"),
        (lambda: TagFilter(allow="regexp:(["), "not a valid regular expression"),
        (lambda: TagFilter(extract="$ts"), "needs filterTags.pattern"),
        (lambda: Policy(constraint="not a range"), "is not a semver constraint"),
        (lambda: Policy(strategy=Strategy.DIGEST), "needs the tag to follow"),
    ],
)
def test_bad_policies_say_what_is_wrong(build: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        build()


def test_only_newest_build_and_platforms_need_registry_details() -> None:
    assert needs_details(Policy(strategy=Strategy.NEWEST_BUILD))
    assert needs_details(Policy(platforms=(Platform("linux", "arm64"),)))
    assert not needs_details(Policy(constraint="1.2.x"))
