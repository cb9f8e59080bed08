"""Child-process entry point that evaluates one Jsonnet file (run by ``directory.py``).

go-jsonnet cannot be interrupted inside a process, so every evaluation runs here, where
:mod:`kapstan.proc` can kill it at the render timeout and cap its output.

Protocol: standard input is a JSON object ``{"file", "root", "jsonnet", "max_file_bytes"}``;
the rendered JSON text goes to standard output and the exit status is 0. A render error
exits with status 3 and writes ``{"error": reason, "file": path}`` as the last line of
standard error. Every import is confined to ``root`` exactly as in-process rendering was.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kapstan.render import paths
from kapstan.render.base import Limits, RenderError


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


def main() -> int:
    """Evaluate the request read from standard input; see the module docstring."""
    request = json.loads(sys.stdin.buffer.read())
    limits = Limits(max_file_bytes=int(request["max_file_bytes"]))
    try:
        data = _evaluate_jsonnet(
            Path(request["file"]), Path(request["root"]), request["jsonnet"], limits
        )
    except RenderError as e:
        sys.stderr.write(json.dumps({"error": e.reason, "file": e.file}) + "\n")
        return 3
    sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
