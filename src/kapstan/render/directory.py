"""Plain-directory sources: YAML/JSON manifests and Jsonnet, as Argo CD's Directory type.

Contract of :func:`render_directory`:

- only files directly in the app directory unless ``recurse``; ``.yaml``, ``.yml``, ``.json``
  and ``.jsonnet`` files, in sorted order of their path relative to the app directory;
- ``include``/``exclude`` are globs on that relative path with ``{a,b}`` alternation and
  ``*`` crossing ``/`` (gobwas/glob without separators, as Argo CD compiles them); exclude wins;
- Jsonnet gets ``extVars``/``tlas`` (``code: true`` means a Jsonnet expression) and ``libs``
  (repository-relative search directories); every import is confined to the repository;
- provenance of each object is its file's path relative to the repository root.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from kapstan.render import paths, yamlio
from kapstan.render.base import Limits, Manifest, RenderError

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
        if path.suffix not in _EXTENSIONS:
            continue
        rel = path.relative_to(app_dir).as_posix()
        if exclude and _matches(exclude, rel):
            continue
        if include and not _matches(include, rel):
            continue
        chosen.append(path)
    return chosen


def _jsonnet_vars(items: Any, what: str) -> tuple[dict[str, str], dict[str, str]]:
    plain: dict[str, str] = {}
    code: dict[str, str] = {}
    for item in items or []:
        if not isinstance(item, Mapping) or not item.get("name"):
            raise RenderError(f"jsonnet {what}: each entry needs a name")
        target = code if item.get("code") else plain
        target[str(item["name"])] = str(item.get("value", ""))
    return plain, code


def _evaluate_jsonnet(file: Path, root: Path, jsonnet: Mapping[str, Any], limits: Limits) -> bytes:
    import _gojsonnet  # type: ignore[import-not-found]  # compiled module without stubs

    libs = [paths.confine(root, str(lib), what="jsonnet lib") for lib in jsonnet.get("libs") or []]
    ext_vars, ext_codes = _jsonnet_vars(jsonnet.get("extVars"), "extVars")
    tla_vars, tla_codes = _jsonnet_vars(jsonnet.get("tlas"), "tlas")

    def import_callback(importer_dir: str, rel: str) -> tuple[str, bytes]:
        # Our callback replaces go-jsonnet's file importer, so it alone decides what is read.
        bases = [Path(importer_dir)] if importer_dir else []
        for base in [*bases, *libs]:
            target = paths.confine(root, rel, what="jsonnet import", base=base)
            if target.is_file():
                if target.stat().st_size > limits.max_file_bytes:
                    raise RenderError("jsonnet import over the size limit", file=rel)
                return str(target), target.read_bytes()
        raise RenderError("jsonnet import not found", file=rel)

    try:
        text: str = _gojsonnet.evaluate_file(
            str(file),
            ext_vars=ext_vars,
            ext_codes=ext_codes,
            tla_vars=tla_vars,
            tla_codes=tla_codes,
            import_callback=import_callback,
        )
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "evaluation failed"
        raise RenderError(f"jsonnet: {first}", file=paths.relative(file, root)) from None
    return text.encode()


async def render_directory(
    app_dir: Path, root: Path, spec: Mapping[str, Any], limits: Limits
) -> list[Manifest]:
    """Render a Directory source; see the module contract."""
    out: list[Manifest] = []
    jsonnet = spec.get("jsonnet") or {}
    for path in select_files(app_dir, root, spec):
        name = paths.relative(path, root)
        if path.suffix == ".jsonnet":
            # gojsonnet releases the GIL; the thread cannot be killed, so the timeout only
            # bounds how long we wait (a runaway evaluation is a known limitation).
            try:
                data = await asyncio.wait_for(
                    asyncio.to_thread(_evaluate_jsonnet, path, root, jsonnet, limits),
                    limits.timeout,
                )
            except TimeoutError:
                msg = f"jsonnet timed out after {limits.timeout:g}s"
                raise RenderError(msg, file=name) from None
            docs = yamlio.load_manifests(data, name=name, limits=limits, json=True)
        else:
            docs = yamlio.load_file(path, name=name, limits=limits)
        out.extend(Manifest(obj=obj, source=name) for _line, obj in docs)
        if len(out) > limits.max_documents:
            raise RenderError(f"more than {limits.max_documents} documents in the render")
    return out
