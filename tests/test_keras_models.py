"""Keras models: Sequential, functional and subclassed; compile/fit/evaluate/predict,
the progress bar, History and summary, as Keras 3 (expected text from Keras 3.15)."""

from __future__ import annotations

import re
from typing import Any, Dict

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras


def _blobs(n: int = 1000, seed: int = 0):
    rng = np.random.default_rng(seed)
    neg = rng.multivariate_normal([0, 3], [[1, 0.5], [0.5, 1]], n)
    pos = rng.multivariate_normal([3, 0], [[1, 0.5], [0.5, 1]], n)
    x = np.vstack((neg, pos)).astype(np.float32)
    y = np.vstack((np.zeros((n, 1), "float32"), np.ones((n, 1), "float32")))
    return x, y


def _chapter_model():
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
                  loss=keras.losses.MeanSquaredError(),
                  metrics=[keras.metrics.BinaryAccuracy()])
    return model


def test_chapter_fit_evaluate_predict(capsys: pytest.CaptureFixture) -> None:
    keras.utils.set_random_seed(0)
    inputs, targets = _blobs()
    perm = np.random.permutation(len(inputs))
    x, y = inputs[perm], targets[perm]
    nv = int(0.3 * len(x))
    model = _chapter_model()
    history = model.fit(x[nv:], y[nv:], epochs=5, batch_size=128,
                        validation_data=(x[:nv], y[:nv]))
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/5" and out[2] == "Epoch 2/5" and len(out) == 10
    pattern = (r"^11/11 ━{20} \d+s \d+(ms|us|s)/step - binary_accuracy: \d\.\d{4} - "
               r"loss: \d\.\d{4}(e-\d\d)? - val_binary_accuracy: \d\.\d{4} - "
               r"val_loss: \d\.\d{4}(e-\d\d)?$")
    assert all(re.match(pattern, line) for line in out[1::2]), out
    assert list(history.history) == ["binary_accuracy", "loss", "val_binary_accuracy",
                                     "val_loss"]
    assert all(len(v) == 5 for v in history.history.values())
    assert history.history["val_binary_accuracy"][-1] > 0.95
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x[:nv], y[:nv], batch_size=128)
    assert re.match(r"^5/5 ━{20} \d+s \d+(ms|us|s)/step - binary_accuracy: \d\.\d{4} - loss",
                    capsys.readouterr().out.strip())
    assert acc > 0.95 and loss == pytest.approx(history.history["val_loss"][-1], rel=1e-5)
    preds = model.predict(x[:nv], batch_size=128, verbose=0)
    assert preds.shape == (nv, 1) and preds.dtype == np.float32
    np.testing.assert_allclose(preds, x[:nv] @ model.layers[0].kernel.numpy()
                               + model.layers[0].bias.numpy(), rtol=1e-5, atol=1e-6)


def test_verbose_2_and_0(capsys: pytest.CaptureFixture) -> None:
    x, y = _blobs(64)
    model = _chapter_model()
    model.fit(x, y, epochs=2, batch_size=64, verbose=2, validation_split=0.25)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2"
    assert re.match(r"^2/2 - \d+s - \d+(ms|us|s)/step - binary_accuracy: \d\.\d{4} - loss: "
                    r"\S+ - val_binary_accuracy: \d\.\d{4} - val_loss: \S+$", lines[1]), lines
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_return_forms() -> None:
    x, y = _blobs(32)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss}
    model.compile("sgd", "mse", metrics=["mae"])
    values = model.evaluate(x, y, verbose=0)
    assert isinstance(values, list) and len(values) == 2
    mae = np.mean(np.abs(model.predict(x, verbose=0) - y))
    assert values[1] == pytest.approx(mae, rel=1e-5)


