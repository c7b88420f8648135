"""Keras 3's image preprocessing layers against Keras 3.15 (numbers and configs in
tests/fixtures/image/image_reference.npz, a model in augment_model.keras, both made by
make_image_reference.py with real Keras): outputs with one-point random ranges, the
projective sampler, configs, training/inference behaviour, seeding, models, saving and
Keras's argument errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tapeflow as tf
from tapeflow import keras

HERE = Path(__file__).parent / "fixtures" / "image"
REF = np.load(HERE / "image_reference.npz", allow_pickle=False)
L = keras.layers
AFF = REF["in/aff"]  # (2, 6, 7, 2) float32 in [0, 255)


def _layers() -> dict:
    """make_image_reference.py's layers, made deterministic by one-point ranges."""
    return {
        "rotation": L.RandomRotation((0.1, 0.1), seed=1),
        "rotation_const": L.RandomRotation(
            (-0.2, -0.2), fill_mode="constant", interpolation="nearest", fill_value=3.0
        ),
        "zoom": L.RandomZoom(
            (-0.3, -0.3),
            (0.2, 0.2),
            fill_mode="constant",
            interpolation="nearest",
            fill_value=0.5,
        ),
        "zoom_hw": L.RandomZoom((0.25, 0.25)),
        "translation": L.RandomTranslation((0.2, 0.2), (-0.1, -0.1), fill_mode="wrap"),
        "translation_near": L.RandomTranslation(
            (-0.3, -0.3), (0.4, 0.4), fill_mode="nearest"
        ),
        "brightness": L.RandomBrightness((0.1, 0.1)),
        "brightness_range": L.RandomBrightness((-0.5, -0.5), value_range=(0, 1)),
        "rescaling": L.Rescaling(1 / 127.5, offset=-1),
        "resizing": L.Resizing(4, 5),
        "resizing_crop": L.Resizing(4, 5, crop_to_aspect_ratio=True),
        "resizing_pad": L.Resizing(8, 5, pad_to_aspect_ratio=True, fill_value=0.3),
        "resizing_bicubic": L.Resizing(9, 3, interpolation="bicubic"),
        "center_crop": L.CenterCrop(4, 5),
        "center_crop_up": L.CenterCrop(9, 4),
        "random_crop_up": L.RandomCrop(8, 4),
        "random_crop_equal": L.RandomCrop(6, 3),
    }


def _config(layer) -> dict:  # noqa: ANN001
    return json.loads(json.dumps(layer.get_config()))


def _keras_config(name: str) -> dict:
    return json.loads(str(REF[f"config/{name}"]))


def _same_config(mine: dict, theirs: dict, skip: tuple = ("name",)) -> None:
    assert list(mine) == list(theirs)
    assert {k: v for k, v in mine.items() if k not in skip} == {
        k: v for k, v in theirs.items() if k not in skip
    }


# ---- numbers -------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(_layers()))
def test_layer_outputs_and_configs_match_keras(name: str) -> None:
    layer = _layers()[name]
    out = layer(AFF, training=True)
    assert out.dtype == tf.float32
    want = REF[f"layer/{name}"]
    assert tuple(out.shape) == want.shape
    np.testing.assert_allclose(out.numpy(), want, atol=2e-4, rtol=1e-5)
    seedless = ("name", "seed") if name.startswith("random_crop") else ("name",)
    _same_config(_config(layer), _keras_config(name), seedless)
    # one image (rank 3) gives that image's row of the batch
    np.testing.assert_allclose(
        layer(AFF[1], training=True).numpy(), want[1], atol=2e-4, rtol=1e-5
    )


@pytest.mark.parametrize("transform", ["rotate", "zoom", "shift", "persp", "far"])
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_projective_sampler_matches_keras_affine_transform(
    transform: str, fill_mode: str, interpolation: str
) -> None:
    got = tf.raw_ops.ImageProjectiveTransformV3(
        images=AFF,
        transforms=REF[f"affine_in/{transform}"],
        output_shape=(6, 7),
        fill_value=7.5,
        interpolation=interpolation.upper(),
        fill_mode=fill_mode.upper(),
    )
    np.testing.assert_allclose(
        got.numpy(),
        REF[f"affine/{transform}/{fill_mode}/{interpolation}"],
        atol=2e-3,
        rtol=1e-5,
    )


