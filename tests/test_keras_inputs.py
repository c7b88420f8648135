"""What fit/evaluate/predict accept, as Keras 3 checks and walks it (behaviour measured
with Keras 3.15 on TF 2.21): tf.data Datasets, PyDatasets, generators, arrays with
their cardinality check, running out of data, and the batches a custom train_step
receives."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras

RNG = np.random.default_rng(0)
X = RNG.random((64, 4)).astype("float32")
Y = (X.sum(1) > 2).astype("float32")


def model() -> keras.Model:
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    m.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    return m


class Steps(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.per_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.per_epoch[-1] += 1


def fit_steps(m, data, **kwargs):
    steps = Steps()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = m.fit(data, verbose=0, callbacks=[steps], **kwargs)
    ran_out = sum("ran out of data" in str(w.message) for w in caught)
    return steps.per_epoch, ran_out, history


def test_fit_on_a_dataset_restarts_it_each_epoch():
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16)
    steps, ran_out, history = fit_steps(model(), ds, epochs=3)
    assert steps == [4, 4, 4] and ran_out == 0
    assert len(history.history["loss"]) == 3


def test_steps_per_epoch_continues_and_warns_when_data_runs_out():
    """Keras 3: 4 batches, steps_per_epoch=3, 3 epochs -> 3, 1 (+ warning), 3 steps."""
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16)
    steps, ran_out, _ = fit_steps(model(), ds, epochs=3, steps_per_epoch=3)
    assert steps == [3, 1, 3] and ran_out == 1
    steps, ran_out, _ = fit_steps(model(), ds, epochs=2, steps_per_epoch=6)
    assert steps == [4, 4] and ran_out == 2


def test_repeated_dataset_with_steps_and_validation_dataset():
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16)
    steps, ran_out, history = fit_steps(model(), ds.repeat(), epochs=2, steps_per_epoch=5,
                                        validation_data=ds, validation_steps=2)
    assert steps == [5, 5] and ran_out == 0
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_generator_runs_out_then_training_stops_without_fake_metrics():
    def gen():
        for i in range(0, 64, 16):
            yield X[i:i + 16], Y[i:i + 16]

    steps, ran_out, history = fit_steps(model(), gen(), epochs=2)
    assert steps[0] == 4 and ran_out >= 1
    assert len(history.history["loss"]) == 1  # the empty second epoch reports nothing
    assert all(np.isfinite(v) and v > 0 for v in history.history["loss"])


def test_unknown_cardinality_dataset_warns_as_keras():
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).filter(lambda a, b: True).batch(16)
    steps, ran_out, _ = fit_steps(model(), ds, epochs=2)
    assert steps == [4, 4] and ran_out == 2


def test_pydataset_batches_and_epoch_hooks():
    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.ends = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return X[16 * i:16 * (i + 1)], Y[16 * i:16 * (i + 1)]

        def on_epoch_end(self):
            self.ends += 1

    data = Batches()
    steps, ran_out, _ = fit_steps(model(), data, epochs=2)
    assert steps == [4, 4] and data.ends == 2 and ran_out == 0


def test_custom_train_step_receives_batches_as_keras_hands_them():
    seen = []

    class M(keras.Model):
        def train_step(self, data):
            seen.append(type(data).__name__ + str(len(data)))
            x, y = data[:2]
            return super().train_step(data)

    inp = keras.Input((4,))
    m = M(inp, keras.layers.Dense(1)(inp))
    assert isinstance(m, M) and isinstance(m, keras.Model)
    m.compile("sgd", "mse", run_eagerly=True)  # (a compiled step sees only its traces)
    m.fit(X, Y, epochs=1, verbose=0, batch_size=32)
    m.fit(tf.data.Dataset.from_tensor_slices((X, Y)).batch(32), epochs=1, verbose=0)
    m.fit(X, Y, sample_weight=np.ones(64), epochs=1, verbose=0, batch_size=64)
    assert seen == ["tuple2", "tuple2", "tuple2", "tuple2", "tuple3"]


def test_keras_input_errors():
    m = model()
    with pytest.raises(ValueError) as info:
        m.fit(X, Y[:50], verbose=0)
    assert str(info.value) == ("Data cardinality is ambiguous. Make sure all arrays contain "
                               "the same number of samples.'x' sizes: 64\n'y' sizes: 50\n")
    with pytest.raises(ValueError, match="list of \\(x, y\\) batches"):
        m.fit([(X[:16], Y[:16]), (X[16:32], Y[16:32])], verbose=0)
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16)
    with pytest.raises(ValueError, match="When providing `x` as a tf.data.Dataset, `y` "
                                         "should not be passed"):
        m.fit(ds, Y, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        m.fit(ds, validation_split=0.2, verbose=0)


def test_integer_pixels_train_a_dense_model():
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    m.compile("sgd", "mse")
    pixels = (X * 255).astype("uint8")
    history = m.fit(pixels, Y, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert m.predict(pixels[:2], verbose=0).dtype == np.float32


def test_evaluate_and_predict_on_datasets_match_arrays():
    m = model()
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16)
    np.testing.assert_allclose(m.evaluate(ds, verbose=0), m.evaluate(X, Y, verbose=0,
                                                                     batch_size=16),
                               rtol=1e-6)
    np.testing.assert_allclose(m.predict(ds, verbose=0), m.predict(X, verbose=0),
                               rtol=1e-6)
    only_x = tf.data.Dataset.from_tensor_slices(X).batch(10)
    assert m.predict(only_x, verbose=0).shape == (64, 1)


def test_class_weight_on_a_dataset_weights_the_loss():
    m1, m2 = model(), model()
    m2.set_weights(m1.get_weights())
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(64)
    h1 = m1.fit(ds, epochs=1, verbose=0, class_weight={0: 1.0, 1: 3.0})
    h2 = m2.fit(X, Y, epochs=1, verbose=0, batch_size=64, shuffle=False,
                class_weight={0: 1.0, 1: 3.0})
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-6)


def test_dict_datasets_feed_named_inputs():
    a = keras.Input((2,), name="a")
    b = keras.Input((2,), name="b")
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]))
    m = keras.Model({"a": a, "b": b}, out)
    m.compile("sgd", "mse")
    ds = tf.data.Dataset.from_tensor_slices(({"a": X[:, :2], "b": X[:, 2:]}, Y)).batch(16)
    history = m.fit(ds, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_progress_lines_for_a_dataset_of_unknown_size_as_keras(capsys):
    """verbose=2 prints an epoch's line only once the number of steps is known (Keras 3's
    Progbar): nothing for the first epoch over an unknown-cardinality dataset."""
    m = model()
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).filter(lambda a, b: True).batch(16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(ds, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[1] == "Epoch 2/2"
    assert lines[2].startswith("4/4 - ") and "accuracy:" in lines[2]
