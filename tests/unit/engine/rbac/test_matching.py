"""Pattern syntax: gobwas globs (no separator) and RE2 regexes (unanchored search)."""

from __future__ import annotations

import pytest

from kapstan.engine.rbac.globs import compile_glob
from kapstan.engine.rbac.patterns import compile_pattern
from kapstan.engine.rbac.regexes import compile_regex


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*", "a/b/c", True),
        ("**", "", True),
        ("default/*", "default/ns/app", True),
        ("*/app", "p/ns/app", True),
        ("a?c", "a/c", True),
        ("a?c", "ac", False),
        ("{prod,stage}-*", "stage-x", True),
        ("{prod,stage}-*", "dev-x", False),
        ("{a,{b,c}}d", "cd", True),
        ("{a,b", "b", True),
        ("a}b,c", "a}b,c", True),
        ("[abc]", "b", True),
        ("[!abc]", "d", True),
        ("[!abc]", "a", False),
        ("[a-c]x", "bx", True),
        ("[!a-c]x", "bx", False),
        ("[-]", "-", True),
        (r"[\]]", "]", True),
        (r"\*", "*", True),
        (r"\*", "x", False),
        ("a\\", "a", True),
        ("", "", True),
        ("", "x", False),
        ("line\n*", "line\nbreak", True),
    ],
)
def test_glob(pattern: str, value: str, expected: bool) -> None:
    compiled = compile_glob(pattern)
    assert compiled is not None
    assert (compiled.fullmatch(value) is not None) is expected


@pytest.mark.parametrize("pattern", ["[a-z0-9]", "[]", "[!]", "[ab", "[z-a]", "[a-]", "x[", "[--]"])
def test_glob_gobwas_rejects(pattern: str) -> None:
    assert compile_glob(pattern) is None
    compiled = compile_pattern(pattern, "glob")
    assert not compiled.valid
    assert not compiled.poison
    assert not compiled.matches(pattern)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("web", "team/my-web", True),
        ("^web$", "team/my-web", False),
        ("^team-(a|b)/.+$", "team-b/x", True),
        ("(?i)^PROD/", "prod/x", True),
        ("[[:digit:]]+\\z", "app-12", True),
        ("[[:digit:]]+\\z", "app-12x", False),
        ("(?<proj>[a-z]+)/web", "dev/web", True),
        ("[]a]", "]", True),
        ("[a[]", "[", True),
        ("", "anything", True),
    ],
)
def test_regex(pattern: str, value: str, expected: bool) -> None:
    compiled = compile_pattern(pattern, "regex")
    assert compiled.valid
    assert compiled.matches(value) is expected


@pytest.mark.parametrize(
    "pattern",
    ["*", "*/*", "(?=a)", "(?<!a)b", "(a)\\1", "a\\Z", "\\pL", "(?x)a", "[[:nope:]]", "(", "a\\"],
)
def test_regex_rejects(pattern: str) -> None:
    assert compile_regex(pattern) is None
    compiled = compile_pattern(pattern, "regex")
    assert compiled.poison
    assert not compiled.valid


def test_literal_and_always_shortcuts() -> None:
    assert compile_pattern("default/app", "glob").literal == "default/app"
    assert compile_pattern("*", "glob").always
    assert compile_pattern("", "regex").always
    assert compile_pattern("default/*", "glob").literal is None
