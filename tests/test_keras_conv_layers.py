"""Keras 3's convolution and pooling layers (Conv1D/2D/3D, their transposes,
DepthwiseConv1D/2D, SeparableConv1D/2D, MaxPooling/AveragePooling 1D-3D, aliases).

Against what Keras 3.15 + TensorFlow 2.21 give (recorded by
tests/fixtures/conv/make_conv_reference.py): configs, output shapes (computed and
symbolic), outputs with given weights, errors for bad arguments, and two Keras-saved
convnets loaded here (their predictions, and after one more training step, which needs
the optimizer state).
Then behaviour: save/load round trips, a convnet that learns, causal padding,
channels_first against channels_last.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Dict

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras

FIXTURES = Path(__file__).parent / "fixtures" / "conv"
REFERENCE = json.loads((FIXTURES / "conv_reference.json").read_text())
ARRAYS = dict(np.load(FIXTURES / "conv_reference.npz"))
L = keras.layers

pytestmark = pytest.mark.filterwarnings("ignore:h5py is not installed:UserWarning")


def _normalise(obj: Any) -> Any:
    """A config after a JSON round trip, floats at float32 precision (Keras keeps its
    L1 factor as a float32 tensor: 0.01 reads back as 0.009999999776482582)."""
    if isinstance(obj, dict):
        return {k: _normalise(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_normalise(v) for v in obj]
    if isinstance(obj, float):
        return float(np.float32(obj))
    return obj


def _keras_config(config: Dict[str, Any]) -> Dict[str, Any]:
    """Keras's config without what tapeflow's initializers do not have yet: Keras 3.15's
    VarianceScaling family adds ``input_axes``/``output_axes`` (None by default)."""
    out = {}
    for key, value in config.items():
        if isinstance(value, dict) and value.get("module") == "keras.initializers":
            value = {
                **value,
                "config": {
                    k: v
                    for k, v in value["config"].items()
                    if not (k in ("input_axes", "output_axes") and v is None)
                },
            }
        out[key] = value
    return _normalise(out)


def _message(text: str) -> str:
    """An error message with Python's set order (which varies by process) sorted."""

    def sort_set(m: re.Match) -> str:
        return "{" + ", ".join(sorted(m.group(1).split(", "))) + "}"

    return re.sub(r"\{('[a-z]+'(?:, '[a-z]+')*)\}", sort_set, str(text)).strip()


def _shape(s: Any) -> Any:
    return [None if d is None else int(d) for d in s]


# ---- against Keras's fixture ---------------------------------------------------------
@pytest.mark.parametrize(
    "entry", REFERENCE["configs"], ids=lambda e: f"{e['class']}-{len(e['kwargs'])}"
)
def test_get_config_as_keras(entry: Dict[str, Any]) -> None:
    layer = getattr(L, entry["class"])(**entry["kwargs"])
    config = layer.get_config()
    assert config.pop("name") == layer.name
    assert _normalise(json.loads(json.dumps(config))) == _keras_config(entry["config"])
    # from_config (of tapeflow's and of Keras's config) gives the same layer back
    again = type(layer).from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    from_keras = type(layer).from_config(
        {**_keras_config(entry["config"]), "name": "k"}
    )
    assert _normalise(json.loads(json.dumps(from_keras.get_config()))) == _normalise(
        json.loads(json.dumps({**config, "name": "k"}))
    )


@pytest.mark.parametrize(
    "entry", REFERENCE["shapes"], ids=lambda e: f"{e['class']}-{e['input_shape']}"
)
def test_output_shapes_as_keras(entry: Dict[str, Any]) -> None:
    cls, kwargs, shape = (
        getattr(L, entry["class"]),
        entry["kwargs"],
        entry["input_shape"],
    )
    assert (
        _shape(cls(**kwargs).compute_output_shape(tuple(shape)))
        == entry["compute_output_shape"]
    )
    out = cls(**kwargs)(keras.Input(batch_shape=tuple(shape)))
    assert _shape(out.shape) == entry["symbolic"]


