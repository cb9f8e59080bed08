"""A safe subset of antonmedv/expr for deep-link ``if`` conditions (pure; no ``eval``).

Grammar: literals (``"text"``, ``'text'``, numbers, ``true``, ``false``, ``nil``), names of the
environment (``application``, ``app``, ``resource``, ``cluster``, ``project``), member access
(``a.b``, ``a["b"]``, ``a?.b``, ``list[0]``), ``len(x)``, unary ``!``/``not``/``-``,
comparisons ``== != < <= > >=``, ``in`` / ``not in`` (list element or map key),
``contains`` / ``startsWith`` / ``endsWith`` (strings), ``&&``/``and``, ``||``/``or``
(short-circuit), and parentheses. A missing map key is ``nil``; reading a member of ``nil``
is an error unless ``?.`` is used; logical operators need booleans. Expressions are capped
at :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH` nesting. Anything else is an
:class:`ExprError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

MAX_LENGTH = 1024
MAX_DEPTH = 32
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<op>\?\.|==|!=|<=|>=|&&|\|\||[<>!().\[\],-])|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)
_WORD_OPS = {"and": "&&", "or": "||", "not": "!", "in": "in"}
_STRING_OPS = ("contains", "startsWith", "endsWith")


class ExprError(ValueError):
    """A condition Kapstan cannot parse or evaluate."""


def _tokens(source: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    while source[pos:].strip():
        found = _TOKEN.match(source, pos)
        if found is None:
            raise ExprError(f"unexpected {source[pos:].strip()[:20]!r}")
        kind = found.lastgroup or ""
        text = found.group(kind)
        if kind == "num":
            out.append(("lit", float(text) if "." in text else int(text)))
        elif kind == "str":
            body = text[1:-1] if text[0] == '"' else text[1:-1].replace('\\"', '"')
            try:
                out.append(("lit", json.loads('"' + body.replace("\\'", "'") + '"')))
            except ValueError:
                raise ExprError(f"bad string {text}") from None
        elif kind == "name" and text in ("true", "false", "nil"):
            out.append(("lit", {"true": True, "false": False, "nil": None}[text]))
        elif kind == "name" and text in _WORD_OPS:
            out.append(("op", _WORD_OPS[text]))
        elif kind == "name" and text in _STRING_OPS:
            out.append(("op", text))
        else:
            out.append(("op" if kind == "op" else "name", text))
        pos = found.end()
    return out


def _equal(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, numbers) and isinstance(b, numbers):
        return a == b
    return type(a) is type(b) and a == b


def _member(value: Any, key: Any, optional: bool) -> Any:
    if value is None:
        if optional:
            return None
        raise ExprError(f"cannot fetch {key} from <nil>")
    if isinstance(value, Mapping):
        return value.get(key) if isinstance(key, str) else None
    if isinstance(value, list) and isinstance(key, int) and not isinstance(key, bool):
        if -len(value) <= key < len(value):
            return value[key]
        raise ExprError(f"index out of range: {key}")
    raise ExprError(f"cannot fetch {key} from {type(value).__name__}")


class _Parser:
    def __init__(self, source: str, env: Mapping[str, Any]) -> None:
        if len(source) > MAX_LENGTH:
            raise ExprError(f"condition longer than {MAX_LENGTH} characters")
        self.tokens = _tokens(source)
        self.pos = 0
        self.env = env
        self.depth = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, op: str) -> bool:
        if self.peek() == ("op", op):
            self.pos += 1
            return True
        return False

    def expect(self, op: str) -> None:
        if not self.take(op):
            raise ExprError(f"expected {op!r}")

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ExprError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return value

    def _bool(self, value: Any, op: str) -> bool:
        if not isinstance(value, bool):
            raise ExprError(f"invalid operation: {op} needs booleans")
        return value

    def or_(self) -> Any:
        left = self.and_()
        while self.take("||"):
            # Both sides are parsed (the grammar must be valid); only the value short-circuits.
            right = self.and_()
            left = self._bool(left, "||") or self._bool(right, "||")
        return left

    def and_(self) -> Any:
        left = self.compare()
        while self.take("&&"):
            right = self.compare()
            left = self._bool(left, "&&") and self._bool(right, "&&")
        return left

    def compare(self) -> Any:
        left = self.unary()
        token = self.peek()
        if token is None or token[0] != "op":
            return left
        op = token[1]
        if (
            op == "!"
            and self.pos + 1 < len(self.tokens)
            and self.tokens[self.pos + 1]
            == (
                "op",
                "in",
            )
        ):
            self.pos += 2
            return not self._in(left, self.unary())
        if op not in ("==", "!=", "<", "<=", ">", ">=", "in", *_STRING_OPS):
            return left
        self.pos += 1
        right = self.unary()
        if op == "==":
            return _equal(left, right)
        if op == "!=":
            return not _equal(left, right)
        if op == "in":
            return self._in(left, right)
        if op in _STRING_OPS:
            if not isinstance(left, str) or not isinstance(right, str):
                raise ExprError(f"invalid operation: {op} needs strings")
            if op == "contains":
                return right in left
            return left.startswith(right) if op == "startsWith" else left.endswith(right)
        return self._order(op, left, right)

    @staticmethod
    def _in(item: Any, container: Any) -> bool:
        if isinstance(container, Mapping):
            return isinstance(item, str) and item in container
        if isinstance(container, list):
            return any(_equal(item, c) for c in container)
        raise ExprError("invalid operation: in needs a list or a map")

    @staticmethod
    def _order(op: str, left: Any, right: Any) -> bool:
        numbers = isinstance(left, int | float) and isinstance(right, int | float)
        strings = isinstance(left, str) and isinstance(right, str)
        if not (numbers or strings) or isinstance(left, bool) or isinstance(right, bool):
            raise ExprError(f"invalid operation: {op} needs two numbers or two strings")
        results: dict[str, bool] = {
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }
        return results[op]

    def unary(self) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError("condition nested too deeply")
        try:
            if self.take("!"):
                return not self._bool(self.unary(), "!")
            if self.take("-"):
                value = self.unary()
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise ExprError("invalid operation: - needs a number")
                return -value
            return self.postfix(self.primary())
        finally:
            self.depth -= 1

    def primary(self) -> Any:
        token = self.peek()
        if token is None:
            raise ExprError("unexpected end of condition")
        self.pos += 1
        kind, value = token
        if kind == "lit":
            return value
        if token == ("op", "("):
            inner = self.or_()
            self.expect(")")
            return inner
        if kind == "name" and value == "len" and self.take("("):
            arg = self.or_()
            self.expect(")")
            if not isinstance(arg, str | list | Mapping):
                raise ExprError("invalid argument for len")
            return len(arg)
        if kind == "name":
            if value not in self.env:
                raise ExprError(f"unknown name {value}")
            return self.env[value]
        raise ExprError(f"unexpected {value!r}")

    def postfix(self, value: Any) -> Any:
        while True:
            dot = self.take(".")
            optional = not dot and self.take("?.")
            if dot or optional:
                token = self.peek()
                if token is None or token[0] != "name":
                    raise ExprError("expected a member name")
                self.pos += 1
                value = _member(value, token[1], optional)
            elif self.take("["):
                key = self.or_()
                self.expect("]")
                value = _member(value, key, False)
            else:
                return value


def evaluate(condition: str, env: Mapping[str, Any]) -> Any:
    """The value of ``condition`` in ``env`` (see the module docstring)."""
    return _Parser(condition, env).parse()


__all__ = ["ExprError", "evaluate"]
