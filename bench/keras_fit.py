"""Keras-level costs, tapeflow beside TF Keras and a hand-written PyTorch loop.

Workloads (medians of several runs, seconds unless noted):
  chapter fit   : the chapter's Dense(1) model, RMSprop(0.1), MSE, BinaryAccuracy,
                  5 epochs, batch 128, 1400 training + 600 validation rows
  predict 600   : model.predict on 600 rows (ms)
  digits MLP    : Dense 64 relu, Dense 64 relu, Dense 10 softmax, Adam, 20 epochs,
                  batch 32 on scikit-learn's digits (1437 rows)
tapeflow runs Keras's default compiled steps and, as a second row, ``run_eagerly=True``.
Run: ``python bench/keras_fit.py [--peers ../.peers]`` (each peer in its own venv, same
run). PyTorch runs equivalent hand-written loops.
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
x = np.vstack((rng.multivariate_normal([0, 3], [[1, .5], [.5, 1]], 1000),
               rng.multivariate_normal([3, 0], [[1, .5], [.5, 1]], 1000))).astype(np.float32)
y = np.vstack((np.zeros((1000, 1), np.float32), np.ones((1000, 1), np.float32)))
p = rng.permutation(2000); x, y = x[p], y[p]
xv, yv, xt, yt = x[:600], y[:600], x[600:], y[600:]
from sklearn.datasets import load_digits
d = load_digits(); dx = (d.data / 16).astype(np.float32); dy = d.target.astype(np.int64)
dx, dy = dx[:1437], dy[:1437]
def med(fn, n=5):
    fn(); ts = []
    for _ in range(n):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
EAGER = {"run_eagerly": True} if lib == "tapeflow-eager" else {}
if lib in ("tapeflow", "tapeflow-eager", "tensorflow"):
    if lib == "tensorflow":
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        import keras
    else:
        from tapeflow import keras
    def chapter():
        m = keras.Sequential([keras.layers.Dense(1)])
        m.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
                  loss=keras.losses.MeanSquaredError(), metrics=[keras.metrics.BinaryAccuracy()], **EAGER)
        m.fit(xt, yt, epochs=5, batch_size=128, validation_data=(xv, yv), verbose=0)
        return m
    model = chapter()
    fit_s = med(chapter)
    pred_ms = med(lambda: model.predict(xv, verbose=0), 15) * 1e3
    def digits():
        m = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"], **EAGER)
        m.fit(dx, dy, epochs=20, batch_size=32, verbose=0)
    digits_s = med(digits, 3)
else:
    import torch
    torch.set_num_threads(2)
    xt_, yt_, xv_, yv_ = map(torch.from_numpy, (xt, yt, xv, yv))
    def chapter():
        m = torch.nn.Linear(2, 1); opt = torch.optim.RMSprop(m.parameters(), lr=0.1, eps=1e-7)
        for _ in range(5):
            perm = torch.randperm(len(xt_))
            for i in range(0, len(xt_), 128):
                idx = perm[i:i + 128]
                loss = ((m(xt_[idx]) - yt_[idx]) ** 2).mean()
                opt.zero_grad(); loss.backward(); opt.step()
            with torch.no_grad():
                out = m(xv_); _ = ((out - yv_) ** 2).mean(); _ = ((out > .5).float() == yv_).float().mean()
        return m
    model = chapter()
    fit_s = med(chapter)
    with torch.no_grad():
        pred_ms = med(lambda: model(xv_).numpy(), 15) * 1e3
    dx_, dy_ = torch.from_numpy(dx), torch.from_numpy(dy)
    def digits():
        m = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                                torch.nn.ReLU(), torch.nn.Linear(64, 10))
        opt = torch.optim.Adam(m.parameters(), eps=1e-7)
        for _ in range(20):
            perm = torch.randperm(len(dx_))
            for i in range(0, len(dx_), 32):
                idx = perm[i:i + 32]
                loss = torch.nn.functional.cross_entropy(m(dx_[idx]), dy_[idx])
                opt.zero_grad(); loss.backward(); opt.step()
    digits_s = med(digits, 3)
print(json.dumps({"fit": fit_s, "predict_ms": pred_ms, "digits": digits_s}))
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
    rows = [("tapeflow", run(sys.executable, "tapeflow")),
            ("tapeflow eager", run(sys.executable, "tapeflow-eager"))]
    for venv, lib in (("tf", "tensorflow"), ("torch", "torch")):
        py = os.path.join(args.peers, venv, "bin", "python")
        if os.path.exists(py):
            rows.append((lib + (" (loop)" if lib == "torch" else " keras"), run(py, lib)))
    ours = rows[0][1]
    print(f"{'library':<18}{'chapter fit s':>14}{'predict600 ms':>15}{'digits MLP s':>14}")
    for lib, r in rows:
        if r:
            print(f"{lib:<18}{r['fit']:>14.4f}{r['predict_ms']:>15.3f}{r['digits']:>14.3f}")
    for lib, r in rows[2:]:
        if r and ours:
            print(f"tapeflow / {lib}: fit {ours['fit'] / r['fit']:.3f}x, predict "
                  f"{ours['predict_ms'] / r['predict_ms']:.3f}x, digits "
                  f"{ours['digits'] / r['digits']:.3f}x")


if __name__ == "__main__":
    main()
