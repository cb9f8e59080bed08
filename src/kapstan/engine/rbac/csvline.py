"""One policy line read the way Argo CD reads it: Go's ``encoding/csv`` with
``TrimLeadingSpace`` on and lazy quotes off, after ``strings.TrimSpace``.

What that means, spelled out because every detail changes which subject or object a line
names: fields are split on ``,``; white space before a field is dropped, white space after
it is kept (``role: admin`` is not ``role:admin``); a field that starts with ``"`` is quoted,
``""`` inside it is one quote and the closing quote must be followed by ``,`` or the end of
the line; a ``"`` anywhere in an unquoted field is an error.
"""

from __future__ import annotations

__all__ = ["CSVLineError", "go_trim_space", "split_csv_line"]

# Go's unicode.IsSpace: the Latin-1 spaces plus the rest of Unicode's White_Space property.
# (Python's str.strip() also strips U+001C..U+001F, which Go does not.)
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    map(chr, range(0x2000, 0x200B))
)
_QUOTE_ERROR = 'extraneous or missing " in quoted-field'
_BARE_QUOTE_ERROR = 'bare " in non-quoted-field'


class CSVLineError(ValueError):
    """The line is not one CSV record (the message is Go's, so it reads like Argo CD's log)."""


def go_trim_space(text: str) -> str:
    """``strings.TrimSpace``: strip Go's white space from both ends."""
    return text.strip(_GO_SPACE)


def _skip_space(line: str, i: int) -> int:
    while i < len(line) and line[i] in _GO_SPACE:
        i += 1
    return i


def _quoted(line: str, i: int) -> tuple[str, int | None]:
    """Read the quoted field whose opening quote is at ``line[i - 1]``.

    Returns the field and the index after its ``,``, or ``None`` when it ended the line.
    """
    parts: list[str] = []
    while True:
        close = line.find('"', i)
        if close < 0:
            raise CSVLineError(_QUOTE_ERROR)
        parts.append(line[i:close])
        i = close + 1
        if i < len(line) and line[i] == '"':
            parts.append('"')
            i += 1
            continue
        if i == len(line):
            return "".join(parts), None
        if line[i] == ",":
            return "".join(parts), i + 1
        raise CSVLineError(_QUOTE_ERROR)


def split_csv_line(line: str) -> list[str]:
    """Split one line (no newline inside) into its fields; raises :class:`CSVLineError`."""
    fields: list[str] = []
    i: int | None = 0
    while i is not None:
        i = _skip_space(line, i)
        if i < len(line) and line[i] == '"':
            field, i = _quoted(line, i + 1)
        else:
            comma = line.find(",", i)
            field = line[i:] if comma < 0 else line[i:comma]
            if '"' in field:
                raise CSVLineError(_BARE_QUOTE_ERROR)
            i = None if comma < 0 else comma + 1
        fields.append(field)
    return fields
