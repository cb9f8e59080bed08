"""The Lua half of the health-script sandbox (see :mod:`kapstan.engine.health.lua`).

``HEALTH`` follows the shared sandbox (:data:`kapstan.engine.luavm.sandbox.SANDBOX`: JIT
off, instruction budget, safe globals) in each fresh LuaJIT state
(:func:`kapstan.engine.luavm.start`); it returns the health runner, a function of
``(source, obj, limit_steps, step, open_libs, safe_names)`` that returns ``(kind, a, b)``:

* ``"nil"`` - the script returned nil: Argo CD falls through to the built-in check,
* ``"empty"`` - a table Go cannot unmarshal into a health status: Argo CD reports an
  empty status (no health),
* ``"error", message`` - Argo CD reports ``Unknown`` with that message,
* ``"limit"`` - the instruction budget ran out,
* ``"fields", status, message`` - the table's status and message strings.
"""

from __future__ import annotations

from kapstan.engine.luavm.sandbox import LIMIT_MARK

HEALTH = r"""
return function(source, obj, limit_steps, step, open_libs, safe_names)
  local env, protect, exceeded = new_sandbox(limit_steps, step, open_libs, safe_names)
  env.obj = obj

  local PREFIX = "json: error calling MarshalJSON for type json.jsonValue: "
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
    local kind, value = run_chunk(source, "=health.lua", env, exceeded)
    if kind ~= "ok" then return kind, value end
    return decode(value)
  end

  local res = protect(run)
  if res == nil then return "limit" end
  if not res[1] then
    local e = res[2]
    return "error", "Lua health check failed: " .. (type(e) == "string" and e or type(e))
  end
  return unpack(res, 2, res.n)
end
"""

__all__ = ["HEALTH", "LIMIT_MARK"]
