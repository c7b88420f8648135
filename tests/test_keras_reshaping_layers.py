"""Keras 3's reshaping layers (ZeroPadding/Cropping/UpSampling 1D-3D, Permute,
RepeatVector, Flatten), SpatialDropout1D/2D/3D, the global pooling layers and Lambda.

Two kinds of reference: numpy (outputs, and gradients as the adjoint of the layer's
numpy map), and what real Keras 3.15 + TensorFlow 2.21 gives for the cases of
tests/fixtures/keras_reshaping/cases.py (configs, errors, shapes, outputs, gradients
and a Keras-saved model), recorded by make_reference.py there.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras
from tapeflow.keras.saving import serialization_lib

FIXTURES = Path(__file__).parent / "fixtures" / "keras_reshaping"
sys.path.insert(0, str(FIXTURES))
from cases import (  # noqa: E402
    CALL_ERRORS,
    CONSTRUCT,
    EAGER,
    SHAPES,
    keras_message,
    make_input,
    make_weights,
)

REFERENCE = json.loads((FIXTURES / "reference.json").read_text())
ARRAYS = dict(np.load(FIXTURES / "reference.npz"))
L = keras.layers

pytestmark = pytest.mark.filterwarnings("ignore:h5py is not installed:UserWarning")


@keras.saving.register_keras_serializable(package="Pk")
def add_one(x: Any) -> Any:
    return x + 1.0


def _norm(message: str) -> str:
    """Error text without auto-numbered layer names and TF's op-location prefix."""
    message = re.sub(r"layer '[a-z_0-9]+'", "layer 'L'", message)
    message = re.sub(r"\{\{function_node [^}]*\}\} ", "", message)
    return re.sub(r" \[Op:\w+\]( name:)?$", "", message).strip()


def _grad(
    layer: Callable[..., Any], x: np.ndarray, w: np.ndarray, **kw: Any
) -> np.ndarray:
    """d(sum(layer(x) * w))/dx through a GradientTape."""
    xv = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y = layer(xv, **kw)
        loss = tf.reduce_sum(y * tf.constant(w.astype(y.dtype.as_numpy_dtype)))
    return tape.gradient(loss, xv).numpy()


def _adjoint(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """The gradient of sum(f(x) * w) for a linear numpy map f: f's adjoint applied to w,
    built column by column from unit inputs."""
    flat = np.zeros(x.size, np.float64)
    for i in range(x.size):
        e = np.zeros(x.size, np.float64)
        e[i] = 1.0
        flat[i] = np.sum(f(e.reshape(x.shape)) * w)
    return flat.reshape(x.shape)


# ---------------------------------------------------------------------------------
# Against real Keras (fixtures)
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "i", range(len(CONSTRUCT)), ids=lambda i: f"{CONSTRUCT[i][0]}-{i}"
)
def test_constructor_config_or_error_as_keras(i: int) -> None:
    name, kwargs = CONSTRUCT[i]
    want = REFERENCE["construct"][i]
    if "error" in want:
        with pytest.raises(Exception) as info:
            getattr(L, name)(**kwargs)
        assert type(info.value).__name__ == want["error"]
        assert keras_message(info.value) == want["message"]
        return
    layer = getattr(L, name)(**kwargs)
    config = layer.get_config()
    assert config.pop("name") == layer.name
    assert json.loads(json.dumps(config)) == want["config"]
    # from_config gives the same layer back
    again = type(layer).from_config(layer.get_config())
    assert again.get_config() == layer.get_config()


