"""The main job: ``python -m tapeflow.demo``.

Runs the tutorial's (Deep Learning with Python, ch. 3) linear classifier with
``tf.GradientTape`` exactly as the book writes it, then a short tour of the native
core checked and timed beside numpy. Keep the tutorial part as plain as the book.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Callable, Optional

import numpy as np

import tapeflow as tf
from tapeflow import _core


def linear_classifier(plot_path: Optional[str] = "tapeflow_demo_decision_boundary.png") -> float:
    """The chapter's GradientTape classifier; returns the final loss."""
    print("== A linear classifier trained with tf.GradientTape (book, chapter 3) ==")
    num_samples_per_class = 1000
    rng = np.random.default_rng(1337)
    negative_samples = rng.multivariate_normal(
        mean=[0, 3], cov=[[1, 0.5], [0.5, 1]], size=num_samples_per_class)
    positive_samples = rng.multivariate_normal(
        mean=[3, 0], cov=[[1, 0.5], [0.5, 1]], size=num_samples_per_class)
    inputs = np.vstack((negative_samples, positive_samples)).astype(np.float32)
    targets = np.vstack((np.zeros((num_samples_per_class, 1), dtype="float32"),
                         np.ones((num_samples_per_class, 1), dtype="float32")))

    input_dim = 2
    output_dim = 1
    W = tf.Variable(initial_value=tf.random.uniform(shape=(input_dim, output_dim), seed=0))
    b = tf.Variable(initial_value=tf.zeros(shape=(output_dim,)))

    def model(inputs):
        return tf.matmul(inputs, W) + b

    def square_loss(targets, predictions):
        per_sample_losses = tf.square(targets - predictions)
        return tf.reduce_mean(per_sample_losses)

    learning_rate = 0.1

    def training_step(inputs, targets):
        with tf.GradientTape() as tape:
            predictions = model(inputs)
            loss = square_loss(targets, predictions)
        grad_loss_wrt_W, grad_loss_wrt_b = tape.gradient(loss, [W, b])
        W.assign_sub(grad_loss_wrt_W * learning_rate)
        b.assign_sub(grad_loss_wrt_b * learning_rate)
        return loss

    t0 = time.perf_counter()
    for step in range(40):
        loss = training_step(inputs, targets)
        print(f"Loss at step {step}: {loss:.4f}")
    elapsed = time.perf_counter() - t0
    predictions = model(inputs)
    accuracy = float(np.mean((predictions.numpy() > 0.5) == (targets > 0.5)))
    print(f"Training accuracy: {accuracy:.4f}  (40 steps in {elapsed * 1e3:.1f} ms)")

    if plot_path:
        try:
            import matplotlib
        except ImportError:
            print("(install matplotlib to save the decision-boundary plot)")
        else:
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            x = np.linspace(-1, 4, 100)
            y = -W[0] / W[1] * x + (0.5 - b) / W[1]
            plt.plot(x, y, "-r")
            plt.scatter(inputs[:, 0], inputs[:, 1], c=predictions[:, 0] > 0.5)
            plt.savefig(plot_path)
            plt.close()
            print(f"Decision boundary saved to {os.path.abspath(plot_path)}")
    return float(loss)


def _median_us(fn: Callable[[], object], repeat: int = 7, number: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times) * 1e6


def core_tour() -> None:
    """The native core: kernels checked against numpy and timed beside it."""
    print(f"\n== The native core: kernels for '{_core.kernel_isa()}', "
          f"{_core.num_threads()} thread(s), GPU: {tf.config.list_physical_devices('GPU') != []} ==")
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal(1_000_000).astype(np.float32)
    m_np = rng.standard_normal((256, 256)).astype(np.float32)
    a, m = tf.constant(a_np), tf.constant(m_np)
    checks = [
        ("exp", tf.exp(a), np.exp(a_np)),
        ("reduce_sum", tf.reduce_sum(a), a_np.sum(dtype=np.float64)),
        ("matmul 256x256", tf.matmul(m, m), m_np @ m_np),
        ("softmax", tf.nn.softmax(m), np.exp(m_np) / np.exp(m_np).sum(-1, keepdims=True)),
    ]
    for name, got, want in checks:
        ok = np.allclose(got.numpy(), want, rtol=1e-4, atol=1e-3)
        print(f"  {name:<16} {'matches numpy' if ok else 'DIFFERS FROM NUMPY'}")
        if not ok:
            raise SystemExit(f"{name}: result differs from numpy")
    print(f"  {'op (1M float32)':<26}{'tapeflow us':>12}{'numpy us':>10}")
    rows = [
        ("add", lambda: a + a, lambda: a_np + a_np),
        ("sum", lambda: tf.reduce_sum(a), lambda: a_np.sum()),
        ("matmul 256x256", lambda: tf.matmul(m, m), lambda: m_np @ m_np),
    ]
    for name, ours, theirs in rows:
        print(f"  {name:<26}{_median_us(ours):>12.1f}{_median_us(theirs):>10.1f}")


def main() -> None:
    """Runs the demo; `--no-plot` skips the PNG."""
    final_loss = linear_classifier(None if "--no-plot" in sys.argv else
                                   "tapeflow_demo_decision_boundary.png")
    if not final_loss < 0.05:
        raise SystemExit(f"training did not converge (loss {final_loss:.4f})")
    core_tour()


if __name__ == "__main__":
    main()
