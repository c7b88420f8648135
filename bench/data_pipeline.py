"""tf.data throughput and the cost of fitting on a Dataset, tapeflow beside TF.

Workloads (medians; seconds):
  pipeline   : from_tensor_slices((x[100000, 32], y)).shuffle(10000, seed=1)
               .map(lambda a, b: (a * 2.0, b)).batch(128).prefetch(AUTOTUNE), iterated
               fully (issue #17: at least TF's throughput)
  fit arrays / fit dataset : one epoch of fit on the same data given as arrays
               (batch_size, shuffle=True) and as a shuffled, batched, prefetched Dataset:
               the chapter's Dense(1) model (1400 rows, batch 128) and the digits MLP
               (1437 rows, batch 32). Issue #17: the Dataset epoch at most 10% slower.
Run: ``python bench/data_pipeline.py [--peers ../.peers]`` (TF in its own venv, same run).
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
if lib == "tensorflow":
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow as tf
    import keras
else:
    import tapeflow as tf
    from tapeflow import keras
rng = np.random.default_rng(0)
px = rng.random((100000, 32)).astype(np.float32); py = rng.integers(0, 10, 100000)
def med(fn, n=5):
    fn(); ts = []
    for _ in range(n):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
def pipeline():
    ds = (tf.data.Dataset.from_tensor_slices((px, py)).shuffle(10000, seed=1)
          .map(lambda a, b: (a * 2.0, b)).batch(128).prefetch(tf.data.AUTOTUNE))
    for a, b in ds:
        pass
out = {"pipeline": med(pipeline, 3)}
x = np.vstack((rng.multivariate_normal([0, 3], [[1, .5], [.5, 1]], 700),
               rng.multivariate_normal([3, 0], [[1, .5], [.5, 1]], 700))).astype(np.float32)
y = np.vstack((np.zeros((700, 1), np.float32), np.ones((700, 1), np.float32)))
from sklearn.datasets import load_digits
d = load_digits(); dx = (d.data[:1437] / 16).astype(np.float32); dy = d.target[:1437].astype(np.int64)
def chapter_model():
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1), loss="mse",
              metrics=[keras.metrics.BinaryAccuracy()])
    return m
def digits_model():
    m = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m
for name, make, xs, ys, bs in (("chapter", chapter_model, x, y, 128),
                               ("digits", digits_model, dx, dy, 32)):
    m = make()
    ds = tf.data.Dataset.from_tensor_slices((xs, ys)).shuffle(len(xs)).batch(bs).prefetch(2)
    m.fit(xs, ys, batch_size=bs, epochs=2, verbose=0)  # traces, warm caches
    m.fit(ds, epochs=2, verbose=0)
    arrays = lambda: m.fit(xs, ys, batch_size=bs, epochs=1, verbose=0)
    dataset = lambda: m.fit(ds, epochs=1, verbose=0)
    a, b = [], []
    for _ in range(7):  # alternated, so both see the same machine load
        a.append(med(arrays, 1)); b.append(med(dataset, 1))
    out[name + "_arrays"] = statistics.median(a)
    out[name + "_dataset"] = statistics.median(b)
print(json.dumps(out))
"""


def run(python: str, lib: str) -> dict:
    out = subprocess.run([python, "-c", SNIPPET, lib], capture_output=True, text=True,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-2000:])
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peers", default=os.path.join("..", ".peers"))
    args = parser.parse_args()
    rows = [("tapeflow", run(sys.executable, "tapeflow"))]
    tf_python = os.path.join(args.peers, "tf", "bin", "python")
    if os.path.exists(tf_python):
        rows.append(("tensorflow", run(tf_python, "tensorflow")))
    cols = ["pipeline", "chapter_arrays", "chapter_dataset", "digits_arrays",
            "digits_dataset"]
    print(f"{'library':<12}" + "".join(f"{c:>17}" for c in cols))
    for lib, r in rows:
        print(f"{lib:<12}" + "".join(f"{r.get(c, float('nan')):>17.4f}" for c in cols))
    ours = dict(rows)["tapeflow"]
    for name in ("chapter", "digits"):
        print(f"tapeflow {name}: dataset / arrays = "
              f"{ours[name + '_dataset'] / ours[name + '_arrays']:.3f}")
    if "tensorflow" in dict(rows) and dict(rows)["tensorflow"]:
        print(f"pipeline tapeflow / tensorflow = "
              f"{ours['pipeline'] / dict(rows)['tensorflow']['pipeline']:.3f}")


if __name__ == "__main__":
    main()
