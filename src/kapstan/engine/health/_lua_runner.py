"""The Lua half of the health-script sandbox (see :mod:`kapstan.engine.health.lua`).

``BOOTSTRAP`` is executed once per fresh LuaJIT state. It switches the JIT compiler off
first: LuaJIT's count hook only fires in the interpreter, never inside a compiled trace, so
with the JIT on a tight ``while true do end`` would never see the instruction budget. It
then returns the runner function, which takes ``(source, obj, limit_steps, step,
open_libs, safe_names)`` and returns ``(kind, a, b)``:

* ``"nil"`` - the script returned nil: Argo CD falls through to the built-in check,
* ``"empty"`` - a table Go cannot unmarshal into a health status: Argo CD reports an
  empty status (no health),
* ``"error", message`` - Argo CD reports ``Unknown`` with that message,
* ``"limit"`` - the instruction budget ran out,
* ``"fields", status, message`` - the table's status and message strings.

Everything the runner uses after the script starts is captured in locals first, so a
script that rewrites globals or library tables (with open libs it shares ``_G``) cannot
change the runner, and the hook stays installed until the state is closed, so anything
the script leaves behind (metamethods, error objects) still runs under the budget.
"""

from __future__ import annotations

LIMIT_MARK = "__kapstan_instruction_limit__"

