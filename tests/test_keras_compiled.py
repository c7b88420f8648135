"""Keras on graphs: fit/evaluate/predict run their steps as tf.functions by default
(Keras 3 with the TensorFlow backend); run_eagerly=True keeps eager steps. Compiled and
eager runs execute the same kernels in the same order, so results are bit-identical."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _core, keras


def _data(n: int = 200):  # noqa: ANN202
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 8)).astype(np.float32)
    y = (x[:, :3].sum(1) > 0).astype(np.int64) + (x[:, 3] > 1).astype(np.int64)
    return x, y


def _model(run_eagerly: bool, **compile_kwargs):  # noqa: ANN003, ANN202
    tf.random.set_seed(3)
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
    m.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
              metrics=["accuracy"], run_eagerly=run_eagerly, **compile_kwargs)
    return m


def _fit(m, **kw):  # noqa: ANN001, ANN003, ANN202
    x, y = _data()
    return m.fit(x, y, batch_size=32, epochs=3, verbose=0, shuffle=False,
                 validation_split=0.2, **kw).history


def test_compiled_fit_equals_eager_fit() -> None:
    eager, compiled = _model(True), _model(False)
    he, hc = _fit(eager), _fit(compiled)
    assert he == hc
    for a, b in zip(eager.get_weights(), compiled.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert compiled.optimizer.iterations.numpy() == eager.optimizer.iterations.numpy() == 15
    assert isinstance(compiled.train_function, tf.function(lambda: 0).__class__)
    x, y = _data(50)
    assert eager.evaluate(x, y, verbose=0) == compiled.evaluate(x, y, verbose=0)
    np.testing.assert_array_equal(eager.predict(x, batch_size=16, verbose=0),
                                  compiled.predict(x, batch_size=16, verbose=0))


@pytest.mark.parametrize("steps", [2, 4])
def test_steps_per_execution(steps: int) -> None:
    seen = []

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):  # noqa: ANN001
            seen.append(batch)

    one, many = _model(False), _model(False, steps_per_execution=steps)
    h_one, h_many = _fit(one), _fit(many, callbacks=[Watch()])
    # Training logs are identical. With a callback watching, validation runs batch by
    # batch (the callback sees the test hooks, as in Keras); without one it takes one
    # batch: the same values up to float rounding.
    assert {k: v for k, v in h_one.items() if not k.startswith("val_")} == \
        {k: v for k, v in h_many.items() if not k.startswith("val_")}
    for k in ("val_loss", "val_accuracy"):
        np.testing.assert_allclose(h_one[k], h_many[k], rtol=1e-6)
    for a, b in zip(one.get_weights(), many.get_weights()):
        np.testing.assert_array_equal(a, b)
    # 160 training rows / 32 = 5 batches an epoch: batch ends come per execution,
    # numbered by the last step each ran (as Keras).
    per_epoch = [min(i + steps, 5) - 1 for i in range(0, 5, steps)]
    assert seen == per_epoch * 3


def test_jit_compile_gives_the_same_fit() -> None:
    assert _fit(_model(False)) == _fit(_model(False, jit_compile=True))


def test_compiled_step_takes_no_fresh_memory_in_steady_state() -> None:
    m = _model(False)
    x, y = _data(64)
    m.fit(x, y, batch_size=32, epochs=3, verbose=0)   # traces, warms the cache
    before = _core.host_fresh_allocations()
    m.fit(x, y, batch_size=32, epochs=5, verbose=0)
    assert _core.host_fresh_allocations() == before


def test_custom_train_step_is_traced() -> None:
    calls = []

    class Custom(keras.Model):
        def __init__(self):  # noqa: ANN204
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):  # noqa: ANN001, ANN201
            return self.dense(x)

        def train_step(self, data):  # noqa: ANN001, ANN201
            calls.append(tf.executing_eagerly())
            x, y = data[0], data[1]
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(self(x) - y))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return {"loss": loss}

    x = np.ones((40, 2), np.float32)
    y = np.full((40, 1), 3.0, np.float32)
    m = Custom()
    m.compile(keras.optimizers.SGD(0.1))
    hist = m.fit(x, y, batch_size=20, epochs=4, verbose=0).history
    assert calls == [False, False]   # two traces (variables made on the first), no more
    assert hist["loss"][-1] < hist["loss"][0]
