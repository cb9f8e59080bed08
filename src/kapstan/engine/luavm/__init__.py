"""The LuaJIT 2.1 sandbox (``lupa.luajit21``) that runs Argo CD-format Lua: health checks
(:mod:`kapstan.engine.health.lua`) and resource actions (:mod:`kapstan.engine.actions.lua`).

Argo CD's interpreter is gopher-lua: Lua 5.1 plus ``goto`` and labels. LuaJIT 2.1 parses
exactly that language, so scripts written for Argo CD (``goto continue`` included) run
unchanged; plain ``lupa.lua51`` rejects ``goto``.

Contract of :func:`start`: a fresh Lua state per call (scripts cannot leak state into each
other) whose bootstrap is :data:`~kapstan.engine.luavm.sandbox.SANDBOX` followed by the
caller's runner, which it returns with the state. Bounds: the instruction budget is counted
by a debug count hook every :data:`HOOK_STEP` VM instructions (deterministic, unlike a clock,
which the pure engine may not read anyway); memory is capped by lupa's allocator
(:data:`MAX_MEMORY`, honoured for LuaJIT 2.1). Time spent inside one C library call is not
counted: a pathological ``string.find`` pattern is bounded only by the subject length the
memory cap allows.
"""

from __future__ import annotations

from typing import Any

import lupa.luajit21 as lua  # type: ignore[import-untyped]  # lupa ships no stubs

from kapstan.engine.luavm.sandbox import SANDBOX
from kapstan.engine.luavm.values import go_text, to_lua, utf8

DEFAULT_INSTRUCTION_LIMIT = 10_000_000
HOOK_STEP = 1_000
MAX_MEMORY = 64 * 1024 * 1024

# Safe base functions offered without useOpenLibs: no os, io, require, load*, dofile,
# debug, package, getfenv/setfenv, collectgarbage, newproxy or jit.
SAFE_GLOBALS = (
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

LuaError = lua.LuaError
LuaMemoryError = lua.LuaMemoryError


def start(runner: str) -> tuple[Any, Any]:
    """A fresh state and the function the bootstrap ``SANDBOX + runner`` returns.

    Strings cross as bytes in both directions (``encoding=None``): nothing a script returns
    can fail to decode, and object text is converted Go's way first (:func:`to_lua`).
    """
    runtime = lua.LuaRuntime(
        register_eval=False,
        register_builtins=False,
        unpack_returned_tuples=True,
        encoding=None,
        max_memory=MAX_MEMORY,
    )
    return runtime, runtime.execute(utf8(SANDBOX + runner))


def safe_names(runtime: Any) -> Any:
    """The Lua table of :data:`SAFE_GLOBALS`, for ``new_sandbox``."""
    return runtime.table_from([name.encode() for name in SAFE_GLOBALS])


def steps(instruction_limit: int) -> int:
    """How many hook calls make ``instruction_limit`` instructions."""
    return max(1, instruction_limit // HOOK_STEP)


__all__ = [
    "DEFAULT_INSTRUCTION_LIMIT",
    "HOOK_STEP",
    "MAX_MEMORY",
    "SAFE_GLOBALS",
    "LuaError",
    "LuaMemoryError",
    "go_text",
    "safe_names",
    "start",
    "steps",
    "to_lua",
    "utf8",
]