@pytest.mark.parametrize(
    "i", range(len(REFERENCE["eager"])), ids=lambda i: REFERENCE["eager"][i]["class"]
)
def test_outputs_as_keras(i: int) -> None:
    """Keras's outputs with the same weights: the padding of transposes with
    output_padding, causal strides, channels_first, groups, dilations."""
    entry = REFERENCE["eager"][i]
    layer = getattr(L, entry["class"])(**entry["kwargs"])
    layer.build(tuple(entry["input_shape"]))
    layer.set_weights([ARRAYS[f"eager{i}.w{j}"] for j in range(len(layer.weights))])
    expected = ARRAYS[f"eager{i}.y"]
    y = layer(ARRAYS[f"eager{i}.x"]).numpy()
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "entry", REFERENCE["keras_errors"], ids=lambda e: f"{e['class']}-{e['kwargs']}"
)
def test_bad_arguments_raise_as_keras(entry: Dict[str, Any]) -> None:
    """Same type and message; tapeflow's pools check `padding` when constructed (Keras's
    only when called)."""
    with pytest.raises(Exception) as info:
        layer = getattr(L, entry["class"])(**entry["kwargs"])
        if entry["input_shape"] is not None:
            layer(keras.Input(batch_shape=tuple(entry["input_shape"])))
    assert type(info.value).__name__ == entry["error"]
    assert _message(info.value) == _message(entry["message"])


def test_aliases_as_keras() -> None:
    for alias, name in REFERENCE["aliases"].items():
        assert getattr(L, alias).__name__ == name, alias


@pytest.mark.parametrize("name", ["convnet", "convnet1d"])
def test_load_keras_convnet(name: str) -> None:
    model = keras.models.load_model(FIXTURES / f"{name}.keras")
    x = (
        [ARRAYS[f"{name}.xa"], ARRAYS[f"{name}.xb"]]
        if name == "convnet1d"
        else ARRAYS[f"{name}.x"]
    )
    np.testing.assert_allclose(
        model.predict(x, verbose=0), ARRAYS[f"{name}.pred"], rtol=1e-5, atol=1e-5
    )
    model.train_on_batch(x, ARRAYS[f"{name}.y"])  # the loaded optimizer state counts
    np.testing.assert_allclose(
        model.predict(x, verbose=0), ARRAYS[f"{name}.next"], rtol=1e-4, atol=1e-4
    )
    names = [type(layer).__name__ for layer in model.layers]
    # (a two-input graph: tapeflow lists its layers in another topological order)
    assert sorted(names) == sorted(REFERENCE["models"][name])
    if name == "convnet":
        assert names == REFERENCE["models"][name]


# ---- save / load ------------------------------------------------------------------
def _every_layer_model() -> Any:
    """Every conv/pool layer class; three inputs (image, sequence, volume)."""
    img, seq, vol = (
        keras.Input((12, 12, 2)),
        keras.Input((16, 3)),
        keras.Input((4, 6, 6, 2)),
    )
    h = L.Conv2D(4, 3, padding="same", activation="relu", groups=2)(img)
    h = L.MaxPool2D(2)(h)
    h = L.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1)(h)
    h = L.DepthwiseConv2D(3, depth_multiplier=2, data_format="channels_first")(h)
    h = L.SeparableConv2D(3, 2, dilation_rate=2)(h)
    h = L.AvgPool2D(2, strides=1, padding="same")(h)
    s = L.Conv1D(4, 3, padding="causal", dilation_rate=2)(seq)
    s = L.SeparableConv1D(4, 2, strides=2)(s)
    s = L.DepthwiseConv1D(2)(s)
    s = L.Conv1DTranspose(2, 3, strides=2)(s)
    s = L.MaxPooling1D(3)(L.AveragePooling1D(2)(s))
    v = L.Conv3D(2, 2, padding="same")(vol)
    v = L.Conv3DTranspose(2, 2, strides=(1, 2, 1))(L.MaxPooling3D((1, 2, 2))(v))
    v = L.AveragePooling3D(2)(v)
    flat = L.Concatenate()([L.Flatten()(h), L.Flatten()(s), L.Flatten()(v)])
    return keras.Model([img, seq, vol], L.Dense(3, activation="softmax")(flat))


