"""A :class:`~kapstan.controller.sync.StateStore` keeping an operation's state in a JSON file,
for tests that run the sync runner without an Application (and kill and resume it)."""

from __future__ import annotations

from pathlib import Path

import orjson

from kapstan.engine.sync.state import OperationState


class JsonFileStore:
    """A :class:`StateStore` keeping the state as one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> OperationState | None:
        if not self.path.exists():
            return None
        return OperationState.from_dict(orjson.loads(self.path.read_bytes()))

    def save(self, state: OperationState) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(state.to_dict(), option=orjson.OPT_INDENT_2))
        tmp.replace(self.path)


__all__ = ["JsonFileStore"]