def test_accuracy_string_resolves_by_loss_and_shapes() -> None:
    x = np.random.default_rng(1).normal(size=(40, 3)).astype(np.float32)
    binary = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
    binary.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    h = binary.fit(x, (x[:, :1] > 0).astype("float32"), verbose=0)
    assert sorted(h.history) == ["accuracy", "loss"]
    assert type(binary.metrics[1]).__name__ == "BinaryAccuracy"
    sparse = keras.Sequential([keras.layers.Dense(3, activation="softmax")])
    sparse.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    sparse.fit(x, np.arange(40) % 3, verbose=0)
    assert type(sparse.metrics[1]).__name__ == "SparseCategoricalAccuracy"
    cat = keras.Sequential([keras.layers.Dense(3, activation="softmax")])
    cat.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    cat.fit(x, np.eye(3)[np.arange(40) % 3], verbose=0)
    assert type(cat.metrics[1]).__name__ == "CategoricalAccuracy"


def test_summary_matches_keras(capsys: pytest.CaptureFixture) -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu",
                                                                      name="hidden"),
                              keras.layers.Dense(1, name="out")], name="mlp")
    assert model.summary() is None
    assert capsys.readouterr().out == (
        'Model: "mlp"\n'
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n"
        "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n"
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n"
        "│ hidden (Dense)                  │ (None, 8)              │            40 │\n"
        "├─────────────────────────────────┼────────────────────────┼───────────────┤\n"
        "│ out (Dense)                     │ (None, 1)              │             9 │\n"
        "└─────────────────────────────────┴────────────────────────┴───────────────┘\n"
        " Total params: 49 (196.00 B)\n"
        " Trainable params: 49 (196.00 B)\n"
        " Non-trainable params: 0 (0.00 B)\n")


def test_summary_counts_have_thousands_separators(capsys: pytest.CaptureFixture) -> None:
    """Keras 3.15 prints 10,000 and 686,001 (the peer's output for this model)."""
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(1000, 3, name="conv2d"),
                              keras.layers.Flatten(), keras.layers.Dense(1, name="dense")])
    model.summary()
    out = capsys.readouterr().out
    assert "│ conv2d (Conv2D)                 │ (None, 26, 26, 1000)   │        10,000 │" in out
    assert "│ dense (Dense)                   │ (None, 1)              │       676,001 │" in out
    assert " Total params: 686,001 (2.62 MB)\n Trainable params: 686,001 (2.62 MB)\n" in out


def test_summary_of_unbuilt_model(capsys: pytest.CaptureFixture) -> None:
    model = keras.Sequential([keras.layers.Dense(1, name="d")], name="s")
    model.summary()
    out = capsys.readouterr().out
    assert "│ d (Dense)                       │ ?                      │   0 (unbuilt) │" in out
    assert " Total params: 0 (0.00 B)" in out


def test_functional_model() -> None:
    inp = keras.Input((3,), name="x")
    hidden = keras.layers.Dense(4, activation="relu", name="h")(inp)
    out = keras.layers.Dense(1, name="o")(hidden)
    model = keras.Model(inp, out)
    assert [layer.name for layer in model.layers] == ["x", "h", "o"]
    data = np.random.default_rng(2).normal(size=(5, 3)).astype(np.float32)
    h = np.maximum(data @ model.layers[1].kernel.numpy() + model.layers[1].bias.numpy(), 0)
    expected = h @ model.layers[2].kernel.numpy() + model.layers[2].bias.numpy()
    np.testing.assert_allclose(model(data).numpy(), expected, rtol=1e-5, atol=1e-6)
    model.compile("adam", "mse")
    model.fit(data, np.zeros((5, 1), np.float32), verbose=0, epochs=2)


def test_subclassed_model_with_custom_train_step() -> None:
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.steps_seen = 0

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            self.steps_seen += 1
            return super().train_step(data)

    x, y = _blobs(50)
    model = Custom()
    model.compile(keras.optimizers.SGD(0.05), "mse", run_eagerly=True)
    model.fit(x, y, batch_size=25, epochs=3, verbose=0)
    assert model.steps_seen == 12
    # Compiled (the default): the Python body runs when traced only (TF Keras: 2 too).
    model = Custom()
    model.compile(keras.optimizers.SGD(0.05), "mse")
    model.fit(x, y, batch_size=25, epochs=3, verbose=0)
    assert model.steps_seen == 2
    assert len(model.trainable_weights) == 2


