"""A safe subset of Go's ``text/template`` for deep-link URLs (pure; no code runs).

Supported inside ``{{ }}`` (``{{-``/``-}}`` trim white space, ``{{/* */}}`` comments): a
pipeline of commands separated by ``|``, each a field chain (``.``, ``.application.spec.x``)
or a literal (``"string"``, `` `raw` ``, number, ``true``/``false``) or a function with
arguments: ``index``, ``lower``, ``upper``, ``trim``, ``trimPrefix``, ``trimSuffix``,
``replace``, ``urlquery``, ``default``, ``quote``. A piped value is the last argument, as in
Go. Anything else (``if``, ``range``, variables, other functions) is a :class:`TemplateError`.

Values print as Go's ``fmt`` prints decoded JSON: a missing map key is ``<no value>``,
reading a field of a missing value is an error (``nil pointer evaluating interface {}.x``),
maps are ``map[k:v ...]`` with sorted keys, lists ``[a b]``, floats in Go's ``%v`` form.
Output is capped at :data:`MAX_OUTPUT` characters.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

MAX_TEMPLATE = 4096
MAX_OUTPUT = 8192
_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<raw>`[^`]*`)|(?P<pipe>\|)'
    r"|(?P<field>(?:\.[A-Za-z_][A-Za-z0-9_-]*)+|\.)|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)
NO_VALUE = "<no value>"


class TemplateError(ValueError):
    """A template Kapstan cannot parse or evaluate."""


class _Missing:
    """A map key that is not there (Go's zero ``interface{}``)."""


MISSING = _Missing()


def _go_float(x: float) -> str:
    """Go's ``%v`` of a float64 (``strconv`` 'g', shortest digits, exponent from 1e+06)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    if x == 0:
        return "0"
    sign, digit_tuple, exponent = Decimal(repr(x)).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    nd, dp = len(digits), exponent + len(digits)
    neg = "-" if sign else ""
    exp = dp - 1
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if nd > 1 else "")
        return f"{neg}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if dp <= 0:
        return f"{neg}0.{'0' * -dp}{digits}"
    if dp >= nd:
        return f"{neg}{digits}{'0' * (dp - nd)}"
    return f"{neg}{digits[:dp]}.{digits[dp:]}"


def show(value: Any) -> str:
    """``fmt.Sprint`` of a decoded JSON value."""
    if value is MISSING or value is None:
        return NO_VALUE if value is MISSING else "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{show(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(show(v) for v in value) + "]"
    return str(value)


def _field(data: Any, path: str) -> Any:
    value = data
    for part in path.split(".")[1:]:
        if not part:
            continue
        if value is MISSING or value is None:
            raise TemplateError(f"nil pointer evaluating interface {{}}.{part}")
        if not isinstance(value, Mapping):
            raise TemplateError(f"can't evaluate field {part} in type {type(value).__name__}")
        value = value.get(part, MISSING)
    return value


def _index(container: Any, *keys: Any) -> Any:
    value = container
    for key in keys:
        if isinstance(value, Mapping):
            value = value.get(show(key), MISSING)
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
        else:
            raise TemplateError(f"error calling index: cannot index {show(value)} with {key!r}")
    return value


def _default(fallback: Any, *given: Any) -> Any:
    value = given[0] if given else MISSING
    empty = value is MISSING or value in (None, "", 0, False) or value in ({}, [])
    return fallback if empty else value


FUNCS: dict[str, Callable[..., Any]] = {
    "index": _index,
    "lower": lambda s: show(s).lower(),
    "upper": lambda s: show(s).upper(),
    "trim": lambda s: show(s).strip(),
    "trimPrefix": lambda p, s: show(s).removeprefix(show(p)),
    "trimSuffix": lambda p, s: show(s).removesuffix(show(p)),
    "replace": lambda old, new, s: show(s).replace(show(old), show(new)),
    "urlquery": lambda *args: quote_plus("".join(show(a) for a in args)),
    "default": _default,
    "quote": lambda *args: " ".join(json.dumps(show(a)) for a in args),
}


def _literal(kind: str, text: str) -> Any:
    if kind == "str":
        try:
            return json.loads(text)
        except ValueError:
            raise TemplateError(f"bad string {text}") from None
    if kind == "raw":
        return text[1:-1]
    return float(text) if "." in text else int(text)


def _tokens(source: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        found = _TOKEN.match(source, pos)
        if found is None or found.end() == pos:
            raise TemplateError(f"unexpected {source[pos:].strip()[:20]!r} in template")
        kind = found.lastgroup or ""
        out.append((kind, found.group(kind)))
        pos = found.end()
    return out


def _command(tokens: list[tuple[str, str]], data: Any, piped: list[Any]) -> Any:
    if not tokens:
        raise TemplateError("missing value for command")
    kind, text = tokens[0]
    args = [_operand(k, t, data) for k, t in tokens[1:]] + piped
    if kind == "word" and text in ("true", "false"):
        if len(tokens) > 1 or piped:
            raise TemplateError(f"{text} is not a function")
        return text == "true"
    if kind == "word":
        func = FUNCS.get(text)
        if func is None:
            raise TemplateError(f'function "{text}" not defined (or not allowed)')
        try:
            return func(*args)
        except TypeError:
            raise TemplateError(f"wrong number of args for {text}") from None
    if args:
        raise TemplateError(f"can't give argument to non-function {text}")
    return _operand(kind, text, data)


def _operand(kind: str, text: str, data: Any) -> Any:
    if kind == "field":
        return _field(data, text)
    if kind == "word":
        if text in ("true", "false"):
            return text == "true"
        raise TemplateError(f'function "{text}" needs to be first in a command')
    return _literal(kind, text)


def _pipeline(source: str, data: Any) -> str:
    tokens = _tokens(source)
    commands: list[list[tuple[str, str]]] = [[]]
    for token in tokens:
        if token[0] == "pipe":
            commands.append([])
        else:
            commands[-1].append(token)
    piped: list[Any] = []
    for command in commands:
        piped = [_command(command, data, piped)]
    return show(piped[0])


def render(template: str, data: Mapping[str, Any]) -> str:
    """``template`` executed on ``data`` (see the module docstring)."""
    if len(template) > MAX_TEMPLATE:
        raise TemplateError(f"template longer than {MAX_TEMPLATE} characters")
    out: list[str] = []
    pos = 0
    for action in _ACTION.finditer(template):
        text = template[pos : action.start()]
        if action.group(1):
            text = text.rstrip()
        out.append(text)
        body = action.group(2).strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            out.append(_pipeline(body, data))
        pos = action.end()
        if action.group(3):
            while pos < len(template) and template[pos].isspace():
                pos += 1
    rest = template[pos:]
    if "{{" in rest:
        raise TemplateError("unclosed action")
    out.append(rest)
    result = "".join(out)
    if len(result) > MAX_OUTPUT:
        raise TemplateError(f"link longer than {MAX_OUTPUT} characters")
    return result


__all__ = ["NO_VALUE", "TemplateError", "render", "show"]