@pytest.mark.parametrize("i", range(len(SHAPES)), ids=lambda i: f"{SHAPES[i][0]}-{i}")
def test_output_shapes_as_keras(i: int) -> None:
    name, kwargs, shape = SHAPES[i]
    want = REFERENCE["shapes"][i]
    cos = want["compute_output_shape"]
    if isinstance(cos, dict):
        with pytest.raises(Exception) as info:
            getattr(L, name)(**kwargs).compute_output_shape(shape)
        assert type(info.value).__name__ == cos["error"]
    else:
        got = getattr(L, name)(**kwargs).compute_output_shape(shape)
        assert list(got) == cos
    sym = want["symbolic"]
    if "error" in sym:
        with pytest.raises(Exception) as info:
            getattr(L, name)(**kwargs)(keras.Input(batch_shape=shape))
        assert type(info.value).__name__ == sym["error"]
        assert _norm(keras_message(info.value)) == _norm(sym["message"])
    else:
        out = getattr(L, name)(**kwargs)(keras.Input(batch_shape=shape))
        assert list(out.shape) == sym["shape"]
        assert out.dtype == sym["dtype"]


@pytest.mark.parametrize("i", range(len(EAGER)), ids=lambda i: f"{EAGER[i][0]}-{i}")
def test_outputs_and_gradients_as_keras(i: int) -> None:
    name, kwargs, shape, call_kwargs, dtype = EAGER[i]
    want = REFERENCE["eager"][i]
    x = make_input(shape, dtype)
    layer = getattr(L, name)(**kwargs)
    kw = dict(call_kwargs)
    if "mask" in kw:
        kw["mask"] = np.asarray(kw["mask"], bool)
    y = layer(x, **kw)
    assert y.dtype.name == want["dtype"]
    assert list(y.shape) == want["shape"]
    tol = 2e-6  # resizing rounds in float32 in another order than TF's kernel
    np.testing.assert_allclose(y.numpy(), ARRAYS[f"y{i}"], rtol=tol, atol=tol)
    if f"g{i}" in ARRAYS:
        w = make_weights(tuple(y.shape))
        np.testing.assert_allclose(
            _grad(layer, x, w, **kw), ARRAYS[f"g{i}"], rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize(
    "i", range(len(CALL_ERRORS)), ids=lambda i: f"{CALL_ERRORS[i][0]}-{i}"
)
def test_call_errors_as_keras(i: int) -> None:
    name, kwargs, shape = CALL_ERRORS[i]
    want = REFERENCE["call_errors"][i]
    with pytest.raises(Exception) as info:
        getattr(L, name)(**kwargs)(make_input(shape, "float32"))
    assert type(info.value).__name__ == want["error"]
    if want["error"] == "ValueError":
        assert _norm(keras_message(info.value)) == _norm(want["message"])


def test_loads_a_model_saved_by_keras(tmp_path: Path) -> None:
    pytest.importorskip("h5py")
    model = keras.models.load_model(FIXTURES / "model.keras")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[:5] == [
        "ZeroPadding2D",
        "Cropping2D",
        "UpSampling2D",
        "SpatialDropout2D",
        "Permute",
    ]
    assert "Lambda" in kinds and model.layers[kinds.index("Lambda")].function is add_one
    np.testing.assert_allclose(
        model.predict(ARRAYS["model_x"], verbose=0),
        ARRAYS["model_y"],
        rtol=1e-5,
        atol=1e-5,
    )
    # and through tapeflow's own save/load
    path = tmp_path / "again.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(
        again.predict(ARRAYS["model_x"], verbose=0),
        ARRAYS["model_y"],
        rtol=1e-5,
        atol=1e-5,
    )