def test_train_and_test_on_batch_and_generators() -> None:
    x, y = _blobs(40)
    model = _chapter_model()
    loss, acc = model.train_on_batch(x, y)
    assert np.isfinite(loss) and 0 <= acc <= 1
    assert isinstance(model.test_on_batch(x, y, return_dict=True), dict)
    assert model.predict_on_batch(x).shape == (80, 1)

    def batches():
        for i in range(0, 80, 20):
            yield x[i:i + 20], y[i:i + 20]

    history = model.fit(batches(), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1


def test_losses_from_regularizers_join_the_training_loss() -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, kernel_initializer="ones", kernel_regularizer=keras.regularizers.l2(1.0))])
    model.compile("sgd", "mse")
    x, y = np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(2.0)


def test_callbacks_early_stopping_and_history_epochs() -> None:
    x, y = _blobs(64)
    model = _chapter_model()
    seen = []
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    log = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[stop, log])
    assert seen == history.epoch and len(seen) == 2


def test_fit_needs_compile() -> None:
    model = keras.Sequential([keras.layers.Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.ones((2, 2)), np.ones((2, 1)), verbose=0)


def test_digits_mlp_reaches_95_percent() -> None:
    """The issue's real-data check: an MLP on scikit-learn's bundled digits."""
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    keras.utils.set_random_seed(0)
    perm = np.random.permutation(len(x))
    x, y = x[perm], y[perm]
    split = int(0.8 * len(x))
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:split], y[:split], epochs=20, batch_size=32, verbose=0)
    _, acc = model.evaluate(x[split:], y[split:], verbose=0)
    assert acc >= 0.95


def test_progbar_time_formats_and_history_params() -> None:
    from tapeflow.keras.utils.progbar import format_duration, format_time_per_unit, format_value

    assert [format_duration(s) for s in (0.4, 59.9, 65, 3723)] == ["0s", "59s", "1:05", "1:02:03"]
    assert [format_time_per_unit(s) for s in (2.0, 0.0031, 0.00042)] == ["2s/step", "3ms/step",
                                                                        "420us/step"]
    assert (format_value(0.12345), format_value(0.0001234)) == ("0.1235", "1.2340e-04")
    x, y = _blobs(64)
    model = _chapter_model()
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 4}
    assert all(type(v) is float for values in history.history.values() for v in values)


def test_epoch_loss_is_the_batch_size_weighted_mean() -> None:
    """With a frozen model, the epoch loss equals the MSE over all rows (uneven batches)."""
    x, y = _blobs(50)  # 100 rows: batches of 32, 32, 32 and 4
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate=0.0), "mse")
    history = model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    full = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    assert history.history["loss"][0] == pytest.approx(full, rel=1e-5)


def test_initial_epoch_steps_per_epoch_and_validation_split_tail(capsys) -> None:
    """initial_epoch numbers epochs from there; steps_per_epoch bounds the batches;
    validation_split takes the last rows, before shuffling (as Keras)."""
    x, y = _blobs(50)
    model = _chapter_model()
    history = model.fit(x, y, epochs=3, initial_epoch=1, batch_size=10, steps_per_epoch=2,
                        verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 2/3" and lines[2] == "Epoch 3/3"
    assert lines[1].startswith("2/2 - ") and history.epoch == [1, 2]
    frozen = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    frozen.compile(keras.optimizers.SGD(learning_rate=0.0), "mse")
    h = frozen.fit(x, y, validation_split=0.2, epochs=1, verbose=0)
    tail_mse = float(np.mean((frozen.predict(x[80:], verbose=0) - y[80:]) ** 2))
    assert h.history["val_loss"][0] == pytest.approx(tail_mse, rel=1e-5)


# ---- several outputs (Keras 3.15's names and order, read off real Keras) ------------------

def _two_output_model(as_dict=False):
    inp = keras.Input((4,))
    h = keras.layers.Dense(8, activation="relu")(inp)
    o1 = keras.layers.Dense(1, name="reg")(h)
    o2 = keras.layers.Dense(3, activation="softmax", name="cls")(h)
    return keras.Model(inp, {"a": o1, "b": o2} if as_dict else [o1, o2])


def _two_output_data():
    rng = np.random.default_rng(0)
    return (rng.random((64, 4)).astype(np.float32), rng.random((64, 1)).astype(np.float32),
            rng.integers(0, 3, 64))


def test_multi_output_losses_metrics_and_weights():
    keras.utils.set_random_seed(0)
    m = _two_output_model()
    m.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"],
              metrics=[["mae"], ["accuracy"]], loss_weights=[1.0, 0.5])
    x, y1, y2 = _two_output_data()
    h = m.fit(x, [y1, y2], epochs=2, verbose=0, batch_size=32)
    # Keras 3: the total, a loss per output (named after the output layer), and
    # metrics named output_metric, all sorted.
    assert sorted(h.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "reg_mae"]
    ev = m.evaluate(x, [y1, y2], verbose=0)
    # [loss, reg_loss, cls_loss, cls_accuracy, reg_mae], loss = 1.0 * reg + 0.5 * cls
    assert len(ev) == 5 and ev[0] == pytest.approx(ev[1] + 0.5 * ev[2], rel=1e-5)
    d = m.evaluate(x, [y1, y2], verbose=0, return_dict=True)
    assert list(d) == sorted(d) and d["reg_loss"] == pytest.approx(ev[1])
    ref = np.mean((m.predict(x, verbose=0)[0] - y1) ** 2)
    assert d["reg_loss"] == pytest.approx(ref, rel=1e-5)
    p = m.predict(x[:3], verbose=0)
    assert isinstance(p, list) and [a.shape for a in p] == [(3, 1), (3, 3)]


