"""Plain-directory sources: YAML/JSON manifests and Jsonnet, as Argo CD's Directory type.

Contract of :func:`render_directory`:

- only files directly in the app directory unless ``recurse``; ``.yaml``, ``.yml``, ``.json``
  and ``.jsonnet`` files, in sorted order of their path relative to the app directory, except
  the ``.argocd-source*.yaml`` parameter overrides (configuration, not manifests);
- ``include``/``exclude`` are globs on that relative path with ``{a,b}`` alternation and
  ``*`` crossing ``/`` (gobwas/glob without separators, as Argo CD compiles them); exclude wins;
- Jsonnet gets ``extVars``/``tlas`` (``code: true`` means a Jsonnet expression) and ``libs``
  (repository-relative search directories); every import is confined to the repository;
- provenance of each object is its file's path relative to the repository root.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from kapstan import proc
from kapstan.render import paths, yamlio
from kapstan.render.base import Limits, Manifest, RenderError
from kapstan.render.overrides import is_override_file

_EXTENSIONS = frozenset({".yaml", ".yml", ".json", ".jsonnet"})


@cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile an Argo CD directory glob (``*``, ``?``, ``[...]``, ``{a,b}``) to a regex."""
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise RenderError(f"invalid glob {pattern!r}: unclosed '['")
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise RenderError(f"invalid glob {pattern!r}: unclosed '{{'")
    return re.compile("".join(out), re.DOTALL)


def _matches(pattern: str, rel: str) -> bool:
    return glob_regex(pattern).fullmatch(rel) is not None


def select_files(app_dir: Path, root: Path, spec: Mapping[str, Any]) -> list[Path]:
    """The manifest files a Directory source renders, per the module contract."""
    include = str(spec.get("include") or "")
    exclude = str(spec.get("exclude") or "")
    chosen = []
    for path in paths.walk(app_dir, root, recurse=bool(spec.get("recurse"))):
        if path.suffix not in _EXTENSIONS or is_override_file(path.name):
            continue
        rel = path.relative_to(app_dir).as_posix()
        if exclude and _matches(exclude, rel):
            continue
        if include and not _matches(include, rel):
            continue
        chosen.append(path)
    return chosen


async def _jsonnet_in_child(
    file: Path, root: Path, jsonnet: Mapping[str, Any], limits: Limits, name: str
) -> bytes:
    # go-jsonnet cannot be interrupted in-process, so each evaluation runs in a child process
    # that kapstan.proc kills at the timeout and whose output it caps.
    request = {
        "file": str(file),
        "root": str(root),
        "jsonnet": dict(jsonnet),
        "max_file_bytes": limits.max_file_bytes,
    }
    try:
        done = await proc.run(
            [sys.executable, "-m", "kapstan.render.jsonnet_worker"],
            stdin=json.dumps(request).encode(),
            timeout=limits.timeout,
            max_output=limits.max_output,
        )
    except proc.ProcessTimeout:
        raise RenderError(f"jsonnet timed out after {limits.timeout:g}s", file=name) from None
    except proc.OutputTooLarge:
        raise RenderError(f"jsonnet output exceeded {limits.max_output} bytes", file=name) from None
    except proc.ProcessFailed as e:
        raise _worker_error(e, name) from None
    return done.stdout


def _worker_error(e: proc.ProcessFailed, name: str) -> RenderError:
    last = e.stderr.strip().splitlines()[-1:] or [""]
    try:
        info = json.loads(last[0])
        return RenderError(str(info["error"]), file=info.get("file") or name)
    except (ValueError, KeyError, TypeError):
        return RenderError(f"jsonnet evaluation failed: {last[0] or 'no error output'}", file=name)


async def render_directory(
    app_dir: Path, root: Path, spec: Mapping[str, Any], limits: Limits
) -> list[Manifest]:
    """Render a Directory source; see the module contract."""
    out: list[Manifest] = []
    jsonnet = spec.get("jsonnet") or {}
    for path in select_files(app_dir, root, spec):
        name = paths.relative(path, root)
        if path.suffix == ".jsonnet":
            data = await _jsonnet_in_child(path, root, jsonnet, limits, name)
            docs = yamlio.load_manifests(data, name=name, limits=limits, json=True)
        else:
            docs = yamlio.load_file(path, name=name, limits=limits)
        out.extend(Manifest(obj=obj, source=name) for _line, obj in docs)
        if len(out) > limits.max_documents:
            raise RenderError(f"more than {limits.max_documents} documents in the render")
    return out
