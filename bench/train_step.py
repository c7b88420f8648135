"""One training step (eager, and as a tf.function) of the chapter's linear classifier, tapeflow beside peers.

The step: forward (matmul + bias), square loss, gradient of W and b, two in-place
updates, on the chapter's 2000 x 2 inputs. Run: ``python bench/train_step.py [--peers
../.peers]``; each peer found (PyTorch autograd, TF GradientTape) runs in its own venv
in the same run (JAX as a ``jax.jit`` step), and numpy with hand-written gradients gives
the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

SNIPPET = r"""
import json, os, statistics, sys, time
import numpy as np
lib = sys.argv[1]
rng = np.random.default_rng(0)
inputs = np.vstack((rng.multivariate_normal([0, 3], [[1, .5], [.5, 1]], 1000),
                    rng.multivariate_normal([3, 0], [[1, .5], [.5, 1]], 1000))).astype(np.float32)
targets = np.vstack((np.zeros((1000, 1), np.float32), np.ones((1000, 1), np.float32)))
W0 = rng.uniform(size=(2, 1)).astype(np.float32)
compiled = lib.endswith("+function")
lib = lib.replace("+function", "")
if lib in ("tapeflow", "tensorflow"):
    if lib == "tensorflow":
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        import tensorflow as tf
    else:
        import tapeflow as tf
    W = tf.Variable(W0); b = tf.Variable(tf.zeros((1,)))
    x, y = tf.constant(inputs), tf.constant(targets)
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y - (tf.matmul(x, W) + b)))
        gW, gb = tape.gradient(loss, [W, b])
        W.assign_sub(gW * 0.1); b.assign_sub(gb * 0.1)
        return loss
    if compiled:
        step = tf.function(step)
elif lib == "torch":
    import torch
    W = torch.tensor(W0, requires_grad=True); b = torch.zeros(1, requires_grad=True)
    x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
    def step():
        loss = ((y - (x @ W + b)) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            W.sub_(W.grad * 0.1); b.sub_(b.grad * 0.1)
            W.grad = None; b.grad = None
        return loss
elif lib == "jax":  # jax.jit of the whole step, parameters threaded through
    import jax, jax.numpy as jnp
    x, y = jnp.asarray(inputs), jnp.asarray(targets)
    params = (jnp.asarray(W0), jnp.zeros((1,), jnp.float32))
    def loss_fn(p):
        return jnp.mean(jnp.square(y - (x @ p[0] + p[1])))
    @jax.jit
    def jstep(p):
        loss, g = jax.value_and_grad(loss_fn)(p)
        return (p[0] - 0.1 * g[0], p[1] - 0.1 * g[1]), loss
    def step():
        global params
        params, loss = jstep(params)
        return loss.block_until_ready()
else:  # numpy, gradients by hand
    W = W0.copy(); b = np.zeros(1, np.float32)
    def step():
        global W, b
        d = inputs @ W + b - targets
        loss = np.mean(d * d)
        g = 2.0 * d / d.size
        W -= 0.1 * (inputs.T @ g); b -= 0.1 * g.sum(0)
        return loss
for _ in range(20): step()
ts = []
for _ in range(15):
    t0 = time.perf_counter()
    for _ in range(50): step()
    ts.append((time.perf_counter() - t0) / 50 * 1e6)
print(json.dumps({"us": statistics.median(ts)}))
"""


def run(python: str, lib: str) -> float:
    out = subprocess.run([python, "-c", SNIPPET, lib], capture_output=True, text=True,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if out.returncode != 0:
        return float("nan")
    return json.loads(out.stdout.strip().splitlines()[-1])["us"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peers", default=os.path.join("..", ".peers"))
    args = parser.parse_args()
    rows = [("numpy (by hand)", run(sys.executable, "numpy")),
            ("tapeflow", run(sys.executable, "tapeflow")),
            ("tapeflow function", run(sys.executable, "tapeflow+function"))]
    for venv, lib in (("torch", "torch"), ("tf", "tensorflow"), ("tf", "tensorflow+function"),
                      ("jax", "jax")):
        py = os.path.join(args.peers, venv, "bin", "python")
        if os.path.exists(py):
            rows.append((lib.replace("+", " "), run(py, lib)))
    ours = rows[1][1]
    print(f"{'library':<20}{'us/step':>10}{'tapeflow / this':>18}")
    for lib, us in rows:
        print(f"{lib:<20}{us:>10.1f}{ours / us:>18.2f}")
    compiled = dict(rows).get("tapeflow function")
    for peer in ("jax", "tensorflow function"):
        if compiled and peer in dict(rows):
            print(f"tapeflow function / {peer}: {compiled / dict(rows)[peer]:.3f}")


if __name__ == "__main__":
    main()