def test_multi_output_dict_outputs_and_one_loss_for_all():
    keras.utils.set_random_seed(0)
    x, y1, y2 = _two_output_data()
    m = _two_output_model(as_dict=True)
    m.compile(optimizer="sgd", loss={"a": "mse", "b": "sparse_categorical_crossentropy"},
              metrics={"b": "accuracy"})
    h = m.fit(x, {"a": y1, "b": y2}, epochs=1, verbose=0)
    assert sorted(h.history) == ["a_loss", "b_accuracy", "b_loss", "loss"]
    m3 = _two_output_model()
    m3.compile(optimizer="sgd", loss="mse")
    h3 = m3.fit(x, [y1, np.repeat(y1, 3, axis=1)], epochs=1, verbose=0)
    assert sorted(h3.history) == ["cls_loss", "loss", "reg_loss"]
    with pytest.raises(ValueError, match="does not correspond to any model output"):
        bad = _two_output_model(as_dict=True)
        bad.compile(optimizer="sgd", loss={"a": "mse", "zz": "mse"})
        bad.fit(x, {"a": y1, "b": y2}, epochs=1, verbose=0)


def test_keras2_compiled_loss_and_compiled_metrics_shims_as_keras3():
    """TF's 'customizing what happens in fit' guide (tf.keras era) calls
    self.compiled_loss and self.compiled_metrics.update_state: Keras 3 keeps them as
    deprecated shims (its loss tracker then averages y_pred). Values printed by Keras
    3.15 on TF 2.21 for this model and data: loss [2.0, 1.92978], mae [1.5, 1.42978]."""

    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = keras.Input(shape=(4,))
    model = CustomModel(inputs, keras.layers.Dense(1, kernel_initializer="ones")(inputs))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.linspace(0, 1, 40, dtype="float32").reshape(10, 4)
    y = np.linspace(0, 1, 10, dtype="float32").reshape(10, 1)
    with pytest.warns(UserWarning, match="deprecated"):
        h = model.fit(x, y, epochs=2, verbose=0, batch_size=10, shuffle=False)
    np.testing.assert_allclose(h.history["loss"], [2.0, 1.92978], atol=1e-5)
    np.testing.assert_allclose(h.history["mae"], [1.5, 1.42978], atol=1e-5)