BOOTSTRAP = r"""
jit.off()
jit.flush()
local LIMIT = "__kapstan_instruction_limit__"
local sethook, getinfo, traceback = debug.sethook, debug.getinfo, debug.traceback
local raw_pcall, raw_xpcall, raw_error = pcall, xpcall, error
local raw_load, raw_loadfile, raw_resume = load, loadfile, coroutine.resume
local select, unpack, type, next = select, unpack, type, next
local rawget, tostring, setfenv = rawget, tostring, setfenv
local sort, rep, gsub, lower = table.sort, string.rep, string.gsub, string.lower
local huge = math.huge
local G = _G

return function(source, obj, limit_steps, step, open_libs, safe_names)
  local exceeded, steps = false, 0
  local function hook()
    steps = steps + 1
    if steps > limit_steps then exceeded = true; raw_error(LIMIT, 0) end
  end
  local function pack(...) return {n = select("#", ...), ...} end
  -- A script may catch errors, but never the budget error: every protected call
  -- re-raises it once the budget is spent.
  local function recheck(res)
    if exceeded then raw_error(LIMIT, 0) end
    return unpack(res, 1, res.n)
  end
  local function guarded_pcall(...) return recheck(pack(raw_pcall(...))) end
  local function guarded_xpcall(f, h) return recheck(pack(raw_xpcall(f, h))) end
  -- LuaJIT hooks are global to the state, so coroutines are counted without a per-thread
  -- hook (and calling sethook again would reset the count). resume and load (whose reader
  -- function runs protected) only need the re-raise.
  local function guarded_resume(co, ...) return recheck(pack(raw_resume(co, ...))) end
  local function text_load(chunk, name, _, env)
    return recheck(pack(raw_load(chunk, name, "t", env)))
  end
  local function copy(t)
    local c = {}
    for k, v in next, t do c[k] = v end
    return c
  end
  local co_lib = copy(coroutine)
  co_lib.resume = guarded_resume

  local env
  if open_libs then
    env = G
    -- gopher-lua has neither LuaJIT's jit/ffi/newproxy nor C modules. Each would let a
    -- script re-enable the JIT, run native code or finalizers outside the budget.
    env.jit, env.newproxy = nil, nil
    local pkg = env.package
    for name in next, pkg.preload do pkg.preload[name] = nil end
    pkg.loaded.jit, pkg.loaded.ffi = nil, nil
    pkg.loadlib, pkg.cpath = nil, ""
    pkg.loaders = {pkg.loaders[1], pkg.loaders[2]}
    -- Text chunks only: LuaJIT bytecode can be crafted to break out of the VM.
    env.load = text_load
    env.loadstring = function(s, name) return text_load(s, name) end
    env.loadfile = function(path) return raw_loadfile(path, "t") end
    env.dofile = function(path)
      local fn, err = raw_loadfile(path, "t")
      if not fn then raw_error(err, 2) end
      return fn()
    end
    -- Calls that block or end the process run outside the budget: os keeps its clock and
    -- calendar functions only, io is withdrawn and print writes nowhere.
    local os = env.os
    env.os = {clock = os.clock, date = os.date, difftime = os.difftime, time = os.time}
    pkg.loaded.os = env.os
    env.io, pkg.loaded.io = nil, nil
    env.print = function() end
    -- debug could reach the runner's locals and the hook itself.
    env.debug = {
      traceback = traceback,
      getinfo = function(...)
        local info = getinfo(...)
        if type(info) == "table" then info.func = nil end
        return info
      end,
    }
    pkg.loaded.debug = env.debug
  else
    env = {}
    for i = 1, #safe_names do env[safe_names[i]] = G[safe_names[i]] end
    env.string, env.table, env.math = copy(G.string), copy(G.table), copy(G.math)
  end
  env.pcall, env.xpcall, env.coroutine, env._G = guarded_pcall, guarded_xpcall, co_lib, env
  env.obj = obj

  local PREFIX = "json: error calling MarshalJSON for type json.jsonValue: "
  local function sequence_length(t)
    local n = 0
    for k in next, t do
      if type(k) ~= "number" then return nil end
      n = n + 1
    end
    for i = 1, n do
      if rawget(t, i) == nil then return nil end
    end
    return n
  end
  local function key_name(k)
    local tk = type(k)
    if tk == "string" then return k end
    if tk == "number" or tk == "boolean" then return tostring(k) end
    return tk
  end
  local function by_name(a, b) return key_name(a) < key_name(b) end
  -- What layeh/gopher-json's Encode rejects, in encoding/json's order (sorted object
  -- keys, array order), each level wrapped once more by encoding/json.
  local function encode_error(t, depth, on_path)
    if on_path[t] then return "cannot encode recursively nested tables to JSON" end
    on_path[t] = true
    local keys, n = {}, sequence_length(t)
    if n then
      for i = 1, n do keys[i] = i end
    else
      n = 0
      for k in next, t do n = n + 1; keys[n] = k end
      sort(keys, by_name)
    end
    for i = 1, n do
      local v = rawget(t, keys[i])
      local tv, err = type(v), nil
      if tv == "table" then
        err = encode_error(v, depth + 1, on_path)
      elseif tv == "function" then
        err = rep(PREFIX, depth) .. "cannot encode function to JSON"
      elseif tv == "userdata" then
        err = rep(PREFIX, depth) .. "cannot encode userdata to JSON"
      elseif tv == "thread" then
        err = rep(PREFIX, depth) .. "cannot encode state to JSON"
      elseif tv == "number" and v ~= v then
        err = rep(PREFIX, depth) .. "json: unsupported value: NaN"
      elseif tv == "number" and (v == huge or v == -huge) then
        err = rep(PREFIX, depth) .. "json: unsupported value: " .. (v > 0 and "+Inf" or "-Inf")
      end
      if err then return err end
    end
    on_path[t] = nil
    return nil
  end
  -- encoding/json matches keys case-insensitively (U+017F folds to "s"); with several
  -- matches the last in sorted key order wins. A non-string value is a type error, and
  -- Argo CD turns any unmarshal type error into an empty health status.
  local function fields(t)
    local names = {}
    for k in next, t do
      if type(k) == "string" then
        local folded = lower((gsub(k, "\197\191", "s")))
        if folded == "status" or folded == "message" then names[#names + 1] = k end
      end
    end
    sort(names)
    local out = {status = "", message = ""}
    for i = 1, #names do
      local v = rawget(t, names[i])
      if type(v) ~= "string" then return "empty" end
      out[lower((gsub(names[i], "\197\191", "s")))] = v
    end
    return "fields", out.status, out.message
  end
  local function decode(v)
    if v == nil then return "nil" end
    local tv = type(v)
    if tv ~= "table" then return "error", "expect table output from Lua script, not " .. tv end
    local err = encode_error(v, 1, {})
    if err then return "error", err end
    if sequence_length(v) then return "empty" end
    return fields(v)
  end
  local function run()
    local chunk, err = raw_load(source, "=health.lua", "t")
    if not chunk then return "error", err end
    setfenv(chunk, env)
    local res = pack(raw_pcall(chunk))
    if exceeded then return "limit" end
    if not res[1] then
      local e = res[2]
      return "error", type(e) == "string" and e or tostring(e)
    end
    return decode(res[2])
  end

  sethook(hook, "", step)
  local res = pack(raw_pcall(run))
  if exceeded then return "limit" end
  if not res[1] then
    local e = res[2]
    return "error", "Lua health check failed: " .. (type(e) == "string" and e or type(e))
  end
  return unpack(res, 2, res.n)
end
"""