def _every_layer_inputs(seed: int, n: int) -> Any:
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(n, *shape)).astype("float32")
        for shape in ((12, 12, 2), (16, 3), (4, 6, 6, 2))
    ]


def test_save_load_round_trip(tmp_path: Path) -> None:
    keras.utils.set_random_seed(5)
    x = _every_layer_inputs(5, 4)
    y = np.eye(3, dtype="float32")[[0, 2, 1, 1]]
    model = _every_layer_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6
    )
    assert [type(a).__name__ for a in loaded.layers] == [
        type(a).__name__ for a in model.layers
    ]
    for a, b in zip(model.layers, loaded.layers):
        assert a.get_config() == b.get_config()
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_weights_have_keras_layouts() -> None:
    def weights(layer: Any, shape: Any) -> Any:
        layer(keras.Input(shape))
        return {w.name: tuple(w.shape) for w in layer.weights}

    assert weights(L.Conv2D(6, (3, 2), groups=3), (8, 8, 9)) == {
        "kernel": (3, 2, 3, 6),
        "bias": (6,),
    }
    assert weights(L.Conv1DTranspose(5, 3), (8, 2)) == {
        "kernel": (3, 5, 2),
        "bias": (5,),
    }
    assert weights(L.DepthwiseConv2D(3, depth_multiplier=2), (8, 8, 3)) == {
        "kernel": (3, 3, 3, 2),
        "bias": (6,),
    }
    assert weights(
        L.SeparableConv1D(4, 3, depth_multiplier=2, use_bias=False), (8, 3)
    ) == {"depthwise_kernel": (3, 3, 2), "pointwise_kernel": (1, 6, 4)}
    assert weights(L.Conv3D(2, 2, data_format="channels_first"), (3, 4, 4, 4)) == {
        "kernel": (2, 2, 2, 3, 2),
        "bias": (2,),
    }