def test_layer_input_and_output_of_a_functional_model_as_keras():
    """DLWP ch. 7 reads model.layers[3].input / .output and reuses an intermediate output
    to build a new model (Keras 3.15's values and errors)."""
    a = keras.Input((4,), name="a")
    b = keras.Input((2,), name="b")
    joined = keras.layers.Concatenate()([a, b])
    hidden = keras.layers.Dense(3)
    features = hidden(joined)
    out = keras.layers.Dense(1, name="out")(features)
    model = keras.Model([a, b], out)
    concat = model.layers[2]
    assert isinstance(concat.input, list) and [t.name for t in concat.input] == ["a", "b"]
    assert concat.output.shape == (None, 6) and concat.output.dtype == "float32"
    assert model.layers[0].output is a and a.dtype == "float32"
    extra = keras.layers.Dense(5, name="extra")(hidden.output)
    new_model = keras.Model([a, b], [out, extra])
    outs = new_model.predict([np.ones((2, 4)), np.ones((2, 2))], verbose=0)
    assert [o.shape for o in outs] == [(2, 1), (2, 5)]
    with pytest.raises(AttributeError, match="has never been called and thus has no "
                                             "defined input"):
        keras.layers.Dense(2, name="lonely").input


def test_merge_functions_and_min_max_layers() -> None:
    """``layers.add([x, y])`` and friends (the functional API guide's toy ResNet)."""
    a = np.array([[1.0, -2.0, 3.0]], np.float32)
    b = np.array([[0.5, 4.0, -1.0]], np.float32)
    L = keras.layers
    for fn, want in ((L.add, a + b), (L.subtract, a - b), (L.multiply, a * b),
                     (L.average, (a + b) / 2), (L.maximum, np.maximum(a, b)),
                     (L.minimum, np.minimum(a, b)), (L.concatenate, np.concatenate([a, b], -1))):
        np.testing.assert_allclose(fn([tf.constant(a), tf.constant(b)]).numpy(), want)
    x = keras.Input((8, 8, 3))
    h = L.Conv2D(4, 3, padding="same", activation="relu")(x)
    block = L.add([L.Conv2D(4, 3, padding="same")(h), h])
    model = keras.Model(x, L.Dense(2)(L.GlobalAveragePooling2D()(block)))
    assert model(np.ones((2, 8, 8, 3), np.float32)).shape == (2, 2)
    assert [type(lay).__name__ for lay in model.layers].count("Add") == 1


