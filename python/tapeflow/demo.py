"""The main job: ``python -m tapeflow.demo``.

A tour of what tapeflow can do today: the native core's arrays and kernels, checked
against numpy and timed beside it, and TensorFlow-compatible random numbers. Later
releases grow this into the tutorial's tensors, GradientTape and Keras training.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import numpy as np

import tapeflow
from tapeflow import _core

F32 = _core.DType.float32


def _median_us(fn: Callable[[], object], repeat: int = 7, number: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times) * 1e6


def _check(name: str, got: _core.Array, want: np.ndarray, rtol: float = 1e-5) -> None:
    ok = np.allclose(np.asarray(got), want, rtol=rtol, atol=1e-6)
    print(f"  {name:<42} {'matches numpy' if ok else 'DIFFERS FROM NUMPY'}")
    if not ok:
        raise SystemExit(f"{name}: result differs from numpy")


def main() -> None:
    """Runs the tour and prints what it finds."""
    print(f"tapeflow {tapeflow.__version__}: kernels built for '{_core.kernel_isa()}', "
          f"{_core.num_threads()} thread(s), CUDA available: {_core.cuda_available()}")

    print("\nArrays and kernels (each checked against numpy):")
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((2000, 2)).astype(np.float32)
    w_np = rng.standard_normal((2, 1)).astype(np.float32)
    x, w = _core.from_numpy(x_np), _core.from_numpy(w_np)
    _check("matmul (2000, 2) @ (2, 1)", _core.matmul(x, w), x_np @ w_np)
    bias_np = np.float32([0.5, -0.5])
    _check(
        "sigmoid(x + bias), bias broadcast",
        _core.sigmoid(_core.add(x, _core.from_numpy(bias_np))),
        1 / (1 + np.exp(-(x_np + bias_np))),
    )
    _check("reduce_mean over axis 0", _core.mean(x, [0]), x_np.mean(axis=0))
    _check("argmax over axis 1", _core.argmax(x, 1), x_np.argmax(axis=1))
    t = _core.transpose(x, [])
    _check("transpose is a view, copy makes it dense", _core.copy(t), x_np.T)
    print(f"  transpose shares storage with its input: {t.shares_storage(x)}")

    print("\nRandom numbers, Philox4x32-10 as TensorFlow's stateful ops draw them:")
    normal, _ = _core.random_normal([2, 2], F32, [5, 0], [0, 0, 1, 0])
    print("  tf.random.set_seed(5); tf.random.normal([2, 2], seed=1) ->")
    print("  " + str(np.asarray(normal)).replace("\n", "\n  "))

    print("\nErrors are TensorFlow's exception classes, naming op, shapes and dtypes:")
    try:
        _core.add(x, _core.from_numpy(np.ones(3, np.float32)))
    except tapeflow.errors.InvalidArgumentError as e:
        print(f"  InvalidArgumentError: {e}")

    print("\nTimings, median microseconds per call (numpy beside tapeflow):")
    a_np = rng.standard_normal(1_000_000).astype(np.float32)
    a = _core.from_numpy(a_np)
    m_np = rng.standard_normal((256, 256)).astype(np.float32)
    m = _core.from_numpy(m_np)
    rows = [
        ("add 1M float32", lambda: _core.add(a, a), lambda: a_np + a_np),
        ("exp 1M float32", lambda: _core.exp(a), lambda: np.exp(a_np)),
        ("sum 1M float32", lambda: _core.reduce("sum", a), lambda: a_np.sum()),
        ("matmul 256x256 float32", lambda: _core.matmul(m, m), lambda: m_np @ m_np),
        ("normal 1M float32", lambda: _core.random_normal([1_000_000], F32, [1, 2], [0] * 4),
         lambda: rng.standard_normal(1_000_000, dtype=np.float32)),
    ]
    print(f"  {'op':<26}{'tapeflow':>12}{'numpy':>12}{'ratio':>8}")
    for name, ours, theirs in rows:
        t_ours, t_np = _median_us(ours), _median_us(theirs)
        print(f"  {name:<26}{t_ours:>12.1f}{t_np:>12.1f}{t_np / t_ours:>7.2f}x")
    print("\n(ratio > 1: tapeflow is faster. bench/compare.py gives the full table.)")


if __name__ == "__main__":
    main()