def test_sampler_gradient_is_the_adjoint() -> None:
    rng = np.random.default_rng(0)
    img = rng.random((1, 3, 4, 1)).astype(np.float32)
    t = REF["affine_in/persp"]
    w = rng.random((1, 3, 4, 1)).astype(np.float32)

    def apply(x):  # noqa: ANN001, ANN202
        return tf.raw_ops.ImageProjectiveTransformV3(
            images=x,
            transforms=t,
            output_shape=(3, 4),
            fill_value=0.0,
            interpolation="BILINEAR",
            fill_mode="CONSTANT",
        )

    x = tf.Variable(img)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(apply(x) * w)
    grad = tape.gradient(loss, x).numpy().reshape(-1)
    basis = np.eye(12, dtype=np.float32).reshape(12, 3, 4, 1)
    columns = np.stack([apply(b[None]).numpy().reshape(-1) for b in basis], axis=1)
    np.testing.assert_allclose(grad, columns.T @ w.reshape(-1), atol=1e-5)


def test_integer_inputs_as_keras() -> None:
    ints = REF["in/int"]
    nearest = L.Resizing(3, 4, interpolation="nearest")(ints)
    assert nearest.dtype == tf.int32
    np.testing.assert_array_equal(nearest.numpy(), REF["layer/resizing_nearest_int"])
    bilinear = L.Resizing(3, 4)(ints)
    assert bilinear.dtype == tf.int32  # rounded and saturated back, as Keras
    np.testing.assert_array_equal(bilinear.numpy(), REF["layer/resizing_int"])
    assert L.RandomFlip()(ints).dtype == tf.float32
    assert L.CenterCrop(2, 2)(ints).dtype == tf.float32
    assert L.Rescaling(0.5)(ints).dtype == tf.float32
    assert L.RandomBrightness(0.2)(ints).dtype == tf.int32
    with pytest.raises(tf.errors.InvalidArgumentError):  # Keras fails the same way
        L.RandomContrast(0.2)(ints)
    assert L.RandomContrast(0.2)(ints, training=False).dtype == tf.int32


def test_contrast_formula() -> None:
    layer = L.RandomContrast(0.5)
    layer._uniform = lambda shape, lo, hi: (
        tf.constant(  # fixed factors, as Keras's helper
            np.array([0.5, 1.4], np.float32).reshape(2, 1, 1, 1)
        )
    )
    want = np.clip(REF["layer/contrast_fn"], 0, 255)
    np.testing.assert_allclose(layer(AFF).numpy(), want, atol=1e-3)


def test_remaining_configs_match_keras() -> None:
    for name, layer in {
        "flip": L.RandomFlip("vertical", seed=3),
        "contrast": L.RandomContrast((0.1, 0.4), value_range=(0, 1)),
        "random_crop": L.RandomCrop(3, 4, seed=11),
    }.items():
        _same_config(_config(layer), _keras_config(name))
    assert L.RandomContrast(0.2).factor == (0, 0.2)
    assert L.RandomBrightness(0.1, value_range=(255, 0)).value_range == [0, 255]
    assert isinstance(L.RandomCrop(2, 2).get_config()["seed"], int)  # Keras draws one
    assert L.RandomRotation(0.1).get_config()["factor"] == (-0.1, 0.1)
    for layer in list(_layers().values()) + [
        L.RandomFlip(seed=2),
        L.RandomContrast(0.3),
    ]:
        clone = type(layer).from_config(layer.get_config())
        assert _config(clone) == _config(layer)
    scaled = L.Rescaling(np.array([1.0, 2.0, 3.0], np.float32), offset=[0.5, 0.5, 0.5])
    cfg = scaled.get_config()
    assert cfg["scale"] == {
        "class_name": "__numpy__",
        "config": {"value": [1.0, 2.0, 3.0], "dtype": "float32"},
    }
    clone = L.Rescaling.from_config(cfg)
    np.testing.assert_allclose(
        clone(np.ones((1, 2, 2, 3), np.float32)).numpy()[0, 0, 0], [1.5, 2.5, 3.5]
    )


# ---- training, seeding, shapes -------------------------------------------------------
AUGMENTERS = [
    lambda: L.RandomFlip(seed=1),
    lambda: L.RandomRotation(0.3, seed=1),
    lambda: L.RandomZoom(0.3, seed=1),
    lambda: L.RandomTranslation(0.3, 0.3, seed=1),
    lambda: L.RandomContrast(0.5, seed=1),
    lambda: L.RandomBrightness(0.3, seed=1),
    lambda: L.RandomCrop(4, 5, seed=1),
]


@pytest.mark.parametrize("make", AUGMENTERS)
def test_bare_call_augments_and_inference_is_identity(make) -> None:  # noqa: ANN001
    layer = make()
    x = np.concatenate([AFF] * 4)  # 8 images: a flip of none of them is unlikely
    outs = [layer(x).numpy() for _ in range(3)]
    assert any(o.shape != x.shape or not np.allclose(o, x) for o in outs)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)