def test_functional_config_round_trip_with_custom_objects() -> None:
    """The functional guide: ``Model.from_config(model.get_config(), custom_objects=...)``
    rebuilds the graph with a custom layer."""

    class Scale(keras.layers.Layer):
        def __init__(self, factor: float = 2.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x: Any) -> Any:
            return x * self.factor

        def get_config(self) -> Dict[str, Any]:
            return {**super().get_config(), "factor": self.factor}

    inp = keras.Input((3,))
    model = keras.Model(inp, Scale(3.0)(keras.layers.Dense(2)(inp)))
    config = model.get_config()
    assert sorted(config) == ["input_layers", "layers", "name", "output_layers", "trainable"]
    clone = keras.Model.from_config(config, custom_objects={"Scale": Scale})
    assert [type(lay).__name__ for lay in clone.layers] == ["InputLayer", "Dense", "Scale"]
    assert clone.layers[-1].factor == 3.0
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(clone(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_sequential_inputs_and_layer_outputs_extract_features() -> None:
    """The sequential guide's feature extractor:
    ``keras.Model(model.inputs, [layer.output for layer in model.layers])``."""
    L = keras.layers
    base = keras.Sequential([keras.Input((20, 20, 3)), L.Conv2D(4, 5, strides=2),
                             L.Conv2D(4, 3), L.Conv2D(4, 3)])
    extractor = keras.Model(inputs=base.inputs, outputs=[lay.output for lay in base.layers])
    x = np.random.default_rng(1).normal(size=(1, 20, 20, 3)).astype(np.float32)
    feats = extractor(x)
    assert [tuple(f.shape) for f in feats] == [(1, 8, 8, 4), (1, 6, 6, 4), (1, 4, 4, 4)]
    np.testing.assert_allclose(feats[-1].numpy(), base(x).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(AttributeError, match="no defined inputs yet"):
        keras.Sequential([L.Dense(2)]).inputs


def test_subclass_with_positional_constructor_args_is_not_functional() -> None:
    """Only the arguments given to ``Model.__init__`` make a functional model (the
    custom-layers guide's VariationalAutoEncoder(784, 64, 32) is a plain subclass)."""

    class AutoEncoder(keras.Model):
        def __init__(self, original_dim: int, hidden: int, latent: int,
                     name: str = "autoencoder", **kwargs: Any) -> None:
            super().__init__(name=name, **kwargs)
            self.enc = keras.layers.Dense(latent)
            self.dec = keras.layers.Dense(original_dim)

        def call(self, x: Any) -> Any:
            return self.dec(self.enc(x))

    model = AutoEncoder(6, 4, 2)
    assert type(model).__name__ == "AutoEncoder" and model.name == "autoencoder"
    assert model(np.ones((3, 6), np.float32)).shape == (3, 6)
    from tapeflow.keras.models.functional import Functional

    assert not isinstance(model, Functional)


def test_dtype_given_as_tf_enum_value() -> None:
    """TF reads integer dtypes as its DataType enum: tf.zeros(1, 1) is float32 (the
    custom-layers guide writes exactly that)."""
    assert tf.zeros(1, 1).dtype == tf.float32
    assert tf.as_dtype(9) == tf.int64
    with pytest.raises(TypeError):
        tf.zeros(1, 7)


def test_fit_without_trainable_weights_warns_and_runs() -> None:
    """The custom-layers guide fits a model made of one add_loss layer: Keras 3 warns
    "The model does not have any trainable weights." and goes on; the loss is reported."""

    class ActivityRegularization(keras.layers.Layer):
        def call(self, inputs: Any) -> Any:
            self.add_loss(0.01 * tf.reduce_sum(inputs))
            return inputs

    inp = keras.Input((3,))
    model = keras.Model(inp, ActivityRegularization()(inp))
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((2, 3), np.float32)
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        history = model.fit(x, np.zeros((2, 3), np.float32), verbose=0)
    assert history.history["loss"][0] == pytest.approx(1.0 + 0.06, rel=1e-5)


def test_summary_of_a_branching_functional_model_has_connected_to(
        capsys: pytest.CaptureFixture) -> None:
    """A residual block: Keras 3.15 adds the "Connected to" column and wraps cells as
    rich does (the expected text is the peer's output for this model)."""
    L = keras.layers
    x = keras.Input((8, 8, 3), name="img")
    h = L.Conv2D(4, 3, padding="same", name="c1")(x)
    y = L.Conv2D(4, 3, padding="same", name="c2")(h)
    z = L.add([h, y], name="add")
    model = keras.Model(x, L.Dense(2, name="d")(L.GlobalAveragePooling2D(name="gap")(z)),
                        name="res")
    model.summary()
    assert capsys.readouterr().out == (
        'Model: "res"\n'
        "┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓\n"
        "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃\n"
        "┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩\n"
        "│ img (InputLayer)    │ (None, 8, 8, 3)   │          0 │ -                 │\n"
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
        "│ c1 (Conv2D)         │ (None, 8, 8, 4)   │        112 │ img[0][0]         │\n"
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
        "│ c2 (Conv2D)         │ (None, 8, 8, 4)   │        148 │ c1[0][0]          │\n"
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
        "│ add (Add)           │ (None, 8, 8, 4)   │          0 │ c1[0][0],         │\n"
        "│                     │                   │            │ c2[0][0]          │\n"
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
        "│ gap                 │ (None, 4)         │          0 │ add[0][0]         │\n"
        "│ (GlobalAveragePool… │                   │            │                   │\n"
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
        "│ d (Dense)           │ (None, 2)         │         10 │ gap[0][0]         │\n"
        "└─────────────────────┴───────────────────┴────────────┴───────────────────┘\n"
        " Total params: 270 (1.05 KB)\n"
        " Trainable params: 270 (1.05 KB)\n"
        " Non-trainable params: 0 (0.00 B)\n")
    chain_in = keras.Input((4,), name="a")
    chain = keras.Model(chain_in, L.Dense(2, name="dd")(L.Dense(3, name="d1")(chain_in)))
    chain.summary()
    assert "Connected to" not in capsys.readouterr().out  # a plain chain: three columns
