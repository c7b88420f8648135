"""Median wall time of `import X` in a fresh interpreter, for tapeflow and its peers.

Run: ``python bench/import_time.py [module ...]`` (default: numpy tapeflow). The target
for tapeflow is 0.15 s; numpy alone takes about 0.08 s on the reference machine.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def import_seconds(module: str, repeat: int = 11) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        times.append(time.perf_counter() - t0)
    base = []
    for _ in range(repeat):  # the interpreter's own start-up, subtracted
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        base.append(time.perf_counter() - t0)
    return statistics.median(times) - statistics.median(base)


def main() -> None:
    modules = sys.argv[1:] or ["numpy", "tapeflow"]
    print(f"{'module':<14}{'import (s)':>12}")
    for m in modules:
        print(f"{m:<14}{import_seconds(m):>12.3f}")


if __name__ == "__main__":
    main()
