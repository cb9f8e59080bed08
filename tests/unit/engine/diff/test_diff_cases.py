"""Table-driven diff cases: one YAML file per case under ``testdata/``.

Each file holds ``desired``, ``live``, optional ``dryRun`` (server-side-apply dry-run
results), ``options`` and ``expected``. Besides the per-case expectations every case
checks three invariants: an unmodified resource has no diff and no patch, applying the
patch to normalized live yields predicted live, and no Secret value from the inputs
appears in any output.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.engine import jsonpatch
from kapstan.engine.diff import ResourceDiff, app_sync_status, diff_pairs
from kapstan.engine.ignore import IgnoreConfigError, app_rules, system_rules
from kapstan.engine.mode import DiffMode, choose_mode, include_mutation_webhook
from kapstan.engine.pairing import pair_resources
from kapstan.model.keys import ResourceKey
from kapstan.model.vocabulary import LAST_APPLIED
from kapstan.services.settings import AGGREGATED_ROLES_RULE

TESTDATA = Path(__file__).parent / "testdata"
CASES = sorted(TESTDATA.glob("*.yaml"))
CLUSTER_SCOPED = {
    ("", "Namespace"),
    ("", "PersistentVolume"),
    ("", "Node"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("storage.k8s.io", "StorageClass"),
}
ERRORS: dict[str, type[Exception]] = {"IgnoreConfigError": IgnoreConfigError}


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def run_case(case: Mapping[str, Any]) -> tuple[tuple[ResourceDiff, ...], tuple[ResourceKey, ...]]:
    options = case.get("options") or {}
    unknown = {tuple(gk.split("/", 1)) for gk in options.get("unknownKinds", [])}

    def is_namespaced(group: str, kind: str) -> bool | None:
        if (group, kind) in unknown:
            return None
        return (group, kind) not in CLUSTER_SCOPED

    rules = app_rules(options.get("ignoreDifferences") or []) + system_rules(
        options.get("system") or {}
    )
    if options.get("ignoreAggregatedRoles"):
        rules = (*rules, AGGREGATED_ROLES_RULE)
    dry_runs = {ResourceKey.from_obj(o): o for o in case.get("dryRun") or []}
    mode_name = options.get("mode", "three-way")
    if mode_name == "auto":
        mode = choose_mode(
            options.get("app"),
            dry_run_available=bool(dry_runs),
            server_side_default=options.get("serverSideDefault", True),
        )
    else:
        mode = DiffMode(mode_name)
    pairing = pair_resources(
        case.get("desired") or [],
        case.get("live") or [],
        destination_namespace=options.get("destinationNamespace", ""),
        is_namespaced=is_namespaced,
    )
    results = diff_pairs(
        pairing.pairs,
        mode=mode,
        ignore_rules=rules,
        dry_runs=dry_runs,
        include_webhook=include_mutation_webhook(options.get("app")),
        status=options.get("statusField", "all"),
    )
    return results, pairing.duplicates


def _secret_values(obj: Mapping[str, Any]) -> Iterator[str]:
    if obj.get("kind") != "Secret":
        return
    for value in (obj.get("data") or {}).values():
        yield str(value)
        try:
            decoded = base64.b64decode(str(value), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue
        yield decoded
    for value in (obj.get("stringData") or {}).values():
        yield str(value)
        yield base64.b64encode(str(value).encode()).decode()
    annotation = ((obj.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if annotation:
        yield from _secret_values(json.loads(annotation))


def secret_values(case: Mapping[str, Any]) -> set[str]:
    objs = [*(case.get("desired") or []), *(case.get("live") or []), *(case.get("dryRun") or [])]
    # Short values could collide with YAML syntax; fixtures use long, distinctive ones.
    return {v for o in objs for v in _secret_values(o) if len(v) >= 6}


def rendered(result: ResourceDiff) -> str:
    return "\n".join([result.unified_diff, json.dumps(result.patch), repr(result)])


def check_invariants(result: ResourceDiff, secrets: set[str]) -> None:
    if not result.modified:
        assert result.unified_diff == ""
        assert result.patch == ()
    elif result.normalized_live is not None and result.predicted_live is not None:
        assert jsonpatch.apply(result.normalized_live, result.patch) == result.predicted_live
    text = rendered(result)
    for value in secrets:
        assert value not in text, f"secret value leaked for {result.key}"


def check_expected(result: ResourceDiff, want: Mapping[str, Any]) -> None:
    assert result.sync_status.value == want["status"], result.unified_diff
    assert result.modified is want["modified"], result.unified_diff
    if "mode" in want:
        assert result.mode.value == want["mode"]
    assert result.requires_pruning is want.get("requiresPruning", False)
    assert result.ignore_extraneous is want.get("ignoreExtraneous", False)
    for needle in want.get("diffContains", []):
        assert needle in result.unified_diff, result.unified_diff
    for needle in want.get("diffExcludes", []):
        assert needle not in result.unified_diff, result.unified_diff
    for needle in want.get("absent", []):
        assert needle not in rendered(result)
    if "patch" in want:
        assert list(result.patch) == want["patch"]
    if "warnings" in want:
        assert len(result.warnings) == want["warnings"]
    sides = {
        "desired": result.normalized_desired,
        "live": result.normalized_live,
        "predicted": result.predicted_live,
    }
    for check in want.get("fields", []):
        doc: Any = sides[check["side"]]
        for token in jsonpatch.parse_pointer(check["pointer"]):
            doc = doc[int(token)] if isinstance(doc, list) else doc[token]
        assert doc == check["value"], check


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_diff_case(path: Path) -> None:
    case = load(path)
    expected = case["expected"]
    if "error" in expected:
        with pytest.raises(ERRORS[expected["error"]]):
            run_case(case)
        return
    results, duplicates = run_case(case)
    assert [str(k) for k in duplicates] == expected.get("duplicates", [])
    by_key = {str(r.key): r for r in results}
    assert sorted(by_key) == sorted(r["key"] for r in expected["resources"])
    secrets = secret_values(case)
    for want in expected["resources"]:
        result = by_key[want["key"]]
        check_invariants(result, secrets)
        check_expected(result, want)
    assert app_sync_status(results).value == expected["appStatus"]


def test_case_count() -> None:
    assert len(CASES) >= 40
