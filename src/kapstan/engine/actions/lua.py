"""Argo CD-format action scripts (``discovery.lua``, ``action.lua``) in the LuaJIT sandbox.

Contract of :func:`run_script`: a fresh sandboxed state (:mod:`kapstan.engine.luavm`: no
open libraries, instruction and memory limits) with the globals Argo CD's action VM offers:
``obj`` (the live object), ``actionParams`` (parameter name -> string value) and a safe
``os`` (``date``, ``time``, ``clock``, ``difftime``; also through ``require("os")``) whose
clock is the caller's ``now``, so a run is a pure function of its inputs. The script must
return a table, which comes back as JSON data the way gopher-json encodes it: a table whose
keys are exactly ``1..n`` is an array, an empty table is ``[]``, any other an object with
string keys; nil values vanish. Every failure (syntax or runtime error, a non-table result,
a value JSON cannot hold, the budget, the memory cap, an output over :data:`MAX_OUTPUT`) is
an :class:`~kapstan.engine.actions.model.ActionError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from kapstan.engine.actions.model import ActionError, Params
from kapstan.engine.luavm import (
    DEFAULT_INSTRUCTION_LIMIT,
    HOOK_STEP,
    LuaError,
    LuaMemoryError,
    go_text,
    safe_names,
    start,
    steps,
    to_lua,
    utf8,
)

MAX_OUTPUT = 8 * 1024 * 1024  # bytes of the JSON an action may return
LIMIT_MESSAGE = "Lua action stopped: instruction limit exceeded"
MEMORY_MESSAGE = "Lua action stopped: memory limit exceeded"

ACTION = r"""
local function json_string(s)
  return '"' .. gsub(s, '[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return format("\\u%04x", byte(c))
  end) .. '"'
end
-- gopher-json's Encode: arrays for keys 1..n ({} is []), objects otherwise.
local function encode(v, on_path, out)
  local tv = type(v)
  if v == nil then out[#out + 1] = "null"
  elseif tv == "boolean" then out[#out + 1] = v and "true" or "false"
  elseif tv == "number" then
    if v ~= v or v == huge or v == -huge then
      raw_error("json: unsupported value: " .. tostring(v), 0)
    end
    if v == floor(v) and v > -1e15 and v < 1e15 then out[#out + 1] = format("%d", v)
    else out[#out + 1] = format("%.17g", v) end
  elseif tv == "string" then out[#out + 1] = json_string(v)
  elseif tv == "table" then
    if on_path[v] then raw_error("cannot encode recursively nested tables to JSON", 0) end
    on_path[v] = true
    local n = sequence_length(v)
    if n then
      out[#out + 1] = "["
      for i = 1, n do
        if i > 1 then out[#out + 1] = "," end
        encode(rawget(v, i), on_path, out)
      end
      out[#out + 1] = "]"
    else
      out[#out + 1] = "{"
      local first = true
      for k, item in next, v do
        if not first then out[#out + 1] = "," end
        first = false
        out[#out + 1] = json_string(type(k) == "string" and k or tostring(k))
        out[#out + 1] = ":"
        encode(item, on_path, out)
      end
      out[#out + 1] = "}"
    end
    on_path[v] = nil
  else raw_error("cannot encode " .. tv .. " to JSON", 0) end
end

return function(source, obj, params, now, limit_steps, step, safe_names)
  local env, protect, exceeded = new_sandbox(limit_steps, step, false, safe_names)
  local safe_os = {
    date = function(fmt, t) return raw_date(fmt, t or now) end,
    time = function(t) if t == nil then return now end return raw_time(t) end,
    clock = function() return 0 end,
    difftime = raw_difftime,
  }
  env.os, env.obj, env.actionParams = safe_os, obj, params
  env.require = function(name)
    if name == "os" then return safe_os end
    raw_error("module '" .. tostring(name) .. "' not found", 2)
  end
  local function run()
    local kind, value = run_chunk(source, "=action.lua", env, exceeded)
    if kind ~= "ok" then return kind, value end
    if type(value) ~= "table" then
      return "error", "expect table output from Lua script, not " .. type(value)
    end
    local out = {}
    local ok, e = raw_pcall(encode, value, {}, out)
    if exceeded() then return "limit" end
    if not ok then return "error", type(e) == "string" and e or tostring(e) end
    return "json", concat(out)
  end
  local res = protect(run)
  if res == nil then return "limit" end
  if not res[1] then
    local e = res[2]
    return "error", type(e) == "string" and e or type(e)
  end
  return unpack(res, 2, res.n)
end
"""


def _text(value: object) -> str:
    return go_text(value) if isinstance(value, bytes) else str(value)


def run_script(
    source: str,
    obj: Mapping[str, Any],
    *,
    params: Params | None = None,
    now: datetime,
    instruction_limit: int = DEFAULT_INSTRUCTION_LIMIT,
    what: str = "action",
) -> Any:
    """The JSON value ``source`` returns (see the module contract); ``what`` names the
    script in errors (``action`` or ``discovery``)."""
    try:
        runtime, runner = start(ACTION)
        lua_params = runtime.table_from(
            {utf8(str(k)): utf8(str(v)) for k, v in (params or {}).items()}
        )
        result = runner(
            utf8(source),
            to_lua(obj, runtime.table_from),
            lua_params,
            int(now.timestamp()),
            steps(instruction_limit),
            HOOK_STEP,
            safe_names(runtime),
        )
    except LuaMemoryError:
        raise ActionError(MEMORY_MESSAGE) from None
    except LuaError as err:
        raise ActionError(f"Lua {what} failed: {err}") from None
    parts = (*result, None) if isinstance(result, tuple) else (result, None)
    kind, payload = parts[0], parts[1]
    if kind == b"limit":
        raise ActionError(LIMIT_MESSAGE)
    if kind != b"json" or not isinstance(payload, bytes):
        message = _text(payload)
        if "not enough memory" in message:
            raise ActionError(MEMORY_MESSAGE)
        raise ActionError(f"error executing Lua {what} script: {message}")
    if len(payload) > MAX_OUTPUT:
        raise ActionError(f"Lua {what} output exceeds {MAX_OUTPUT} bytes")
    try:
        return orjson.loads(go_text(payload))
    except orjson.JSONDecodeError:
        raise ActionError(f"Lua {what} output is not valid JSON") from None


__all__ = ["LIMIT_MESSAGE", "MAX_OUTPUT", "MEMORY_MESSAGE", "run_script"]