# ---- behaviour ----------------------------------------------------------------------
def _quadrant_data(n: int, seed: int) -> Any:
    """16x16 images of noise with a bright 4x4 square; the class is its quadrant."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.3, size=(n, 16, 16, 1)).astype("float32")
    y = rng.integers(0, 4, n)
    for i, q in enumerate(y):
        r0 = (q // 2) * 8 + rng.integers(0, 5)
        c0 = (q % 2) * 8 + rng.integers(0, 5)
        x[i, r0 : r0 + 4, c0 : c0 + 4, 0] += 2.0
    return x, y


def test_convnet_learns_which_quadrant_is_bright() -> None:
    keras.utils.set_random_seed(0)
    x, y = _quadrant_data(512, 0)
    xt, yt = _quadrant_data(256, 1)
    model = keras.Sequential(
        [
            keras.Input((16, 16, 1)),
            L.Conv2D(8, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.SeparableConv2D(8, 3, padding="same", activation="relu"),
            L.AveragePooling2D(2),
            L.Flatten(),
            L.Dense(4, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    assert time.perf_counter() - start < 10
    accuracy = float(np.mean(np.argmax(model.predict(xt, verbose=0), -1) == yt))
    assert accuracy > 0.95, accuracy


def test_conv1d_causal_padding() -> None:
    """Output t depends only on inputs <= t; equals a valid convolution of the input
    left-padded by (kernel_size - 1) * dilation_rate."""
    keras.utils.set_random_seed(1)
    layer = L.Conv1D(3, 3, padding="causal", dilation_rate=2, bias_initializer="ones")
    x = np.random.default_rng(1).normal(size=(2, 10, 2)).astype("float32")
    y = layer(x).numpy()
    assert y.shape == (2, 10, 3)
    for t in range(10):
        x2 = x.copy()
        x2[:, t:] += 5.0
        y2 = layer(x2).numpy()
        np.testing.assert_array_equal(y2[:, :t], y[:, :t])
        assert np.abs(y2[:, t] - y[:, t]).max() > 1e-3
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    xp = np.pad(x, ((0, 0), (4, 0), (0, 0)))
    expected = sum(xp[:, j * 2 : j * 2 + 10] @ k[j] for j in range(3)) + b
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    # strided causal: Keras's length ceil(n / stride)
    assert L.Conv1D(2, 3, strides=2, padding="causal")(x).shape == (2, 5, 2)


CHANNELS = [
    (
        "Conv1D",
        {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
        (9, 4),
    ),
    (
        "Conv1D",
        {"filters": 4, "kernel_size": 2, "padding": "causal", "groups": 2},
        (7, 4),
    ),
    ("Conv2D", {"filters": 3, "kernel_size": (3, 2), "dilation_rate": 2}, (7, 8, 2)),
    ("Conv3D", {"filters": 2, "kernel_size": 2, "strides": (1, 2, 1)}, (3, 4, 5, 2)),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2}, (5, 3)),
    (
        "Conv2DTranspose",
        {
            "filters": 2,
            "kernel_size": 3,
            "strides": 2,
            "padding": "same",
            "output_padding": 1,
        },
        (4, 5, 3),
    ),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2}, (2, 3, 2, 2)),
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}, (8, 3)),
    ("DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "padding": "same"}, (7, 6, 3)),
    (
        "SeparableConv1D",
        {"filters": 4, "kernel_size": 2, "depth_multiplier": 2},
        (8, 3),
    ),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3, "padding": "same"}, (6, 5, 2)),
    ("MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (9, 2)),
    ("MaxPooling2D", {"pool_size": (2, 3)}, (6, 7, 2)),
    ("MaxPooling3D", {"pool_size": 2, "padding": "same"}, (3, 4, 5, 2)),
    ("AveragePooling1D", {"pool_size": 2}, (9, 3)),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (7, 6, 2)),
    ("AveragePooling3D", {"pool_size": (1, 2, 2), "strides": 1}, (2, 4, 3, 2)),
]


@pytest.mark.parametrize("name,kwargs,shape", CHANNELS, ids=lambda v: str(v)[:30])
def test_channels_first_equals_channels_last(
    name: str, kwargs: Dict[str, Any], shape: Any
) -> None:
    x = np.random.default_rng(2).normal(size=(2, *shape)).astype("float32")
    last = (
        getattr(L, name)(**kwargs, bias_initializer="random_normal")
        if "Pool" not in name
        else getattr(L, name)(**kwargs)
    )
    first = getattr(L, name)(
        **kwargs,
        data_format="channels_first",
        **({"bias_initializer": "random_normal"} if "Pool" not in name else {}),
    )
    x_first = np.moveaxis(x, -1, 1)
    y_last = last(x)
    first.build(x_first.shape)
    first.set_weights(last.get_weights())  # the same layouts in both formats
    y_first = first(x_first)
    np.testing.assert_allclose(
        np.moveaxis(y_first.numpy(), 1, -1), y_last.numpy(), rtol=1e-5, atol=1e-6
    )
    assert tuple(first.compute_output_shape(x_first.shape)) == tuple(y_first.shape)
    assert tuple(last.compute_output_shape(x.shape)) == tuple(y_last.shape)


def test_layers_accept_float64_and_integer_inputs() -> None:
    x = np.arange(2 * 6 * 6 * 2).reshape(2, 6, 6, 2)
    assert L.Conv2D(2, 3, dtype="float64")(x.astype("float32")).dtype == tf.float64
    assert L.MaxPooling2D(dtype="float64")(x.astype("float64")).dtype == tf.float64
    # as Keras: float inputs are cast to the layer's dtype
    assert L.Conv2D(2, 3)(x.astype("float64")).dtype == tf.float32
    assert L.MaxPooling2D()(x.astype("float64")).dtype == tf.float32
    assert L.Conv2D(2, 3)(x).dtype == tf.float32  # (Keras's TF backend refuses ints)


def test_gradients_reach_every_weight() -> None:
    model = _every_layer_model()
    x = [tf.constant(a) for a in _every_layer_inputs(3, 2)]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x) ** 2)
    grads = tape.gradient(loss, model.trainable_weights)
    assert len(grads) == len(model.trainable_weights) > 20
    assert all(g is not None and np.isfinite(g.numpy()).all() for g in grads)
