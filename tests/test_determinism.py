"""Results do not depend on the thread count: each thread count runs in its own process
(TAPEFLOW_NUM_THREADS fixes the pool at start-up, as a user would) and every result's
bytes must be identical. Sizes cross the 65536-element reduction block, the threading
grains of row and column reductions, and matmul's row/column bands, narrow last bands
and K blocks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_SCRIPT = r"""
import hashlib, json
import numpy as np
import tapeflow as tf

rng = np.random.default_rng(11)
out = {}

def put(name, t):
    out[name] = hashlib.sha256(np.ascontiguousarray(t.numpy()).tobytes()).hexdigest()

for dt in (np.float32, np.float64):
    d = np.dtype(dt).name
    for n in (65535, 65536, 65537, 131073, 300001, 1000003):
        x = tf.constant(rng.standard_normal(n).astype(dt))
        put(f"sum {d} {n}", tf.reduce_sum(x))
        put(f"mean {d} {n}", tf.reduce_mean(x))
        put(f"prod {d} {n}", tf.reduce_prod(1.0 + 1e-3 * x))
        put(f"max {d} {n}", tf.reduce_max(x))
        put(f"logsumexp {d} {n}", tf.reduce_logsumexp(x))
    for shape in ((3, 300001), (300001, 3), (400, 1001), (40, 70, 130)):
        x = tf.constant(rng.standard_normal(shape).astype(dt))
        for axis in range(len(shape)):
            put(f"sum {d} {shape} axis {axis}", tf.reduce_sum(x, axis=axis))
            put(f"mean {d} {shape} axis {axis}", tf.reduce_mean(x, axis=axis))
        put(f"sum {d} {shape} all", tf.reduce_sum(x))
    for m, k, n in ((300, 1000, 380), (100, 1200, 193), (100, 1200, 131),
                    (64, 2048, 1000), (257, 300, 301), (50, 3000, 2000)):
        a = tf.constant(rng.standard_normal((m, k)).astype(dt))
        b = tf.constant(rng.standard_normal((k, n)).astype(dt))
        put(f"matmul {d} {m}x{k}x{n}", tf.matmul(a, b))
        put(f"matmul_ta {d} {m}x{k}x{n}", tf.matmul(tf.transpose(a), b, transpose_a=True))
print(json.dumps(out))
"""


def _run(threads: int) -> dict:
    env = dict(os.environ, TAPEFLOW_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[1] / "python"), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def one_thread() -> dict:
    return _run(1)


@pytest.mark.parametrize("threads", [2, 3, 5])
def test_results_are_bit_identical_at_any_thread_count(one_thread, threads):
    got = _run(threads)
    assert got.keys() == one_thread.keys()
    differ = [name for name in one_thread if got[name] != one_thread[name]]
    assert not differ, f"{threads} threads differ from 1 thread in: {differ}"
