"""Property-style check: ``assess`` and ``aggregate`` never raise, whatever the object holds.

Every fixture object (with its argocd-cm config, so Lua checks run too) is mutated a few
times: random subtrees are replaced with values that break naive readers - integers past
int64, NaN and infinities, lone surrogates, wrong container types, nulls, deep nesting.
The run is seeded, so a failure reproduces exactly; the instruction budget is lowered so
that fixtures with endless loops stay fast.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kapstan.engine.health import HealthConfig, ManagedResource, aggregate, assess
from kapstan.model.health import ResourceHealth

from .test_health_cases import CASES, load_case

SEED = 20240501
MUTATIONS_PER_CASE = 6


def _deep(depth: int) -> Any:
    value: Any = {"leaf": "x"}
    for _ in range(depth):
        value = [value]
    return value


MUTANTS: tuple[Any, ...] = (
    2**64,
    -(2**70),
    10**400,
    float("nan"),
    float("inf"),
    float("-inf"),
    2.5,
    "\ud800",
    "bad \udcff byte",
    "",
    "3",
    True,
    None,
    [],
    {},
    [None, 1, "x", {}],
    {"type": 5, "status": ["True"], "message": {"m": 1}},
    "[" * 20 + "]" * 20,
    _deep(3000),
)


def _paths(obj: Any) -> list[tuple[Any, ...]]:
    """Every key path below the root (iteratively: some fixtures nest 20000 levels)."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), obj)]
    while stack and len(out) < 5000:
        path, value = stack.pop()
        children: Iterator[tuple[Any, Any]]
        if isinstance(value, dict):
            children = iter(value.items())
        elif isinstance(value, list):
            children = enumerate(value)
        else:
            continue
        for key, child in children:
            out.append((*path, key))
            stack.append(((*path, key), child))
    return out


def _copy(value: Any) -> Any:
    """A deep copy without recursion (``copy.deepcopy`` fails on the deep fixtures)."""
    holder: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, holder, 0)]
    while stack:
        src, parent, key = stack.pop()
        if isinstance(src, dict):
            parent[key] = dict.fromkeys(src)
            stack.extend((v, parent[key], k) for k, v in src.items())
        elif isinstance(src, list):
            parent[key] = [None] * len(src)
            stack.extend((v, parent[key], i) for i, v in enumerate(src))
        else:
            parent[key] = src
    return holder[0]


def _differs(old: Any, new: Any) -> bool:
    if type(old) is not type(new) or isinstance(old, dict | list):
        return True
    return bool(old != new)


def _mutate(obj: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], bool]:
    """A mutated copy of ``obj`` (mutants are shared, never modified) and whether it changed."""
    mutated: dict[str, Any] = _copy(obj)
    paths = _paths(mutated)
    changed = False
    for path in rng.sample(paths, min(len(paths), rng.randint(1, 3))):
        parent: Any = mutated
        try:
            for key in path[:-1]:
                parent = parent[key]
            new = rng.choice(MUTANTS)
            changed |= _differs(parent[path[-1]], new)
            parent[path[-1]] = new
        except (IndexError, KeyError, TypeError):
            continue  # an earlier replacement in this round removed the path
    return mutated, changed


def _config(doc: dict[str, Any]) -> HealthConfig:
    config = HealthConfig.from_argocd_cm(
        doc.get("config") or {}, kstatus_fallback=bool(doc.get("kstatusFallback"))
    )
    return dataclasses.replace(config, lua_instruction_limit=200_000)


def _check(verdict: ResourceHealth | None) -> None:
    if verdict is not None:
        assert isinstance(verdict, ResourceHealth)
        verdict.message.encode("utf-8")  # valid Unicode: no lone surrogate leaks out


def _run(paths: list[Path]) -> tuple[list[ResourceHealth | None], int]:
    rng = random.Random(SEED)
    verdicts: list[ResourceHealth | None] = []
    changed = 0
    for path in paths:
        doc = load_case(path)
        config = _config(doc)
        batch = []
        for _ in range(MUTATIONS_PER_CASE):
            mutated, did_change = _mutate(doc["object"], rng)
            changed += did_change
            verdict = assess(mutated, config)
            _check(verdict)
            verdicts.append(verdict)
            batch.append(ManagedResource(target=mutated, live=mutated))
        _check(aggregate(batch, config))
    return verdicts, changed


def test_mutated_fixtures_never_raise() -> None:
    verdicts, changed = _run(CASES)
    # The mutations must really change the objects and still reach the rules (not just
    # fall through to "no health"), or the test proves nothing.
    assert changed >= 0.9 * len(CASES) * MUTATIONS_PER_CASE
    assert len({v.status for v in verdicts if v is not None}) >= 5


def test_mutations_are_deterministic() -> None:
    sample = CASES[::25]
    first, _ = _run(sample)
    second, _ = _run(sample)
    assert first == second
