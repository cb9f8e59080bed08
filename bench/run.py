"""Benchmarks. Run with `make bench`; record results in bench/README.md with the machine noted.

Today: local control-plane start-up and shut-down time (the fixed cost every test session and
`make demo` pays).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from kapstan.localcluster import LocalCluster, Toolchain


def bench_cluster_lifecycle(rounds: int = 3) -> dict[str, float]:
    toolchain = Toolchain()
    ups, downs = [], []
    with tempfile.TemporaryDirectory(prefix="kapstan-bench-") as tmp:
        for i in range(rounds):
            cluster = LocalCluster(Path(tmp) / f"c{i}", toolchain=toolchain, nodes=2)
            t0 = time.perf_counter()
            cluster.start()
            t1 = time.perf_counter()
            cluster.destroy()
            t2 = time.perf_counter()
            ups.append(t1 - t0)
            downs.append(t2 - t1)
    return {"up_median_s": statistics.median(ups), "down_median_s": statistics.median(downs)}


def main() -> int:
    result = bench_cluster_lifecycle()
    for key, value in result.items():
        print(f"{key:16} {value:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
