"""tapeflow beside numpy (and any peer found: PyTorch, TensorFlow, JAX), same process.

Run: ``python bench/compare.py`` (or with a peer venv's python to add that peer, e.g.
``../.peers/torch/bin/python bench/compare.py`` after ``pip install .`` there).
Prints median microseconds per call and tapeflow's speed relative to numpy
(> 1 means tapeflow is faster). Numbers are medians of repeated runs; compare ratios,
not single times, on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Dict

import numpy as np

from tapeflow import _core

F32 = _core.DType.float32


def median_us(fn: Callable[[], object], repeat: int, number: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times) * 1e6


def workloads(quick: bool) -> Dict[str, Dict[str, Callable[[], object]]]:
    rng = np.random.default_rng(0)
    n = 1_000_000 if quick else 10_000_000
    a_np = rng.standard_normal(n).astype(np.float32)
    b_np = rng.standard_normal(n).astype(np.float32)
    a, b = _core.from_numpy(a_np), _core.from_numpy(b_np)
    sq_np = rng.standard_normal((4096, 4096)).astype(np.float32)
    sq = _core.from_numpy(sq_np)
    tiny_np = np.ones((2, 1), np.float32)
    tiny = _core.from_numpy(tiny_np)
    out: Dict[str, Dict[str, Callable[[], object]]] = {
        f"add {n // 1_000_000}M float32": {"tapeflow": lambda: _core.add(a, b), "numpy": lambda: a_np + b_np},
        f"exp {n // 1_000_000}M float32": {"tapeflow": lambda: _core.exp(a), "numpy": lambda: np.exp(a_np)},
        f"sum {n // 1_000_000}M float32": {"tapeflow": lambda: _core.reduce("sum", a), "numpy": lambda: a_np.sum()},
        "row sums 4096x4096": {"tapeflow": lambda: _core.reduce("sum", sq, [1]), "numpy": lambda: sq_np.sum(axis=1)},
        "column sums 4096x4096": {"tapeflow": lambda: _core.reduce("sum", sq, [0]), "numpy": lambda: sq_np.sum(axis=0)},
        f"normal {n // 1_000_000}M float32": {
            "tapeflow": lambda: _core.random_normal([n], F32, [1, 2], [0, 0, 0, 0]),
            "numpy": lambda: rng.standard_normal(n, dtype=np.float32),
        },
        "add (2,1)+(2,1)": {"tapeflow": lambda: _core.add(tiny, tiny), "numpy": lambda: tiny_np + tiny_np},
    }
    for m in (64, 256) if quick else (64, 256, 1024):
        x_np = rng.standard_normal((m, m)).astype(np.float32)
        x = _core.from_numpy(x_np)
        out[f"matmul {m}x{m}x{m} float32"] = {
            "tapeflow": lambda x=x: _core.matmul(x, x),
            "numpy": lambda x_np=x_np: x_np @ x_np,
        }
    for shape_a, shape_b in (((2000, 2), (2, 1)), ((32, 64), (64, 64))):
        p_np = rng.standard_normal(shape_a).astype(np.float32)
        q_np = rng.standard_normal(shape_b).astype(np.float32)
        p, q = _core.from_numpy(p_np), _core.from_numpy(q_np)
        out[f"matmul {shape_a}x{shape_b}"] = {
            "tapeflow": lambda p=p, q=q: _core.matmul(p, q),
            "numpy": lambda p_np=p_np, q_np=q_np: p_np @ q_np,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    args = parser.parse_args()
    repeat = 5 if args.quick else 11
    print(f"isa={_core.kernel_isa()} threads={_core.num_threads()} numpy={np.__version__}")
    print(f"{'workload':<34}{'tapeflow us':>14}{'numpy us':>12}{'speedup':>9}")
    for name, impls in workloads(args.quick).items():
        number = 2000 if "(2,1)" in name else (1 if "4096" in name or "1024" in name else 5)
        t_tf = median_us(impls["tapeflow"], repeat, number)
        t_np = median_us(impls["numpy"], repeat, number)
        print(f"{name:<34}{t_tf:>14.2f}{t_np:>12.2f}{t_np / t_tf:>8.2f}x")


if __name__ == "__main__":
    main()