@pytest.mark.parametrize("make", AUGMENTERS)
def test_seed_gives_reproducible_streams(make) -> None:  # noqa: ANN001
    a, b = make(), make()
    for _ in range(3):
        np.testing.assert_array_equal(a(AFF).numpy(), b(AFF).numpy())
    keras.utils.set_random_seed(7)
    c = [
        type(a)(
            **{k: v for k, v in a.get_config().items() if k not in ("name", "seed")}
        )(AFF).numpy()
        for _ in range(2)
    ]
    keras.utils.set_random_seed(7)
    d = [
        type(a)(
            **{k: v for k, v in a.get_config().items() if k not in ("name", "seed")}
        )(AFF).numpy()
        for _ in range(2)
    ]
    for u, v in zip(c, d):
        np.testing.assert_array_equal(u, v)


def test_flips_and_crops_are_flips_and_crops() -> None:
    x = np.concatenate([AFF] * 3)
    for mode, axes in (
        ("horizontal", (2,)),
        ("vertical", (1,)),
        ("horizontal_and_vertical", (1, 2)),
    ):
        out = L.RandomFlip(mode, seed=5)(x).numpy()
        for i in range(len(x)):
            assert np.array_equal(out[i], x[i]) or np.array_equal(
                out[i], np.flip(x[i], [a - 1 for a in axes])
            )
    out = L.RandomCrop(4, 5, seed=3)(x).numpy()
    assert out.shape == (6, 4, 5, 2)
    windows = [x[:, i : i + 4, j : j + 5] for i in range(3) for j in range(3)]
    assert any(np.array_equal(out, w) for w in windows)  # one window for the batch


def test_random_crop_inference_and_symbolic_shapes() -> None:
    layer = L.RandomCrop(4, 5)
    x = np.ones((2, 6, 7, 3), np.float32)
    assert tuple(layer(x, training=False).shape) == (2, 6, 7, 3)  # as Keras
    inp = keras.Input((6, 7, 3))
    assert layer(inp).shape == (None, 4, 5, 3)
    assert L.RandomCrop(4, 5, data_format="channels_first")(
        keras.Input((3, 6, 7))
    ).shape == (None, 3, 4, 5)
    assert L.Resizing(3, 2)(keras.Input((None, None, 3))).shape == (None, 3, 2, 3)
    assert L.RandomRotation(0.1)(keras.Input((None, None, 3))).shape == (
        None,
        None,
        None,
        3,
    )
    assert L.RandomFlip()(keras.Input((6, 7, 3), dtype="int32")).dtype == "float32"


def test_channels_first_equals_channels_last() -> None:
    first = np.transpose(AFF, (0, 3, 1, 2))
    for make in (
        lambda f: L.RandomRotation((0.1, 0.1), data_format=f),
        lambda f: L.RandomZoom((0.2, 0.2), data_format=f),
        lambda f: L.Resizing(3, 9, crop_to_aspect_ratio=True, data_format=f),
        lambda f: L.CenterCrop(4, 3, data_format=f),
        lambda f: L.RandomFlip(seed=2, data_format=f),
        lambda f: L.RandomContrast(0.3, seed=4, data_format=f),
    ):
        last = make("channels_last")(AFF).numpy()
        got = make("channels_first")(first).numpy()
        np.testing.assert_allclose(np.transpose(got, (0, 2, 3, 1)), last, atol=1e-4)


def test_traced_augmentation_draws_new_numbers_each_call() -> None:
    layer = L.RandomRotation(0.4, seed=3)
    fn = tf.function(lambda x: layer(x, training=True))
    outs = {fn(tf.constant(AFF)).numpy().tobytes() for _ in range(4)}
    assert len(outs) == 4


def test_gradients_flow_through_augmentation() -> None:
    x = tf.Variable(AFF / 255.0)
    with tf.GradientTape() as tape:
        y = L.Resizing(4, 4)(
            L.RandomTranslation(0.2, 0.2, seed=1)(L.RandomRotation(0.2, seed=1)(x))
        )
        loss = tf.reduce_sum(y)
    grad = tape.gradient(loss, x)
    assert grad is not None and np.isfinite(grad.numpy()).all() and grad.numpy().any()


# ---- models and saving ---------------------------------------------------------------
def _augmented_model() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input((6, 7, 2)),
            L.Rescaling(1 / 255.0),
            L.RandomFlip("horizontal", seed=1),
            L.RandomRotation(0.1, seed=2),
            L.RandomZoom(0.1, seed=3),
            L.RandomTranslation(0.1, 0.1, seed=4),
            L.RandomContrast(0.2, seed=5),
            L.RandomBrightness(0.1, value_range=(0, 1), seed=6),
            L.RandomCrop(5, 6, seed=7),
            L.Resizing(4, 4),
            L.CenterCrop(3, 3),
            L.Flatten(),
            L.Dense(2),
        ]
    )