# ---------------------------------------------------------------------------------
# Against numpy
# ---------------------------------------------------------------------------------
def test_zero_padding_and_cropping_match_numpy_with_adjoint_gradients() -> None:
    x = make_input((2, 3, 4, 2), "float32")
    cases = [
        (
            L.ZeroPadding2D(((1, 2), (0, 3))),
            lambda a: np.pad(a, ((0, 0), (1, 2), (0, 3), (0, 0))),
        ),
        (
            L.ZeroPadding2D(1, data_format="channels_first"),
            lambda a: np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1))),
        ),
        (L.Cropping2D(((1, 0), (1, 2))), lambda a: a[:, 1:, 1:-2, :]),
        (
            L.Cropping2D(((0, 1), (0, 0)), data_format="channels_first"),
            lambda a: a[:, :, :-1, :],
        ),
    ]
    for layer, ref in cases:
        y = layer(x)
        np.testing.assert_array_equal(y.numpy(), ref(x))
        w = make_weights(tuple(y.shape))
        np.testing.assert_allclose(_grad(layer, x, w), _adjoint(ref, x, w), atol=1e-6)
    v = make_input((1, 3, 2, 4, 2), "float32")
    np.testing.assert_array_equal(
        L.ZeroPadding3D((1, 0, 2))(v).numpy(),
        np.pad(v, ((0, 0), (1, 1), (0, 0), (2, 2), (0, 0))),
    )
    np.testing.assert_array_equal(
        L.Cropping3D(((1, 1), (0, 1), (2, 0)))(v).numpy(), v[:, 1:-1, :-1, 2:, :]
    )
    s = make_input((2, 6, 3), "float32")
    np.testing.assert_array_equal(
        L.ZeroPadding1D((0, 2))(s).numpy(), np.pad(s, ((0, 0), (0, 2), (0, 0)))
    )
    np.testing.assert_array_equal(L.Cropping1D((2, 0))(s).numpy(), s[:, 2:, :])


def test_upsampling_nearest_permute_repeat_vector_match_numpy() -> None:
    x = make_input((2, 3, 2, 2), "float32")
    up = L.UpSampling2D((2, 3))
    ref = lambda a: np.repeat(np.repeat(a, 2, axis=1), 3, axis=2)  # noqa: E731
    y = up(x)
    np.testing.assert_array_equal(y.numpy(), ref(x))
    w = make_weights(tuple(y.shape))
    np.testing.assert_allclose(_grad(up, x, w), _adjoint(ref, x, w), atol=1e-6)
    np.testing.assert_array_equal(
        L.UpSampling1D(3)(x[:, :, :, 0]).numpy(), np.repeat(x[:, :, :, 0], 3, axis=1)
    )
    v = make_input((1, 2, 2, 2, 3), "float32")
    np.testing.assert_array_equal(
        L.UpSampling3D((1, 2, 3), data_format="channels_first")(v).numpy(),
        np.repeat(np.repeat(np.repeat(v, 1, axis=2), 2, axis=3), 3, axis=4),
    )
    np.testing.assert_array_equal(
        L.Permute((3, 1, 2))(x).numpy(), x.transpose(0, 3, 1, 2)
    )
    r = make_input((2, 4), "float32")
    rv = L.RepeatVector(3)
    np.testing.assert_array_equal(rv(r).numpy(), np.repeat(r[:, None, :], 3, axis=1))
    w = make_weights((2, 3, 4))
    np.testing.assert_allclose(_grad(rv, r, w), w.sum(axis=1), atol=1e-6)


