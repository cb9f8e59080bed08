"""Run the toolchain's kubectl against a kubeconfig (tests and the demo use it)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kapstan.localcluster import process
from kapstan.localcluster.toolchain import Toolchain


class Kubectl:
    """``kubectl`` bound to one kubeconfig. Calling it returns standard output; a non-zero
    exit raises process.CommandError whose ``output`` is kubectl's standard error."""

    def __init__(self, kubeconfig: Path, toolchain: Toolchain | None = None) -> None:
        self.kubeconfig = kubeconfig
        self.binary = (toolchain or Toolchain()).path("kubectl")

    def __call__(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
        argv = [str(self.binary), f"--kubeconfig={self.kubeconfig}", *args]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.kubeconfig.parent)}
        data = stdin.encode() if stdin is not None else None
        return process.capture(argv, env=env, stdin=data, timeout=timeout)

    def get_json(self, *args: str) -> Any:
        """``kubectl get ARGS -o json``, parsed."""
        return json.loads(self("get", *args, "-o", "json"))
