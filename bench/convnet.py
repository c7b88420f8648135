"""Convolutions: one conv2d layer's passes, and the book's MNIST convnet, beside TF and
PyTorch (issue #18's targets).

Workloads (medians, each library in its own process, same run):
  conv fwd / bwd-input / bwd-filter : tf.nn.conv2d on x (32, 56, 56, 64) with a 3x3x64x64
               filter, SAME, and its two gradients (GFLOP/s; PyTorch in its native NCHW).
               Target: forward at least both peers; each backward at least 80% of that.
  mnist epoch : one epoch of fit of DLWP ch. 8's convnet (Input 28x28x1 -> Conv2D 32 3x3
               relu -> MaxPooling2D 2 -> Conv2D 64 -> MaxPooling2D -> Conv2D 128 ->
               Flatten -> Dense 10 softmax; rmsprop; batch 64) on 10,000 images; PyTorch
               as an equivalent nn.Module and a hand-written loop. Targets: <= 0.6x TF,
               <= 0.4x PyTorch.
  mnist predict : predict on the 10,000 images (batch 32 for Keras's default, PyTorch's
               loop in batches of 32 under no_grad). Target: at most PyTorch's time.
  bn epoch    : one epoch of DLWP ch. 9's pattern (Conv2D without bias -> BatchNormalization
               -> ReLU -> MaxPooling2D, twice, Flatten, Dense 10) on the same images.
Run: ``python bench/convnet.py [--peers ../.peers] [--only conv|mnist]``.
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
lib, only = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
def med(fn, n=5):
    fn(); ts = []
    for _ in range(n):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
out = {}
x = rng.standard_normal((32, 56, 56, 64)).astype(np.float32)
w = (rng.standard_normal((3, 3, 64, 64)) * 0.05).astype(np.float32)
flop = 2.0 * 32 * 56 * 56 * 64 * 64 * 9
imgs = rng.random((10000, 28, 28, 1)).astype(np.float32)
labels = rng.integers(0, 10, 10000)
if lib == "torch":
    import torch, torch.nn as nn, torch.nn.functional as F
    torch.set_num_threads(os.cpu_count())
    if only in ("all", "conv"):
        xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
        wt = torch.from_numpy(w).permute(3, 2, 0, 1).contiguous()
        y = F.conv2d(xt, wt, padding=1)
        dy = torch.ones_like(y)
        out["conv_fwd"] = flop / med(lambda: F.conv2d(xt, wt, padding=1)) / 1e9
        out["conv_bwd_input"] = flop / med(lambda: torch.nn.grad.conv2d_input(xt.shape, wt, dy, padding=1)) / 1e9
        out["conv_bwd_filter"] = flop / med(lambda: torch.nn.grad.conv2d_weight(xt, wt.shape, dy, padding=1)) / 1e9
    if only in ("all", "mnist"):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.c1 = nn.Conv2d(1, 32, 3); self.c2 = nn.Conv2d(32, 64, 3)
                self.c3 = nn.Conv2d(64, 128, 3); self.fc = nn.Linear(1152, 10)
            def forward(self, x):
                x = F.max_pool2d(F.relu(self.c1(x)), 2)
                x = F.max_pool2d(F.relu(self.c2(x)), 2)
                x = F.relu(self.c3(x))
                return self.fc(torch.flatten(x.permute(0, 2, 3, 1), 1))
        net = Net(); opt = torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
        X = torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous(); Y = torch.from_numpy(labels)
        lossf = nn.CrossEntropyLoss()
        def epoch():
            perm = torch.randperm(len(X))
            for i in range(0, len(X), 64):
                idx = perm[i:i + 64]
                opt.zero_grad(); loss = lossf(net(X[idx]), Y[idx]); loss.backward(); opt.step()
        def predict():
            with torch.no_grad():
                for i in range(0, len(X), 32):
                    torch.softmax(net(X[i:i + 32]), 1)
        out["mnist_epoch"] = med(epoch, 3)
        out["mnist_predict"] = med(predict, 3)
        class BNNet(nn.Module):  # DLWP ch. 9's pattern: conv without bias, BN, ReLU
            def __init__(self):
                super().__init__()
                self.c1 = nn.Conv2d(1, 32, 3, bias=False); self.b1 = nn.BatchNorm2d(32, eps=1e-3, momentum=0.01)
                self.c2 = nn.Conv2d(32, 64, 3, bias=False); self.b2 = nn.BatchNorm2d(64, eps=1e-3, momentum=0.01)
                self.fc = nn.Linear(1600, 10)
            def forward(self, x):
                x = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)
                x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
                return self.fc(torch.flatten(x.permute(0, 2, 3, 1), 1))
        net = BNNet(); opt = torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
        out["bn_epoch"] = med(epoch, 3)
else:
    if lib == "tensorflow":
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        import tensorflow as tf
        import keras
    else:
        import tapeflow as tf
        from tapeflow import keras
    if only in ("all", "conv"):
        xt, wt = tf.constant(x), tf.constant(w)
        y = tf.nn.conv2d(xt, wt, 1, "SAME")
        dy = tf.ones_like(y)
        if lib == "tensorflow":
            bi = lambda: tf.raw_ops.Conv2DBackpropInput(input_sizes=x.shape, filter=wt, out_backprop=dy, strides=[1, 1, 1, 1], padding="SAME")
            bf = lambda: tf.raw_ops.Conv2DBackpropFilter(input=xt, filter_sizes=w.shape, out_backprop=dy, strides=[1, 1, 1, 1], padding="SAME")
        else:
            from tapeflow.ops import conv_ops
            win = ((1, 1), (1, 1), (1, 1), (1, 1))
            bi = lambda: conv_ops._conv_backprop_input(x.shape, wt, dy, win)
            bf = lambda: conv_ops._conv_backprop_filter(xt, w.shape, dy, win)
        out["conv_fwd"] = flop / med(lambda: tf.nn.conv2d(xt, wt, 1, "SAME").numpy()) / 1e9
        out["conv_bwd_input"] = flop / med(lambda: bi().numpy()) / 1e9
        out["conv_bwd_filter"] = flop / med(lambda: bf().numpy()) / 1e9
    if only in ("all", "mnist"):
        L = keras.layers
        m = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"),
                              L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"),
                              L.MaxPooling2D(2), L.Conv2D(128, 3, activation="relu"),
                              L.Flatten(), L.Dense(10, activation="softmax")])
        m.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
        m.fit(imgs[:640], labels[:640], batch_size=64, epochs=1, verbose=0)
        m.predict(imgs[:64], verbose=0)
        out["mnist_epoch"] = med(lambda: m.fit(imgs, labels, batch_size=64, epochs=1, verbose=0), 3)
        out["mnist_predict"] = med(lambda: m.predict(imgs, verbose=0), 3)
        b = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(32, 3, use_bias=False),
                              L.BatchNormalization(), L.Activation("relu"), L.MaxPooling2D(2),
                              L.Conv2D(64, 3, use_bias=False), L.BatchNormalization(),
                              L.Activation("relu"), L.MaxPooling2D(2), L.Flatten(),
                              L.Dense(10, activation="softmax")])
        b.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
        b.fit(imgs[:640], labels[:640], batch_size=64, epochs=1, verbose=0)
        out["bn_epoch"] = med(lambda: b.fit(imgs, labels, batch_size=64, epochs=1, verbose=0), 3)
print(json.dumps(out))
"""