def _bilinear_numpy(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """TF's ResizeBilinear with half-pixel centers, written out directly."""
    n, h, w, c = x.shape
    out = np.zeros((n, out_h, out_w, c), np.float64)
    for i in range(out_h):
        fy = (i + 0.5) * h / out_h - 0.5
        y0 = int(np.floor(fy))
        dy = fy - y0
        ya, yb = min(max(y0, 0), h - 1), min(max(y0 + 1, 0), h - 1)
        for j in range(out_w):
            fx = (j + 0.5) * w / out_w - 0.5
            x0 = int(np.floor(fx))
            dx = fx - x0
            xa, xb = min(max(x0, 0), w - 1), min(max(x0 + 1, 0), w - 1)
            top = x[:, ya, xa] * (1 - dx) + x[:, ya, xb] * dx
            bottom = x[:, yb, xa] * (1 - dx) + x[:, yb, xb] * dx
            out[:, i, j] = top * (1 - dy) + bottom * dy
    return out


def test_bilinear_upsampling_matches_half_pixel_formula_and_its_adjoint() -> None:
    x = make_input((2, 3, 4, 2), "float32")
    layer = L.UpSampling2D((3, 2), interpolation="bilinear")
    ref = lambda a: _bilinear_numpy(a, 9, 8)  # noqa: E731
    y = layer(x)
    np.testing.assert_allclose(y.numpy(), ref(x), rtol=1e-6, atol=1e-6)
    w = make_weights(tuple(y.shape))
    np.testing.assert_allclose(
        _grad(layer, x, w), _adjoint(ref, x, w), rtol=1e-5, atol=1e-5
    )
    cf = L.UpSampling2D((3, 2), data_format="channels_first", interpolation="bilinear")
    np.testing.assert_allclose(
        cf(x.transpose(0, 3, 1, 2)).numpy(),
        ref(x).transpose(0, 3, 1, 2),
        rtol=1e-6,
        atol=1e-6,
    )


def test_global_pooling_matches_numpy_with_gradients() -> None:
    x = make_input((2, 3, 4, 5), "float32")
    for cls, fn in (
        (L.GlobalAveragePooling2D, np.mean),
        (L.GlobalMaxPooling2D, np.max),
    ):
        for keepdims in (False, True):
            for fmt, axes in (("channels_last", (1, 2)), ("channels_first", (2, 3))):
                layer = cls(data_format=fmt, keepdims=keepdims)
                np.testing.assert_allclose(
                    layer(x).numpy(),
                    fn(x, axis=axes, keepdims=keepdims),
                    rtol=1e-6,
                    atol=1e-6,
                )
    w = make_weights((2, 5))
    g = _grad(L.GlobalAveragePooling2D(), x, w)
    np.testing.assert_allclose(
        g, np.broadcast_to(w[:, None, None, :] / 12, x.shape), rtol=1e-6
    )
    g = _grad(L.GlobalMaxPooling2D(), x, w)
    flat = x.reshape(2, 12, 5)
    hit = flat == flat.max(axis=1, keepdims=True)
    np.testing.assert_allclose(g, (hit * w[:, None, :]).reshape(x.shape), rtol=1e-6)
    v = make_input((2, 2, 3, 2, 3), "float32")
    np.testing.assert_allclose(L.GlobalMaxPooling3D()(v).numpy(), v.max(axis=(1, 2, 3)))
    np.testing.assert_allclose(
        L.GlobalAvgPool3D(data_format="channels_first")(v).numpy(),
        v.mean(axis=(2, 3, 4)),
        rtol=1e-6,
        atol=1e-6,
    )
    s = make_input((2, 5, 3), "float32")
    np.testing.assert_allclose(L.GlobalMaxPool1D()(s).numpy(), s.max(axis=1))
    np.testing.assert_allclose(
        L.GlobalAvgPool1D()(s).numpy(), s.mean(axis=1), rtol=1e-6
    )


def test_global_average_pooling_1d_mask() -> None:
    x = make_input((2, 4, 3), "float32")
    mask = np.array([[1, 0, 1, 1], [0, 1, 0, 0]], bool)
    layer = L.GlobalAveragePooling1D()
    want = (x * mask[:, :, None]).sum(1) / mask.sum(1)[:, None]
    np.testing.assert_allclose(layer(x, mask=mask).numpy(), want, rtol=1e-6)
    w = make_weights((2, 3))
    g = _grad(layer, x, w, mask=mask)
    np.testing.assert_allclose(
        g, mask[:, :, None] * w[:, None, :] / mask.sum(1)[:, None, None], rtol=1e-6
    )
    assert layer.supports_masking and layer.compute_mask(x, mask) is None
    cf = L.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)
    np.testing.assert_allclose(
        cf(x.transpose(0, 2, 1), mask=mask).numpy()[:, :, 0], want, rtol=1e-6
    )
    assert np.isnan(layer(x, mask=np.zeros((2, 4), bool)).numpy()).all()  # as Keras


