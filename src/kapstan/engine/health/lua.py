"""Run Argo CD-format Lua health scripts under LuaJIT 2.1 (``lupa.luajit21``).

Argo CD's interpreter is gopher-lua: Lua 5.1 plus ``goto`` and labels. LuaJIT 2.1 parses
exactly that language, so scripts written for Argo CD (``goto continue`` included) run
unchanged; plain ``lupa.lua51`` rejects ``goto``.

Contract: :func:`run_health_script` never raises, whatever the script does and whatever
the object holds. A fresh Lua state is used per call, so scripts cannot leak state into
each other. Its verdict follows Argo CD's ``ExecuteHealthLua`` (the result table goes
through a JSON round trip into ``HealthStatus``):

* a ``{status, message}`` table with a valid status is that verdict;
* ``nil`` is :attr:`Abstain.DECLINED`: the script declines and the caller goes on to the
  built-in rule, as gitops-engine does for a nil override (argo-cd #28269);
* a sequence (``{}`` included) or a non-string ``status``/``message`` is
  :attr:`Abstain.EMPTY`: Argo CD reports an empty health status, i.e. no health;
* a table without a valid status is ``Unknown`` "Lua returned an invalid health status";
* a syntax or runtime error, a non-table result, a value JSON cannot encode (function,
  NaN ...), the exhausted instruction budget or memory limit is ``Unknown`` with a message.

Bounds: the budget is counted by a debug count hook every ``_HOOK_STEP`` VM instructions
(deterministic, unlike a clock, which the pure engine may not read anyway); the JIT is
switched off because LuaJIT's hooks do not fire inside compiled traces. Memory is capped
by lupa's allocator (``max_memory``, honoured for LuaJIT 2.1). Time spent inside one C
library call is not counted: a pathological ``string.find`` pattern is bounded only by
the subject length the memory cap allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import lupa.luajit21 as lua  # type: ignore[import-untyped]  # lupa ships no stubs

from kapstan.engine.health._lua_runner import BOOTSTRAP
from kapstan.engine.health._lua_values import go_text, to_lua, utf8
from kapstan.model.health import HealthStatus, ResourceHealth

DEFAULT_INSTRUCTION_LIMIT = 10_000_000
_HOOK_STEP = 1_000
MAX_MEMORY = 64 * 1024 * 1024
LIMIT_MESSAGE = "Lua health check stopped: instruction limit exceeded"
MEMORY_MESSAGE = "Lua health check stopped: memory limit exceeded"
INVALID_STATUS = "Lua returned an invalid health status"

# Safe base functions offered without useOpenLibs: no os, io, require, load*, dofile,
# debug, package, getfenv/setfenv, collectgarbage, newproxy or jit.
_SAFE_GLOBALS = (
    "assert",
    "error",
    "ipairs",
    "next",
    "pairs",
    "select",
    "tonumber",
    "tostring",
    "type",
    "unpack",
    "rawequal",
    "rawget",
    "rawset",
    "setmetatable",
    "getmetatable",
    "_VERSION",
)


class Abstain(Enum):
    """A script result that is not a verdict (see the module docstring)."""

    DECLINED = "declined"
    EMPTY = "empty"


def _unknown(message: str) -> ResourceHealth:
    return ResourceHealth(HealthStatus.UNKNOWN, message)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return go_text(value)
    return "" if value is None else str(value)


def _verdict(kind: object, first: object, second: object) -> ResourceHealth | Abstain:
    if kind == b"nil":
        return Abstain.DECLINED
    if kind == b"empty":
        return Abstain.EMPTY
    if kind == b"limit":
        return _unknown(LIMIT_MESSAGE)
    if kind == b"error":
        message = _text(first)
        if "not enough memory" in message:
            return _unknown(MEMORY_MESSAGE)
        return _unknown(message)
    try:
        code = HealthStatus(_text(first))
    except ValueError:
        return _unknown(INVALID_STATUS)
    return ResourceHealth(code, _text(second))


def run_health_script(
    source: str,
    obj: Mapping[str, Any],
    *,
    use_open_libs: bool = False,
    instruction_limit: int = DEFAULT_INSTRUCTION_LIMIT,
) -> ResourceHealth | Abstain:
    """Evaluate ``source`` with the global ``obj``; see the module docstring for the verdict."""
    try:
        # encoding=None: strings cross as bytes in both directions, so nothing the script
        # returns can fail to decode and the object's text is converted Go's way first.
        runtime = lua.LuaRuntime(
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            encoding=None,
            max_memory=MAX_MEMORY,
        )
        runner = runtime.execute(utf8(BOOTSTRAP))
        lua_obj = to_lua(obj, runtime.table_from)
        safe = runtime.table_from([name.encode() for name in _SAFE_GLOBALS])
        steps = max(1, instruction_limit // _HOOK_STEP)
        result = runner(utf8(source), lua_obj, steps, _HOOK_STEP, use_open_libs, safe)
    except lua.LuaMemoryError:
        return _unknown(MEMORY_MESSAGE)
    except lua.LuaError as err:
        return _unknown(f"Lua health check failed: {err}")
    except Exception as err:  # the contract: a health check never raises into its caller
        return _unknown(f"Lua health check failed: {type(err).__name__}: {err}")
    parts = (*result, None, None) if isinstance(result, tuple) else (result, None, None)
    return _verdict(parts[0], parts[1], parts[2])
