"""The Lua sandbox itself: the instruction budget under LuaJIT, memory, isolation, libraries.

The fixture table shows verdicts; these tests pin the mechanics the verdicts rely on.
"""

from __future__ import annotations

import pytest

from kapstan.engine.health.lua import (
    LIMIT_MESSAGE,
    MEMORY_MESSAGE,
    Abstain,
    run_health_script,
)
from kapstan.model.health import HealthStatus, ResourceHealth

OBJ = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
DONE = 'return {status = "Healthy", message = "done"}'
HEALTHY = ResourceHealth(HealthStatus.HEALTHY, "done")
STOPPED = ResourceHealth(HealthStatus.UNKNOWN, LIMIT_MESSAGE)

# Roughly 4 VM instructions per iteration: 5,000 iterations need ~20,000.
WHILE_LOOP = "local i = 0\nwhile i < 5000 do i = i + 1 end\n" + DONE
GOTO_LOOP = "local i = 0\n::again::\ni = i + 1\nif i < 5000 then goto again end\n" + DONE


@pytest.mark.parametrize("script", [WHILE_LOOP, GOTO_LOOP], ids=["while", "goto"])
def test_budget_counts_instructions(script: str) -> None:
    # The same loop passes with room to spare and stops when the budget is short: the
    # hook really counts (with the JIT on, a compiled loop would run uncounted).
    assert run_health_script(script, OBJ, instruction_limit=1_000_000) == HEALTHY
    assert run_health_script(script, OBJ, instruction_limit=5_000) == STOPPED


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "script",
    ["while true do end", "::top:: goto top", "repeat local x = 1 until false"],
    ids=["while", "goto", "repeat"],
)
def test_endless_loops_stop_at_the_default_budget(script: str) -> None:
    assert run_health_script(script, OBJ) == STOPPED


def test_memory_is_capped() -> None:
    big = 'local s = string.rep("x", 100 * 1024 * 1024)\n' + DONE
    small = 'local s = string.rep("x", 1024 * 1024)\n' + DONE
    assert run_health_script(big, OBJ) == ResourceHealth(HealthStatus.UNKNOWN, MEMORY_MESSAGE)
    assert run_health_script(small, OBJ) == HEALTHY


def test_each_call_gets_a_fresh_state() -> None:
    assert run_health_script("leak = 1\nreturn nil", OBJ) is Abstain.DECLINED
    probe = 'return {status = "Healthy", message = tostring(leak)}'
    assert run_health_script(probe, OBJ) == ResourceHealth(HealthStatus.HEALTHY, "nil")


_NAMES = (
    "os io require load loadstring loadfile dofile debug package jit ffi getfenv setfenv"
    " collectgarbage newproxy print module"
)
_PROBE = (
    "local present = {}\n"
    f'for name in ("{_NAMES}"):gmatch("%S+") do\n'
    "  if _G[name] ~= nil then present[#present + 1] = name end\n"
    "end\n"
    'return {status = "Healthy", message = table.concat(present, " ")}'
)


def test_sandbox_offers_no_escape_hatches() -> None:
    assert run_health_script(_PROBE, OBJ) == ResourceHealth(HealthStatus.HEALTHY, "")


def test_open_libs_keep_the_budget_safe() -> None:
    # The standard library, minus what would leave the budget or the VM.
    verdict = run_health_script(_PROBE, OBJ, use_open_libs=True)
    assert verdict == ResourceHealth(
        HealthStatus.HEALTHY,
        "os require load loadstring loadfile dofile debug package getfenv setfenv"
        " collectgarbage print module",
    )
    probe = (
        "local names = {}\n"
        "for _, lib in ipairs({os, debug}) do\n"
        "  local keys = {}\n"
        "  for k in pairs(lib) do keys[#keys + 1] = k end\n"
        "  table.sort(keys)\n"
        '  names[#names + 1] = table.concat(keys, ",")\n'
        "end\n"
        'return {status = "Healthy", message = table.concat(names, " ")}'
    )
    assert run_health_script(probe, OBJ, use_open_libs=True) == ResourceHealth(
        HealthStatus.HEALTHY, "clock,date,difftime,time getinfo,traceback"
    )


def test_getinfo_hands_out_no_functions() -> None:
    script = (
        "local found = 0\n"
        "for level = 1, 20 do\n"
        '  local info = debug.getinfo(level, "f")\n'
        "  if info and info.func then found = found + 1 end\n"
        "end\n"
        'return {status = "Healthy", message = tostring(found)}'
    )
    verdict = run_health_script(script, OBJ, use_open_libs=True)
    assert verdict == ResourceHealth(HealthStatus.HEALTHY, "0")
