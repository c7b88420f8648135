"""GPU benchmark table: tapeflow's CUDA kernels against PyTorch (cuBLAS) on the same card.

    python bench/gpu_bench.py [--quick]

Rows: float32 matmul (tapeflow with cuBLAS, tapeflow's own tiled kernel, PyTorch with
TF32 off, i.e. the same FP32 arithmetic), elementwise add on 100M floats against the
card's device-to-device copy bandwidth (bytes read + written), a float32 sum, random
normal numbers, and one training step of a Dense MLP (Keras train_on_batch vs a PyTorch
loop with Adam). Medians of several timed repetitions, each synchronised at the end.
Prints a markdown table; needs a GPU (and PyTorch with CUDA for the peer columns).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Callable, List, Optional

import numpy as np

import tapeflow as tf
from tapeflow import _core, keras

try:
    import torch
    HAVE_TORCH = torch.cuda.is_available()
except Exception:  # noqa: BLE001 - any import problem: no peer column
    torch = None
    HAVE_TORCH = False


def timeit(fn: Callable[[], object], sync: Callable[[], None], reps: int = 7,
           inner: int = 5) -> float:
    """Median seconds per call: `inner` calls per repetition, synchronised."""
    fn()
    sync()
    times: List[float] = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def tf_sync() -> None:
    _core.cuda_synchronize()


def torch_sync() -> None:
    torch.cuda.synchronize()


def fmt(x: Optional[float], unit: str) -> str:
    return "-" if x is None else f"{x:,.1f} {unit}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if _core.cuda_device_count() == 0:
        print("no GPU: nothing to measure")
        return 1
    rows = []
    print(f"device: {_core.cuda_device_name(0)}; cuBLAS linked: {_core.cuda_has_cublas()}; "
          f"PyTorch: {torch.__version__ if HAVE_TORCH else 'absent'}")
    if HAVE_TORCH:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False

    # ---- matmul -----------------------------------------------------------------------
    for n in ([1024, 4096] if args.quick else [1024, 2048, 4096]):
        a = _core.to_device(_core.from_numpy(np.random.rand(n, n).astype(np.float32)), "GPU:0")
        b = _core.to_device(_core.from_numpy(np.random.rand(n, n).astype(np.float32)), "GPU:0")
        flop = 2.0 * n ** 3
        t_blas = timeit(lambda: _core.matmul(a, b), tf_sync) if _core.cuda_has_cublas() else None
        _core.cuda_set_use_cublas(False)
        t_own = timeit(lambda: _core.matmul(a, b), tf_sync)
        _core.cuda_set_use_cublas(True)
        t_torch = None
        if HAVE_TORCH:
            ta = torch.rand(n, n, device="cuda")
            tb = torch.rand(n, n, device="cuda")
            t_torch = timeit(lambda: ta @ tb, torch_sync)
        g = lambda t: None if t is None else flop / t / 1e9  # noqa: E731
        ratio = "" if t_torch is None else (
            f"tiled {t_torch / t_own:.2f}x of PyTorch" +
            ("" if t_blas is None else f", cuBLAS path {t_torch / t_blas:.2f}x"))
        rows.append((f"matmul f32 {n}^3", fmt(g(t_blas), "GFLOP/s") + " (cuBLAS)",
                     fmt(g(t_own), "GFLOP/s") + " (tiled)", fmt(g(t_torch), "GFLOP/s"), ratio))

    # ---- elementwise and bandwidth -------------------------------------------------------
    n = 100_000_000
    x = _core.to_device(_core.from_numpy(np.random.rand(n).astype(np.float32)), "GPU:0")
    y = _core.to_device(_core.from_numpy(np.random.rand(n).astype(np.float32)), "GPU:0")
    t_add = timeit(lambda: _core.add(x, y), tf_sync)
    add_gbs = 3 * 4 * n / t_add / 1e9
    copy_gbs = t_tadd = None
    if HAVE_TORCH:
        tx = torch.rand(n, device="cuda")
        ty = torch.rand(n, device="cuda")
        tz = torch.empty(n, device="cuda")
        copy_gbs = 2 * 4 * n / timeit(lambda: tz.copy_(tx), torch_sync) / 1e9
        t_tadd = timeit(lambda: tx + ty, torch_sync)
    t_copy_tf = timeit(lambda: _core.copy(_core.transpose(x)), tf_sync)
    rows.append(("add f32 100M (GB/s, 3 streams)", fmt(add_gbs, "GB/s"),
                 f"copy kernel {2 * 4 * n / t_copy_tf / 1e9:,.0f} GB/s",
                 fmt(None if t_tadd is None else 3 * 4 * n / t_tadd / 1e9, "GB/s"),
                 "" if copy_gbs is None else
                 f"{add_gbs / copy_gbs:.0%} of D2D copy ({copy_gbs:,.0f} GB/s)"))
    t_sum = timeit(lambda: _core.reduce("sum", x, None, False), tf_sync)
    t_tsum = timeit(lambda: tx.sum(), torch_sync) if HAVE_TORCH else None
    rows.append(("sum f32 100M", fmt(4 * n / t_sum / 1e9, "GB/s"), "",
                 fmt(None if t_tsum is None else 4 * n / t_tsum / 1e9, "GB/s"),
                 "" if t_tsum is None else f"{t_tsum / t_sum:.2f}x of PyTorch"))
    with tf.device("/GPU:0"):
        t_rand = timeit(lambda: tf.random.normal([n]), tf_sync, reps=5, inner=2)
    t_trand = timeit(lambda: torch.randn(n, device="cuda"), torch_sync, reps=5, inner=2) \
        if HAVE_TORCH else None
    rows.append(("random normal f32 100M", fmt(4 * n / t_rand / 1e9, "GB/s"), "",
                 fmt(None if t_trand is None else 4 * n / t_trand / 1e9, "GB/s"),
                 "" if t_trand is None else f"{t_trand / t_rand:.2f}x of PyTorch"))
    del x, y

    # ---- a Dense model's training step ------------------------------------------------------
    batch, dims = 256, [784, 512, 512, 10]
    xb = np.random.rand(batch, dims[0]).astype(np.float32)
    yb = np.random.randint(0, 10, batch).astype(np.int64)
    with tf.device("/GPU:0"):
        model = keras.Sequential([keras.Input((dims[0],))] +
                                 [keras.layers.Dense(d, activation="relu") for d in dims[1:-1]] +
                                 [keras.layers.Dense(dims[-1])])
        model.compile(optimizer="adam",
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        gx, gy = tf.constant(xb), tf.constant(yb)
        t_step = timeit(lambda: model.train_on_batch(gx, gy), tf_sync, reps=7, inner=20)
    t_tstep = None
    if HAVE_TORCH:
        layers = []
        for i in range(len(dims) - 1):
            layers.append(torch.nn.Linear(dims[i], dims[i + 1]))
            if i < len(dims) - 2:
                layers.append(torch.nn.ReLU())
        tm = torch.nn.Sequential(*layers).cuda()
        opt = torch.optim.Adam(tm.parameters(), lr=1e-3)
        txb, tyb = torch.from_numpy(xb).cuda(), torch.from_numpy(yb).cuda()
        lossf = torch.nn.CrossEntropyLoss()

        def torch_step() -> None:
            opt.zero_grad()
            loss = lossf(tm(txb), tyb)
            loss.backward()
            opt.step()

        t_tstep = timeit(torch_step, torch_sync, reps=7, inner=20)
    rows.append((f"Dense {dims} step, batch {batch}", fmt(t_step * 1e6, "us"), "",
                 fmt(None if t_tstep is None else t_tstep * 1e6, "us"),
                 "" if t_tstep is None else f"{t_step / t_tstep:.2f}x PyTorch's time"))

    print("| benchmark | tapeflow | tapeflow (other) | PyTorch | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
