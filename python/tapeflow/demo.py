"""The main job: ``python -m tapeflow.demo``.

Runs the tutorial's (Deep Learning with Python, ch. 3) linear classifier with
``tf.GradientTape`` exactly as the book writes it, the same classifier with Keras
(compile, fit with the progress bar, evaluate, predict), an MLP on scikit-learn's
digits, then a short tour of the native core checked and timed beside numpy. Keep the
tutorial parts as plain as the book.
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


def keras_classifier() -> float:
    """The chapter's Keras part: the same data, a Dense(1) model, fit with the progress
    bar, evaluate and predict. Returns the validation accuracy."""
    from tapeflow import keras

    print("\n== The same classifier with Keras: compile, fit, evaluate, predict ==")
    keras.utils.set_random_seed(1337)
    num_samples_per_class = 1000
    negative_samples = np.random.multivariate_normal(
        mean=[0, 3], cov=[[1, 0.5], [0.5, 1]], size=num_samples_per_class)
    positive_samples = np.random.multivariate_normal(
        mean=[3, 0], cov=[[1, 0.5], [0.5, 1]], size=num_samples_per_class)
    inputs = np.vstack((negative_samples, positive_samples)).astype(np.float32)
    targets = np.vstack((np.zeros((num_samples_per_class, 1), dtype="float32"),
                         np.ones((num_samples_per_class, 1), dtype="float32")))

    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
                  loss=keras.losses.MeanSquaredError(),
                  metrics=[keras.metrics.BinaryAccuracy()])
    indices_permutation = np.random.permutation(len(inputs))
    shuffled_inputs = inputs[indices_permutation]
    shuffled_targets = targets[indices_permutation]
    num_validation_samples = int(0.3 * len(inputs))
    val_inputs = shuffled_inputs[:num_validation_samples]
    val_targets = shuffled_targets[:num_validation_samples]
    training_inputs = shuffled_inputs[num_validation_samples:]
    training_targets = shuffled_targets[num_validation_samples:]
    t0 = time.perf_counter()
    model.fit(training_inputs, training_targets, epochs=5, batch_size=128,
              validation_data=(val_inputs, val_targets))
    fit_ms = (time.perf_counter() - t0) * 1e3
    loss_and_metrics = model.evaluate(val_inputs, val_targets, batch_size=128)
    print(loss_and_metrics)
    predictions = model.predict(val_inputs, batch_size=128)
    print(f"predictions: shape {predictions.shape}, first three {predictions[:3, 0]}")
    print(f"(fit took {fit_ms:.0f} ms)")
    model.summary()
    return float(loss_and_metrics[1])


def digits_mlp() -> float:
    """An MLP on scikit-learn's bundled digits (8x8 images, offline); test accuracy."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("\n(install scikit-learn to run the digits example: pip install .[examples])")
        return float("nan")
    from tapeflow import keras

    print("\n== An MLP on scikit-learn's digits (Dense 64 relu, Dense 64 relu, Dense 10) ==")
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target
    keras.utils.set_random_seed(0)
    perm = np.random.permutation(len(x))
    x, y = x[perm], y[perm]
    split = int(0.8 * len(x))
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.perf_counter()
    model.fit(x[:split], y[:split], epochs=20, batch_size=32, verbose=0)
    elapsed = time.perf_counter() - t0
    loss, accuracy = model.evaluate(x[split:], y[split:], verbose=0)
    print(f"20 epochs in {elapsed:.2f} s; test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    return float(accuracy)


def _median_us(fn: Callable[[], object], repeat: int = 7, target_s: float = 0.004) -> float:
    """Median time per call over `repeat` loops of about `target_s`, after warm-up calls
    (first-call allocation, the thread pool waking up)."""
    fn()
    t0 = time.perf_counter()
    fn()
    number = max(1, int(target_s / max(time.perf_counter() - t0, 1e-7)))
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
    # A convolution: numpy has none, so its reference is the patch matrix (a strided
    # view of the padded images) times the filter.
    x_np = rng.standard_normal((8, 32, 32, 16)).astype(np.float32)
    f_np = (rng.standard_normal((3, 3, 16, 32)) * 0.1).astype(np.float32)
    x, f = tf.constant(x_np), tf.constant(f_np)

    def conv_np() -> np.ndarray:
        padded = np.pad(x_np, ((0, 0), (1, 1), (1, 1), (0, 0)))
        patches = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))
        return np.tensordot(patches, f_np, axes=([3, 4, 5], [2, 0, 1]))

    checks = [
        ("exp", tf.exp(a), np.exp(a_np)),
        ("reduce_sum", tf.reduce_sum(a), a_np.sum(dtype=np.float64)),
        ("matmul 256x256", tf.matmul(m, m), m_np @ m_np),
        ("softmax", tf.nn.softmax(m), np.exp(m_np) / np.exp(m_np).sum(-1, keepdims=True)),
        ("conv2d 3x3", tf.nn.conv2d(x, f, 1, "SAME"), conv_np()),
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
        ("conv2d 3x3, 8x32x32x16", lambda: tf.nn.conv2d(x, f, 1, "SAME"), conv_np),
    ]
    for name, ours, theirs in rows:
        print(f"  {name:<26}{_median_us(ours):>12.1f}{_median_us(theirs):>10.1f}")


def main() -> None:
    """Runs the demo; `--no-plot` skips the PNG."""
    final_loss = linear_classifier(None if "--no-plot" in sys.argv else
                                   "tapeflow_demo_decision_boundary.png")
    if not final_loss < 0.05:
        raise SystemExit(f"training did not converge (loss {final_loss:.4f})")
    if keras_classifier() < 0.95:
        raise SystemExit("the Keras classifier did not reach 95% validation accuracy")
    accuracy = digits_mlp()
    if accuracy == accuracy and accuracy < 0.95:  # nan: scikit-learn missing
        raise SystemExit(f"the digits MLP reached only {accuracy:.4f}")
    core_tour()


if __name__ == "__main__":
    main()