def test_aliases_are_the_same_classes() -> None:
    assert L.GlobalAvgPool1D is L.GlobalAveragePooling1D
    assert L.GlobalAvgPool2D is L.GlobalAveragePooling2D
    assert L.GlobalAvgPool3D is L.GlobalAveragePooling3D
    assert L.GlobalMaxPool1D is L.GlobalMaxPooling1D
    assert L.GlobalMaxPool2D is L.GlobalMaxPooling2D
    assert L.GlobalMaxPool3D is L.GlobalMaxPooling3D
    assert (
        serialization_lib.serialize_keras_object(L.GlobalAvgPool2D())["class_name"]
        == "GlobalAveragePooling2D"
    )


# ---------------------------------------------------------------------------------
# Flatten
# ---------------------------------------------------------------------------------
def test_flatten_channels_first_empty_batch_and_unknown_dims() -> None:
    x = make_input((2, 3, 4, 5), "float32")
    cf = L.Flatten(data_format="channels_first")
    np.testing.assert_array_equal(cf(x).numpy(), x.transpose(0, 2, 3, 1).reshape(2, 60))
    w = make_weights((2, 60))
    np.testing.assert_allclose(
        _grad(cf, x, w), w.reshape(2, 4, 5, 3).transpose(0, 3, 1, 2), atol=1e-6
    )
    assert cf.get_config()["data_format"] == "channels_first"
    assert L.Flatten()(np.zeros((0, 3, 4), np.float32)).shape == (0, 12)
    assert L.Flatten()(np.zeros((3,), np.float32)).shape == (3, 1)
    assert L.Flatten.from_config(cf.get_config()).data_format == "channels_first"
    # a functional model with an unknown length: the flattened dim is unknown too
    inp = keras.Input((None, 3))
    out = L.Flatten()(inp)
    assert out.shape == (None, None)
    model = keras.Model(inp, out)
    assert model(np.ones((2, 5, 3), np.float32)).shape == (2, 15)
    assert model(np.ones((1, 2, 3), np.float32)).shape == (1, 6)


def test_unknown_dims_flow_through_a_functional_model() -> None:
    inp = keras.Input((None, 4))
    h = L.ZeroPadding1D((2, 1))(inp)
    h = L.Cropping1D((1, 1))(h)
    h = L.UpSampling1D(2)(h)
    assert h.shape == (None, None, 4)
    out = L.Dense(2)(L.GlobalMaxPooling1D()(h))
    model = keras.Model(inp, out)
    for steps in (1, 6):
        x = make_input((3, steps, 4), "float32")
        ref = np.repeat(np.pad(x, ((0, 0), (2, 1), (0, 0)))[:, 1:-1], 2, axis=1).max(
            axis=1
        )
        np.testing.assert_allclose(
            model(x).numpy(),
            ref @ model.layers[-1].kernel.numpy() + model.layers[-1].bias.numpy(),
            rtol=1e-5,
            atol=1e-6,
        )


# ---------------------------------------------------------------------------------
# SpatialDropout
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls,shape,fmt",
    [
        (L.SpatialDropout1D, (4, 6, 8), None),
        (L.SpatialDropout2D, (4, 3, 3, 8), "channels_last"),
        (L.SpatialDropout2D, (4, 8, 3, 3), "channels_first"),
        (L.SpatialDropout3D, (4, 2, 2, 2, 8), "channels_last"),
        (L.SpatialDropout3D, (4, 8, 2, 2, 2), "channels_first"),
    ],
)
def test_spatial_dropout_drops_whole_channels(cls: Any, shape: tuple, fmt: Any) -> None:
    tf.random.set_seed(3)
    layer = cls(0.5) if fmt is None else cls(0.5, data_format=fmt)
    x = np.abs(make_input(shape, "float32")) + 1.0
    for training in (None, False, 0):
        np.testing.assert_array_equal(layer(x, training=training).numpy(), x)
    y = layer(x, training=True).numpy()
    channel_axis = 1 if fmt == "channels_first" else len(shape) - 1
    spatial = tuple(a for a in range(1, len(shape)) if a != channel_axis)
    kept = (y != 0).all(axis=spatial)
    dropped = (y == 0).all(axis=spatial)
    assert (kept | dropped).all()  # each (sample, channel) all kept or all dropped
    assert 0 < dropped.mean() < 1
    keep = np.expand_dims(kept, spatial)
    np.testing.assert_allclose(y, np.where(keep, x * 2.0, 0.0), rtol=1e-6)
    # the gradient is the same mask, scaled
    xv = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        out = layer(xv, training=True)
    g = tape.gradient(out, xv).numpy()
    y = out.numpy()
    np.testing.assert_allclose(g, np.where(y != 0, 2.0, 0.0))