def test_fit_predict_with_augmentation() -> None:
    keras.utils.set_random_seed(0)
    model = _augmented_model()
    model.compile("adam", keras.losses.MeanSquaredError())
    x = np.concatenate([AFF] * 8)
    y = np.random.default_rng(0).random((16, 2)).astype(np.float32)
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert (
        len(history.history["loss"]) == 3 and np.isfinite(history.history["loss"]).all()
    )
    a = model.predict(x, verbose=0)
    np.testing.assert_array_equal(a, model.predict(x, verbose=0))  # augmentations off
    tail = keras.Sequential(
        [
            L.Rescaling(1 / 255.0),
            L.Resizing(4, 4),
            L.CenterCrop(3, 3),
            L.Flatten(),
            L.Dense(2),
        ]
    )
    tail.build((None, 6, 7, 2))
    tail.layers[-1].set_weights(model.layers[-1].get_weights())
    # RandomCrop passes its input through at inference, as Keras's: 6x7 -> 4x4 -> 3x3
    np.testing.assert_allclose(a, tail.predict(x, verbose=0), atol=1e-5)
    model.evaluate(x, y, verbose=0)


def test_keras_file_round_trip(tmp_path: Path) -> None:
    model = _augmented_model()
    path = tmp_path / "aug.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    for a, b in zip(model.layers, loaded.layers):
        assert type(a) is type(b) and _config(a) == _config(b)
    np.testing.assert_allclose(
        loaded.predict(AFF, verbose=0), model.predict(AFF, verbose=0), atol=1e-6
    )


def test_loads_a_keras_made_file() -> None:
    model = keras.models.load_model(HERE / "augment_model.keras")
    assert [type(layer).__name__ for layer in model.layers][:3] == [
        "Rescaling",
        "RandomFlip",
        "RandomRotation",
    ]
    np.testing.assert_allclose(
        model.predict(AFF, verbose=0), REF["model/pred"], atol=1e-5
    )


# ---- errors --------------------------------------------------------------------------
def test_argument_errors_as_keras() -> None:
    factor = r"The `factor` argument should be a number \(or a list of two numbers\)"
    with pytest.raises(ValueError, match=factor + r" in the range \[-1, 1\]"):
        L.RandomRotation(1.5)
    with pytest.raises(ValueError, match=factor):
        L.RandomRotation((0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match=factor):
        L.RandomBrightness("a")
    with pytest.raises(ValueError, match=factor + r" in the range \[0, 1\]"):
        L.RandomContrast(-0.1)
    with pytest.raises(NotImplementedError, match="Unknown `fill_mode` mirror"):
        L.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(NotImplementedError, match="Unknown `interpolation` bicubic"):
        L.RandomZoom(0.1, interpolation="bicubic")
    with pytest.raises(
        ValueError, match=r"range \(-1.0, 1.0\]. Received: input_number=-1.0"
    ):
        L.RandomZoom(-1.0)
    with pytest.raises(ValueError, match="Received: height_factor=x"):
        L.RandomZoom("x")
    with pytest.raises(ValueError, match=r"\[-1.0, 1.0\]. Received: input_number=1.5"):
        L.RandomTranslation(1.5, 0.1)
    with pytest.raises(ValueError, match=r"Received: width_factor=\(0.1,\)"):
        L.RandomTranslation(0.1, (0.1,))
    with pytest.raises(
        ValueError, match="`value_range` argument should be a list of two"
    ):
        L.RandomBrightness(0.1, value_range=(1, 2, 3))
    with pytest.raises(ValueError, match="`data_format` argument must be one of"):
        L.RandomFlip(data_format="nchw")
    x = np.zeros((2, 6, 8, 3), np.float32)
    with pytest.raises(ValueError, match="Invalid value for argument `interpolation`"):
        L.Resizing(2, 2, interpolation="foo")(x)
    with pytest.raises(ValueError, match="Only one of `pad_to_aspect_ratio`"):
        L.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)(x)
    with pytest.raises(ValueError, match="Only `'constant'` is supported"):
        L.Resizing(2, 2, fill_mode="reflect")(x)
    with pytest.raises(ValueError, match="Expected image tensor to have rank 3"):
        L.RandomFlip()(np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="Expected image tensor to have rank 3"):
        L.CenterCrop(2, 2)(np.zeros((1, 1, 3, 4, 1), np.float32))
    with pytest.raises(ValueError, match="Expected the input image to be rank 3 or 4"):
        L.RandomContrast(0.1)(np.zeros((3, 4), np.float32))
