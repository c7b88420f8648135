"""Per-op overhead on tiny tensors: tapeflow beside numpy, PyTorch, TensorFlow and JAX.

Run: ``python bench/op_overhead.py [--peers ../.peers]``. numpy and tapeflow are timed in
this interpreter; each peer found in the peers folder (made by
``../shared/tools/peer-venvs``) is timed in its own venv right after, in the same run.
Prints the median microseconds per op and each library's time relative to numpy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

SNIPPET = r"""
import json, statistics, sys, time, warnings
import numpy as np
lib = sys.argv[1]
x = np.ones((2, 1), np.float32); a = np.ones((2000, 2), np.float32); w = np.ones((2, 1), np.float32)
if lib == "numpy":
    add = lambda: x + x; mm = lambda: a @ w
elif lib == "tapeflow":
    import tapeflow as tf
    tx, ta, tw = tf.constant(x), tf.constant(a), tf.constant(w)
    add = lambda: tx + tx; mm = lambda: tf.matmul(ta, tw)
elif lib == "torch":
    import torch
    torch.set_grad_enabled(False)
    tx, ta, tw = torch.from_numpy(x), torch.from_numpy(a), torch.from_numpy(w)
    add = lambda: tx + tx; mm = lambda: ta @ tw
elif lib == "tensorflow":
    import os; os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow as tf
    tx, ta, tw = tf.constant(x), tf.constant(a), tf.constant(w)
    add = lambda: tx + tx; mm = lambda: tf.matmul(ta, tw)
elif lib == "jax":
    import jax.numpy as jnp
    tx, ta, tw = jnp.asarray(x), jnp.asarray(a), jnp.asarray(w)
    add = lambda: (tx + tx).block_until_ready(); mm = lambda: (ta @ tw).block_until_ready()
def med(fn, number):
    for _ in range(number): fn()
    ts = []
    for _ in range(15):
        t0 = time.perf_counter()
        for _ in range(number): fn()
        ts.append((time.perf_counter() - t0) / number * 1e6)
    return statistics.median(ts)
print(json.dumps({"add": med(add, 2000), "matmul": med(mm, 500)}))
"""


def run(python: str, lib: str) -> dict:
    out = subprocess.run([python, "-c", SNIPPET, lib], capture_output=True, text=True,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if out.returncode != 0:
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peers", default=os.path.join("..", ".peers"))
    args = parser.parse_args()
    rows = [("numpy", run(sys.executable, "numpy")),
            ("tapeflow", run(sys.executable, "tapeflow"))]
    for name, lib in (("torch", "torch"), ("tf", "tensorflow"), ("jax", "jax")):
        py = os.path.join(args.peers, name, "bin", "python")
        if os.path.exists(py):
            rows.append((lib, run(py, lib)))
    base = rows[0][1]
    print(f"{'library':<12}{'(2,1)+(2,1) us':>16}{'x numpy':>9}{'(2000,2)@(2,1) us':>20}{'x numpy':>9}")
    for lib, r in rows:
        if not r:
            print(f"{lib:<12}{'(failed)':>16}")
            continue
        print(f"{lib:<12}{r['add']:>16.2f}{r['add'] / base['add']:>9.1f}"
              f"{r['matmul']:>20.2f}{r['matmul'] / base['matmul']:>9.1f}")


if __name__ == "__main__":
    main()
