"""Run Argo CD-format Lua health scripts in the LuaJIT sandbox of
:mod:`kapstan.engine.luavm` (a fresh state per call, instruction and memory limits).

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
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from kapstan.engine.health._lua_runner import HEALTH
from kapstan.engine.luavm import (
    DEFAULT_INSTRUCTION_LIMIT,  # re-exported: health's default budget
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
from kapstan.model.health import HealthStatus, ResourceHealth

LIMIT_MESSAGE = "Lua health check stopped: instruction limit exceeded"
MEMORY_MESSAGE = "Lua health check stopped: memory limit exceeded"
INVALID_STATUS = "Lua returned an invalid health status"


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
        runtime, runner = start(HEALTH)
        lua_obj = to_lua(obj, runtime.table_from)
        result = runner(
            utf8(source),
            lua_obj,
            steps(instruction_limit),
            HOOK_STEP,
            use_open_libs,
            safe_names(runtime),
        )
    except LuaMemoryError:
        return _unknown(MEMORY_MESSAGE)
    except LuaError as err:
        return _unknown(f"Lua health check failed: {err}")
    except Exception as err:  # the contract: a health check never raises into its caller
        return _unknown(f"Lua health check failed: {type(err).__name__}: {err}")
    parts = (*result, None, None) if isinstance(result, tuple) else (result, None, None)
    return _verdict(parts[0], parts[1], parts[2])
