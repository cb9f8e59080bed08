"""Run Argo CD-format Lua health scripts with lupa's Lua 5.1 (Argo uses gopher-lua, also 5.1).

Contract: :func:`run_health_script` never raises for anything the script does. Every
failure (syntax or runtime error, wrong return type, invalid status, exhausted
instruction budget or memory) becomes ``Unknown`` with a message, as in Argo CD. A
fresh Lua state is used per call so scripts cannot leak state into each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lupa.lua51 as lua  # type: ignore[import-untyped]  # lupa ships no stubs

from kapstan.model.health import HealthStatus, ResourceHealth

# The budget is counted by a debug count-hook firing every _HOOK_STEP VM instructions;
# a pure-Lua wall clock is impossible (no clock reads in the engine) and instructions
# are deterministic, which keeps tests stable.
DEFAULT_INSTRUCTION_LIMIT = 10_000_000
_HOOK_STEP = 1_000
_MAX_MEMORY = 64 * 1024 * 1024
LIMIT_MESSAGE = "Lua health check stopped: instruction limit exceeded"

# Safe base functions offered without useOpenLibs: no os, io, require, load*, dofile,
# debug, package, getfenv/setfenv or collectgarbage.
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

# Lua side of the sandbox. It receives the script, the object and the limits, and returns
# (ok, value-or-error). pcall/xpcall/coroutines are wrapped so a script cannot swallow the
# budget error and keep looping; with open libs, debug.sethook is disabled for the same reason.
_RUNNER = r"""
local source, obj, limit_steps, step, open_libs, safe_names = ...
local sethook, raw_pcall, raw_xpcall, raw_error = debug.sethook, pcall, xpcall, error
local raw_create, raw_resume = coroutine.create, coroutine.resume
local select, unpack, loadstring, setfenv = select, unpack, loadstring, setfenv
local LIMIT = "__kapstan_instruction_limit__"
local exceeded, steps = false, 0

local function hook()
  steps = steps + 1
  if steps > limit_steps then exceeded = true; raw_error(LIMIT, 0) end
end
local function pack(...) return {n = select("#", ...), ...} end
local function recheck(res)
  if exceeded then raw_error(LIMIT, 0) end
  return unpack(res, 1, res.n)
end
local function guarded_pcall(...) return recheck(pack(raw_pcall(...))) end
local function guarded_xpcall(f, h) return recheck(pack(raw_xpcall(f, h))) end
local function guarded_create(f)
  local co = raw_create(f)
  sethook(co, hook, "", step)
  return co
end
local function guarded_resume(co, ...) return recheck(pack(raw_resume(co, ...))) end
local function guarded_wrap(f)
  local co = guarded_create(f)
  return function(...)
    local res = pack(guarded_resume(co, ...))
    if not res[1] then raw_error(res[2], 0) end
    return unpack(res, 2, res.n)
  end
end
local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end
local co_lib = copy(coroutine)
co_lib.create, co_lib.resume, co_lib.wrap = guarded_create, guarded_resume, guarded_wrap

local env
if open_libs then
  env = _G
  local dbg = copy(debug)
  dbg.sethook = function() raw_error("debug.sethook is disabled", 2) end
  env.debug = dbg
else
  env = {}
  for i = 1, #safe_names do env[safe_names[i]] = _G[safe_names[i]] end
  env.string, env.table, env.math = copy(string), copy(table), copy(math)
end
env.pcall, env.xpcall, env.coroutine = guarded_pcall, guarded_xpcall, co_lib
env.obj = obj

local chunk, err = loadstring(source, "=health.lua")
if not chunk then return false, err end
setfenv(chunk, env)
sethook(hook, "", step)
local res = pack(raw_pcall(chunk))
sethook()
if exceeded then return false, LIMIT end
if not res[1] then return false, tostring(res[2]) end
return true, res[2]
"""


def _unknown(message: str) -> ResourceHealth:
    return ResourceHealth(HealthStatus.UNKNOWN, message)


def _lua_type(value: object) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return lua.lua_type(value) or "userdata"


def run_health_script(
    source: str,
    obj: Mapping[str, Any],
    *,
    use_open_libs: bool = False,
    instruction_limit: int = DEFAULT_INSTRUCTION_LIMIT,
) -> ResourceHealth:
    """Evaluate ``source`` with the global ``obj`` and turn its ``{status, message}`` table
    into a :class:`ResourceHealth` (Argo CD's ``ExecuteHealthLua`` contract)."""
    runtime = lua.LuaRuntime(
        register_eval=False,
        register_builtins=False,
        unpack_returned_tuples=True,
        max_memory=_MAX_MEMORY,
    )
    try:
        runner = runtime.execute(f"return function(...) {_RUNNER} end")
        lua_obj = runtime.table_from(obj, recursive=True)
        safe = runtime.table_from(_SAFE_GLOBALS)
        steps = max(1, instruction_limit // _HOOK_STEP)
        ok, value = runner(source, lua_obj, steps, _HOOK_STEP, use_open_libs, safe)
    except (lua.LuaError, MemoryError) as err:
        return _unknown(f"Lua health check failed: {err}")
    if not ok:
        if value == "__kapstan_instruction_limit__":
            return _unknown(LIMIT_MESSAGE)
        return _unknown(str(value))
    if lua.lua_type(value) != "table":
        return _unknown(f"expect table output from Lua script, not {_lua_type(value)}")
    status, message = value["status"], value["message"]
    try:
        code = HealthStatus(status)
    except ValueError:
        return _unknown("Lua returned an invalid health status")
    if isinstance(message, float) and message.is_integer():
        message = int(message)
    return ResourceHealth(code, "" if message is None else str(message))