def test_spatial_dropout_config_as_keras_and_in_a_saved_model(tmp_path: Path) -> None:
    layer = L.SpatialDropout2D(0.25, data_format="channels_first", seed=7, name="sd")
    assert layer.get_config() == {
        "rate": 0.25,
        "seed": 7,
        "name": "sd",
        "dtype": "float32",
        "data_format": "channels_first",
    }
    again = L.SpatialDropout2D.from_config(layer.get_config())
    assert (again.rate, again.seed, again.data_format) == (0.25, 7, "channels_first")
    assert (
        L.SpatialDropout1D(1.0)(np.ones((1, 2, 3), np.float32), training=True)
        .numpy()
        .sum()
        == 0
    )


# ---------------------------------------------------------------------------------
# Configs and saving
# ---------------------------------------------------------------------------------
def _all_layers() -> Dict[str, Any]:
    return {
        "zp1": L.ZeroPadding1D((1, 2)),
        "zp2": L.ZeroPadding2D(((1, 0), (2, 1))),
        "zp3": L.ZeroPadding3D(1, data_format="channels_first"),
        "c1": L.Cropping1D((0, 1)),
        "c2": L.Cropping2D(1, data_format="channels_first"),
        "c3": L.Cropping3D((0, 1, 0)),
        "u1": L.UpSampling1D(3),
        "u2": L.UpSampling2D((1, 2), interpolation="bilinear"),
        "u3": L.UpSampling3D(2),
        "p": L.Permute((2, 1)),
        "rv": L.RepeatVector(2),
        "sd1": L.SpatialDropout1D(0.1),
        "sd3": L.SpatialDropout3D(0.2, data_format="channels_first"),
        "gap1": L.GlobalAveragePooling1D(keepdims=True),
        "gmp3": L.GlobalMaxPooling3D(data_format="channels_first"),
        "f": L.Flatten(data_format="channels_first"),
    }


def test_get_config_from_config_round_trips_for_every_layer() -> None:
    for key, layer in _all_layers().items():
        config = layer.get_config()
        again = type(layer).from_config(json.loads(json.dumps(config)))
        assert again.get_config() == config, key
        ser = serialization_lib.serialize_keras_object(layer)
        assert (
            ser["module"] == "keras.layers"
            and ser["class_name"] == type(layer).__name__
        )
        copy = serialization_lib.deserialize_keras_object(json.loads(json.dumps(ser)))
        assert type(copy) is type(layer) and copy.get_config() == config, key


