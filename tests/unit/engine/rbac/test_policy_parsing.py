"""Parsing argocd-rbac-cm: what Policy holds, what it warns about, and how errors read."""

from __future__ import annotations

import pytest

from kapstan.engine.rbac import BUILTIN_LINKS, BUILTIN_RULES, Link, Policy, RBACConfigError, Rule
from kapstan.engine.rbac.csvline import CSVLineError, go_trim_space, split_csv_line
from kapstan.engine.rbac.policy import policy_keys


def test_missing_configmap_is_the_builtin_policy() -> None:
    for data in (None, {}):
        policy = Policy.from_configmap(data)
        assert policy.rules == BUILTIN_RULES
        assert policy.links == BUILTIN_LINKS
        assert (policy.default_role, policy.match_mode, policy.scopes) == ("", "glob", ("groups",))
        assert policy.warnings == ()


def test_builtin_policy_content() -> None:
    by_role: dict[str, set[tuple[str, str, str]]] = {}
    for rule in BUILTIN_RULES:
        assert rule.effect == "allow"
        by_role.setdefault(rule.subject, set()).add((rule.resource, rule.action, rule.object))
    assert by_role.keys() == {"role:readonly", "role:admin"}
    assert {a for (_, a, _) in by_role["role:readonly"]} == {"get"}
    assert ("applications", "update/*", "*/*") in by_role["role:admin"]
    assert ("applications", "delete/*", "*/*") in by_role["role:admin"]
    assert ("exec", "create", "*/*") in by_role["role:admin"]
    assert not any(r == "extensions" for (r, _, _) in by_role["role:admin"])
    # 10 readonly get rules; admin: 8 applications, 4 applicationsets, 3 each for certificates,
    # clusters, repositories, write-repositories and projects, 1 accounts, 2 gpgkeys, 1 exec.
    assert len(BUILTIN_RULES) == 10 + 31
    assert set(BUILTIN_LINKS) == {
        Link("role:admin", "role:readonly", "builtin"),
        Link("admin", "role:admin", "builtin"),
    }


def test_user_rules_follow_builtin_in_key_order() -> None:
    policy = Policy.from_configmap(
        {
            "policy.z.csv": "p, z, clusters, get, *, allow",
            "policy.csv": "p, main, clusters, get, *, deny\ng, main, role:admin",
            "policy.a.csv": "p, a, clusters, get, *, allow",
            "policy.default": "role:readonly",
        }
    )
    user_rules = policy.rules[len(BUILTIN_RULES) :]
    assert [r.subject for r in user_rules] == ["main", "a", "z"]
    assert user_rules[0] == Rule("main", "clusters", "get", "*", "deny", "policy.csv:1")
    assert policy.links[-1] == Link("main", "role:admin", "policy.csv:2")
    assert policy.default_role == "role:readonly"


def test_policy_keys_order_and_filter() -> None:
    data = dict.fromkeys(["policy.B.csv", "policy.csv", "policy.a.csv", "policy..csv", "x.csv"], "")
    data.update({"policy.csv.bak": "", "policy.default": "", "policy.A.csv": ""})
    # Go's sort.Strings: byte order, so upper case sorts before lower case.
    assert policy_keys(data) == [
        "policy.csv",
        "policy..csv",
        "policy.A.csv",
        "policy.B.csv",
        "policy.a.csv",
    ]


@pytest.mark.parametrize(
    ("text", "scopes"),
    [
        ("", ("groups",)),
        ("  ", ("groups",)),
        ("null", ("groups",)),
        ("[]", ()),
        ("[groups, email]", ("groups", "email")),
        ('["email"]', ("email",)),
        ("- groups\n- roles\n", ("groups", "roles")),
    ],
)
def test_scopes(text: str, scopes: tuple[str, ...]) -> None:
    assert Policy.from_configmap({"scopes": text}).scopes == scopes


def test_match_mode() -> None:
    assert Policy.from_configmap({"policy.matchMode": "regex"}).match_mode == "regex"
    odd = Policy.from_configmap({"policy.matchMode": "Regex"})
    assert odd.match_mode == "glob"
    assert any("not glob or regex" in w for w in odd.warnings)


def test_warnings_name_the_line() -> None:
    policy = Policy.from_configmap(
        {
            "policy.csv": "p, a, applications, get, */*, Allow\n"
            "p, b, applications, get, ns-[a-z0-9], allow\n"
            "r, nothing",
            "policy.default": "role:readonly\n",
        }
    )
    warnings = "\n".join(policy.warnings)
    assert "policy.csv:1: effect 'Allow' is neither allow nor deny" in warnings
    assert "policy.csv:2: object 'ns-[a-z0-9]' is not a valid glob: never matches" in warnings
    assert "policy.csv:3: a 'r' line has no effect" in warnings
    assert "surrounding white space" in warnings
    assert [r.subject for r in policy.rules[len(BUILTIN_RULES) :]] == ["b"]


def test_regex_mode_warns_about_builtin_roles_and_bad_patterns() -> None:
    policy = Policy.from_configmap(
        {"policy.matchMode": "regex", "policy.csv": "p, a, applications, get, *, allow"}
    )
    warnings = "\n".join(policy.warnings)
    assert "grant nothing in regex mode" in warnings
    assert "object '*' is not a valid regex: fails every evaluation that reaches it" in warnings


def test_error_message_and_attributes() -> None:
    with pytest.raises(RBACConfigError) as caught:
        Policy.from_configmap({"policy.csv": "# header\np, alice, applications, get, */*"})
    err = caught.value
    assert (err.key, err.line, err.text) == ("policy.csv", 2, "p, alice, applications, get, */*")
    assert str(err).startswith("policy.csv line 2: a policy line has six fields")


def test_an_error_leaves_no_partial_policy() -> None:
    good = Policy.from_configmap({"policy.csv": "g, alice, role:admin"})
    with pytest.raises(RBACConfigError):
        Policy.from_configmap({"policy.csv": "g, alice, role:admin\ng, bob"})
    # The caller still has the earlier value, untouched (the policy is immutable).
    assert good.links[-1] == Link("alice", "role:admin", "policy.csv:1")


def test_non_string_values_are_errors() -> None:
    for key in ("policy.csv", "policy.x.csv", "policy.default", "policy.matchMode", "scopes"):
        with pytest.raises(RBACConfigError) as caught:
            Policy.from_configmap({key: ["not", "a", "string"]})
        assert caught.value.key == key


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("p, a, b", ["p", "a", "b"]),
        ("p,a,b", ["p", "a", "b"]),
        ("p, a , b", ["p", "a ", "b"]),
        ('p, "a, b", c', ["p", "a, b", "c"]),
        ('p, "say ""hi""", c', ["p", 'say "hi"', "c"]),
        ('p, "",', ["p", "", ""]),
        ("p,\u00a0a", ["p", "a"]),
        ("p, a,", ["p", "a", ""]),
        ("p", ["p"]),
        ("p,\x1ca", ["p", "\x1ca"]),
    ],
)
def test_split_csv_line(line: str, fields: list[str]) -> None:
    assert split_csv_line(line) == fields


@pytest.mark.parametrize("line", ['p, a"b', 'p, "ab', 'p, "a"b', 'p, "a" , b'])
def test_split_csv_line_errors(line: str) -> None:
    with pytest.raises(CSVLineError):
        split_csv_line(line)


def test_go_trim_space_is_gos_not_pythons() -> None:
    assert go_trim_space("\u3000\t p \r\n\u2009") == "p"
    assert go_trim_space("\x1cp\x1f") == "\x1cp\x1f"  # not white space to Go
