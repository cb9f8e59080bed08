"""The Lua half of the sandbox every Argo CD-format script runs in (health checks, resource
actions): :data:`SANDBOX` is the start of each bootstrap (see :mod:`kapstan.engine.luavm`).

It switches the JIT compiler off first: LuaJIT's count hook only fires in the interpreter,
never inside a compiled trace, so with the JIT on a tight ``while true do end`` would never
see the instruction budget. It captures in locals everything used after a script starts, so
a script that rewrites globals or library tables (with open libs it shares ``_G``) cannot
change the runner, and defines, for the bootstrap that follows it:

* ``new_sandbox(limit_steps, step, open_libs, safe_names)`` -> ``env, protect, exceeded``:
  ``env`` is the script's global table (the safe base functions, copies of ``string``,
  ``table`` and ``math``; or the standard library minus what would leave the budget or the
  VM when ``open_libs``); ``protect(fn)`` installs the budget hook (``limit_steps`` times
  ``step`` VM instructions) and runs ``fn`` protected, returning ``nil`` once the budget is
  spent, else the packed results of ``pcall``; ``exceeded()`` tells whether it is spent. A
  script may catch errors, but never the budget error: every protected call it makes
  re-raises it. The hook stays installed until the state is closed, so anything the script
  leaves behind (metamethods, error objects) still runs under the budget;
* ``run_chunk(source, name, env, exceeded)``: loads a text chunk into ``env`` and runs it:
  ``"ok", value``, ``"limit"`` or ``"error", message``;
* ``pack(...)``, ``sequence_length(t)`` (``n`` when the keys are exactly ``1..n``, else
  ``nil``) and the captured library functions.
"""

from __future__ import annotations

LIMIT_MARK = "__kapstan_instruction_limit__"

SANDBOX = r"""
jit.off()
jit.flush()
local LIMIT = "__kapstan_instruction_limit__"
local sethook, getinfo, traceback = debug.sethook, debug.getinfo, debug.traceback
local raw_pcall, raw_xpcall, raw_error = pcall, xpcall, error
local raw_load, raw_loadfile, raw_resume = load, loadfile, coroutine.resume
local select, unpack, type, next = select, unpack, type, next
local rawget, tostring, setfenv = rawget, tostring, setfenv
local sort, rep, gsub, lower = table.sort, string.rep, string.gsub, string.lower
local concat, format, byte = table.concat, string.format, string.byte
local huge, floor = math.huge, math.floor
local raw_date, raw_time, raw_difftime = os.date, os.time, os.difftime
local G = _G

local function pack(...) return {n = select("#", ...), ...} end
local function copy(t)
  local c = {}
  for k, v in next, t do c[k] = v end
  return c
end
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

local function new_sandbox(limit_steps, step, open_libs, safe_names)
  local exceeded, steps = false, 0
  local function hook()
    steps = steps + 1
    if steps > limit_steps then exceeded = true; raw_error(LIMIT, 0) end
  end
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

  local function protect(fn)
    sethook(hook, "", step)
    local res = pack(raw_pcall(fn))
    if exceeded then return nil end
    return res
  end
  return env, protect, function() return exceeded end
end

-- Load and run a script (text only) in env: "ok", its first result; "limit"; or "error",
-- the message.
local function run_chunk(source, name, env, exceeded)
  local chunk, err = raw_load(source, name, "t")
  if not chunk then return "error", err end
  setfenv(chunk, env)
  local res = pack(raw_pcall(chunk))
  if exceeded() then return "limit" end
  if not res[1] then
    local e = res[2]
    return "error", type(e) == "string" and e or tostring(e)
  end
  return "ok", res[2]
end
"""