def run(python: str, lib: str, only: str) -> dict:
    out = subprocess.run([python, "-c", SNIPPET, lib, only], capture_output=True, text=True,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if out.returncode != 0:
        sys.stderr.write(f"{lib}: " + out.stderr[-3000:])
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peers", default=os.path.join("..", ".peers"))
    parser.add_argument("--only", default="all", choices=["all", "conv", "mnist"])
    args = parser.parse_args()
    rows = [("tapeflow", run(sys.executable, "tapeflow", args.only))]
    for lib, venv in (("tensorflow", "tf"), ("torch", "torch")):
        py = os.path.join(args.peers, venv, "bin", "python")
        if os.path.exists(py):
            rows.append((lib, run(py, lib, args.only)))
    cols = ["conv_fwd", "conv_bwd_input", "conv_bwd_filter", "mnist_epoch", "mnist_predict",
            "bn_epoch"]
    print("conv columns: GFLOP/s (higher is better); mnist: seconds (lower is better)")
    print(f"{'library':<12}" + "".join(f"{c:>17}" for c in cols))
    for lib, r in rows:
        print(f"{lib:<12}" + "".join(f"{r.get(c, float('nan')):>17.3f}" for c in cols))
    ours = dict(rows)["tapeflow"]
    for lib, r in rows[1:]:
        for c in cols:
            if c in ours and c in r:
                ratio = (r[c] / ours[c]) if c.startswith("conv") else (ours[c] / r[c])
                print(f"{c}: tapeflow time / {lib} time = {ratio:.3f}")


if __name__ == "__main__":
    main()