@pytest.mark.parametrize("weights", ["h5", "npz"])
def test_models_of_these_layers_save_and_load(
    tmp_path: Path, weights: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if weights == "h5":
        pytest.importorskip("h5py")
    else:
        monkeypatch.setitem(sys.modules, "h5py", None)
    image = keras.Sequential(
        [
            keras.Input((5, 4, 3)),
            L.ZeroPadding2D(((1, 0), (0, 2))),
            L.Cropping2D(((0, 1), (1, 0)), data_format="channels_last"),
            L.UpSampling2D((2, 1), interpolation="bilinear"),
            L.SpatialDropout2D(0.3),
            L.Permute((2, 1, 3)),
            L.GlobalMaxPooling2D(keepdims=True),
            L.Flatten(data_format="channels_first"),
            L.RepeatVector(3),
            L.UpSampling1D(2),
            L.ZeroPadding1D(1),
            L.Cropping1D((1, 0)),
            L.SpatialDropout1D(0.2),
            L.Lambda(add_one, output_shape=(7, 3)),
            L.GlobalAveragePooling1D(),
            L.Dense(2),
        ]
    )
    inp = keras.Input((2, 3, 4, 3))
    h = L.ZeroPadding3D(1)(inp)
    h = L.Cropping3D(((1, 0), (0, 1), (1, 1)))(h)
    h = L.UpSampling3D((1, 2, 1))(h)
    h = L.SpatialDropout3D(0.1)(h)
    volume = keras.Model(inp, L.Dense(2)(L.GlobalAveragePooling3D()(h)))
    for model, shape in ((image, (2, 5, 4, 3)), (volume, (2, 2, 3, 4, 3))):
        x = make_input(shape, "float32")
        path = tmp_path / "m.keras"
        model.save(path)
        loaded = keras.models.load_model(path)
        assert [type(a).__name__ for a in loaded.layers] == [
            type(b).__name__ for b in model.layers
        ]
        for a, b in zip(loaded.layers, model.layers):
            assert a.get_config() == b.get_config()
        np.testing.assert_allclose(
            loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6
        )


# ---------------------------------------------------------------------------------
# Lambda
# ---------------------------------------------------------------------------------
def test_lambda_calls_with_arguments_mask_and_training() -> None:
    x = make_input((2, 3), "float32")
    layer = L.Lambda(lambda t, scale=1.0: t * scale, arguments={"scale": 3.0})
    np.testing.assert_allclose(layer(x).numpy(), x * 3, rtol=1e-6)
    w = make_weights((2, 3))
    np.testing.assert_allclose(_grad(layer, x, w), 3 * w, rtol=1e-6)
    seen = {}

    def fn(t, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return t

    L.Lambda(fn)(x, training=True)
    assert seen == {"mask": None, "training": True}
    masked = L.Lambda(lambda t: t, mask=lambda i, m: i > 0)
    assert masked.supports_masking and not layer.supports_masking
    np.testing.assert_array_equal(
        masked.compute_mask(tf.constant([1.0, -1.0])).numpy(), [True, False]
    )
    assert L.Lambda(lambda t: t, mask=np.array([True])).compute_mask(None).tolist() == [
        True
    ]
    with pytest.raises(TypeError, match="unsupported callable"):
        L.Lambda(5)


def test_lambda_output_shapes() -> None:
    inp = keras.Input((3,))
    assert L.Lambda(lambda t: t[:, :2])(inp).shape == (None, 2)
    assert L.Lambda(lambda t: t, output_shape=(7,))(inp).shape == (None, 7)
    assert L.Lambda(lambda t: t, output_shape=lambda s: (s[0], 9))(inp).shape == (
        None,
        9,
    )
    assert L.Lambda(lambda t: t[:, :2]).compute_output_shape((None, 3)) == (None, 2)
    assert L.Lambda(lambda t: t, output_shape=(5, 2)).compute_output_shape((2, 3)) == (
        2,
        5,
        2,
    )
    assert L.Lambda(lambda t: t, output_shape=[5, 2]).compute_output_shape((2, 3)) == (
        2,
        5,
        2,
    )


def test_lambda_config_of_a_registered_function_is_keras_own() -> None:
    layer = L.Lambda(
        add_one,
        output_shape=(4,),
        arguments={"scale": np.float32(2.0)},
        mask=np.array([True, False]),
    )
    config = json.loads(
        json.dumps(serialization_lib.serialize_keras_object(layer.get_config()))
    )
    config.pop("name")
    assert config == REFERENCE["lambda_registered"]
    again = L.Lambda.from_config(layer.get_config())
    assert again.function is add_one and again._output_shape == (4,)
    assert again.arguments == {"scale": 2.0}
    np.testing.assert_array_equal(again.mask, [True, False])


def test_lambda_named_functions_need_registration_or_custom_objects() -> None:
    def scale(t, factor=2.0):
        return t * factor

    layer = L.Lambda(scale, arguments={"factor": np.arange(3.0)})
    config = layer.get_config()
    assert config["function"] == {
        "module": "builtins",
        "class_name": "function",
        "config": "scale",
        "registered_name": "function",
    }
    assert config["arguments"] == {
        "factor": {
            "class_name": "__numpy__",
            "config": {"value": [0.0, 1.0, 2.0], "dtype": "float64"},
        }
    }
    with pytest.raises(ValueError, match="scale"):
        L.Lambda.from_config(config)
    again = L.Lambda.from_config(config, custom_objects={"scale": scale})
    assert again.function is scale
    np.testing.assert_array_equal(again.arguments["factor"], [0.0, 1.0, 2.0])
    assert L.Lambda(keras.activations.relu).get_config()["function"]["config"] == "relu"
    assert (
        L.Lambda.from_config(L.Lambda(keras.activations.relu).get_config()).function
        is keras.activations.relu
    )


_LAMBDA_REFUSED = (
    "Requested the deserialization of a `Lambda` layer whose `function` is a Python "
    "lambda. This carries a potential risk of arbitrary code execution and thus it is "
    "disallowed by default. If you trust the source of the artifact, you can override "
    "this error by passing `safe_mode=False` to the loading function, or calling "
    "`keras.config.enable_unsafe_deserialization()."
)


def test_lambda_python_lambdas_load_only_outside_safe_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offset = 2.0
    layer = L.Lambda(
        lambda t, a=1.0: t * a + offset, arguments={"a": 3.0}, output_shape=lambda s: s
    )
    config = json.loads(
        json.dumps(serialization_lib.serialize_keras_object(layer.get_config()))
    )
    fn = config["function"]
    assert fn["class_name"] == "__lambda__" and set(fn["config"]) == {
        "code",
        "defaults",
        "closure",
    }
    assert fn["config"]["defaults"] == [1.0] and fn["config"]["closure"] == [2.0]
    assert config["output_shape"]["class_name"] == "__lambda__"
    for kw in ({}, {"safe_mode": True}):
        with pytest.raises(ValueError) as info:
            L.Lambda.from_config(config, **kw)
        assert str(info.value) == _LAMBDA_REFUSED
    x = make_input((2, 3), "float32")
    again = L.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_allclose(again(x).numpy(), x * 3 + 2, rtol=1e-6)
    assert again.compute_output_shape((None, 3)) == (None, 3)
    monkeypatch.setitem(serialization_lib._SAFE_MODE, "value", None)
    keras.config.enable_unsafe_deserialization()
    assert serialization_lib.in_safe_mode() is False
    np.testing.assert_allclose(
        L.Lambda.from_config(config)(x).numpy(), x * 3 + 2, rtol=1e-6
    )
    with pytest.raises(ValueError) as info:  # an explicit safe_mode=True still wins
        L.Lambda.from_config(config, safe_mode=True)
    assert str(info.value) == _LAMBDA_REFUSED


def test_lambda_python_lambdas_never_load_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = keras.Sequential([keras.Input((3,)), L.Lambda(lambda t: t * 2.0)])
    path = tmp_path / "lam.keras"
    model.save(path)  # written as Keras writes it, for Keras (safe_mode=False) to read
    for kw in ({}, {"safe_mode": False}):
        with pytest.raises(ValueError, match="lambda"):
            keras.models.load_model(path, **kw)
    monkeypatch.setitem(serialization_lib._SAFE_MODE, "value", None)
    keras.config.enable_unsafe_deserialization()
    with pytest.raises(ValueError, match="lambda"):
        keras.models.load_model(path)
