"""Flux's image setter markers in plain YAML, as Flux's image-automation-controller reads them:

    image: reg.io/team/web:1.2.3 # {"$imagepolicy": "argocd:web"}
    tag: 1.2.3 # {"$imagepolicy": "argocd:web:tag"}
    repo: reg.io/team/web # {"$imagepolicy": "argocd:web:name"}

Contract of :func:`set_markers`: in ``text``, every line whose trailing comment is a marker for
a policy in ``values`` (``<namespace>:<policy>``: Kapstan names an image's policy
``<Application namespace>:<alias>``) gets its scalar replaced: the whole reference for no
field, the tag for ``:tag``, the image name for ``:name``, the digest for ``:digest`` (skipped
when none is known). Everything else on the line and in the file is kept byte for byte.
Returns the new text (equal to ``text`` when nothing changed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_MARKER = re.compile(
    r'^(?P<head>.*?:[ \t]+|[ \t]*-[ \t]+)(?P<value>"[^"]*"|\'[^\']*\'|[^\s#]+)'
    r'(?P<gap>[ \t]+)#[ \t]*\{[ \t]*"\$imagepolicy"[ \t]*:[ \t]*"(?P<policy>[^"]+)"[ \t]*\}'
    r"(?P<tail>[ \t]*)$"
)


@dataclass(frozen=True)
class SetterValue:
    """What a policy resolved to: image name, tag and (digest strategy) digest."""

    name: str
    tag: str
    digest: str | None = None


def _field(value: SetterValue, field: str) -> str | None:
    if field == "":
        return f"{value.name}@{value.digest}" if value.digest else f"{value.name}:{value.tag}"
    if field == "tag":
        return value.tag
    if field == "name":
        return value.name
    if field == "digest":
        return value.digest
    return None


def set_markers(text: str, values: Mapping[str, SetterValue]) -> str:
    """``text`` with its marked values set (see the module contract)."""
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        m = _MARKER.match(body)
        if m is None:
            out.append(line)
            continue
        ns, _, rest = m.group("policy").partition(":")
        name, _, field = rest.partition(":")
        value = values.get(f"{ns}:{name}")
        new = _field(value, field) if value is not None else None
        if new is None:
            out.append(line)
            continue
        old = m.group("value")
        quoted = f"{old[0]}{new}{old[0]}" if old[:1] in ("'", '"') else new
        marker = body[m.end("value") :]
        out.append(m.group("head") + quoted + marker + ending)
    return "".join(out)


__all__ = ["SetterValue", "set_markers"]
