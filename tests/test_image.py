"""``tf.image`` against TensorFlow 2.21: the numbers of tests/fixtures/image/
image_reference.npz (made by make_image_reference.py with real TF), gradients of the
resizes (against TF's, and by finite differences), seeded reproducibility, and TF's
errors."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tapeflow as tf

REF = np.load(
    os.path.join(os.path.dirname(__file__), "fixtures", "image", "image_reference.npz"),
    allow_pickle=False,
)
METHODS = (
    "bilinear",
    "nearest",
    "bicubic",
    "area",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)
SIZES = ((4, 5), (11, 13), (5, 17))


def close(got, want, atol=1e-5, rtol=1e-5):  # noqa: ANN001, ANN201
    got = got.numpy() if hasattr(got, "numpy") else np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, atol=atol, rtol=rtol)


# ---- resize -------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("antialias", [False, True])
def test_resize_matches_tf(method: str, antialias: bool) -> None:
    img = REF["in/img"]
    for size in SIZES:
        want = REF[f"resize/{method}/{int(antialias)}/{size[0]}x{size[1]}"]
        got = tf.image.resize(img, size, method=method, antialias=antialias)
        assert got.dtype == tf.float32
        close(got, want)
        close(
            tf.image.resize(img[0], size, method=method, antialias=antialias), want[0]
        )


def test_resize_dtypes_and_aspect_ratio() -> None:
    u8 = REF["in/u8"]
    out = tf.image.resize(u8, (3, 8))
    assert out.dtype == tf.float32
    close(out, REF["resize/u8_bilinear"], atol=1e-4)
    nearest = tf.image.resize(u8, (3, 8), "nearest")
    assert nearest.dtype == tf.int32  # TF keeps uint8, which tapeflow widens to int32
    np.testing.assert_array_equal(nearest.numpy(), REF["resize/u8_nearest"])
    assert tf.image.resize(np.ones((4, 4, 1)), (2, 2), "nearest").dtype == tf.float64
    assert tf.image.resize(np.ones((4, 4, 1)), (2, 2)).dtype == tf.float32
    assert tf.image.resize(np.ones((4, 4, 1), np.int32), (4, 4)).dtype == tf.float32
    small = REF["in/small"]
    close(
        tf.image.resize(small, (10, 10), preserve_aspect_ratio=True),
        REF["resize/aspect"],
    )
    close(
        tf.image.resize(small, (3, 30), "area", preserve_aspect_ratio=True),
        REF["resize/aspect_area"],
    )
    close(
        tf.image.resize(small, tf.constant([3, 4])),
        tf.image.resize(small, (3, 4)).numpy(),
    )
    assert tf.image.ResizeMethod.BICUBIC == "bicubic"


def test_resize_with_pad_and_crop_or_pad() -> None:
    small, ints = REF["in/small"], REF["in/int"]
    close(tf.image.resize_with_pad(small, 4, 9), REF["resize/with_pad"])
    close(
        tf.image.resize_with_pad(small[0], 12, 5, "bicubic"),
        REF["resize/with_pad_tall"],
    )
    out = tf.image.resize_with_crop_or_pad(ints, 3, 9)
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy(), REF["resize/crop_or_pad"])
    np.testing.assert_array_equal(
        tf.image.resize_with_crop_or_pad(ints[0], 8, 4).numpy(),
        REF["resize/crop_or_pad2"],
    )


@pytest.mark.parametrize(
    "method,antialias",
    [
        ("bilinear", False),
        ("nearest", False),
        ("bicubic", False),
        ("bilinear", True),
        ("lanczos3", True),
    ],
)
def test_resize_gradient_matches_tf(method: str, antialias: bool) -> None:
    x = tf.Variable(REF["in/img"])
    size = (4, 5) if antialias else (10, 6)
    w = REF["in/grad_w"][: size[0] * size[1]].reshape(1, size[0], size[1], 1)
    with tf.GradientTape() as tape:
        y = tf.image.resize(x, size, method=method, antialias=antialias)
        loss = tf.reduce_sum(y * w * tf.constant([1.0, -2.0]))
    close(tape.gradient(loss, x), REF[f"grad/{method}/{int(antialias)}"], atol=1e-4)


@pytest.mark.parametrize("method", ["bilinear", "area", "bicubic", "lanczos5"])
def test_resize_gradient_by_finite_differences(method: str) -> None:
    rng = np.random.default_rng(0)
    x0 = rng.random((1, 4, 5, 1))
    w = rng.random((1, 3, 7, 1))

    def f(v: np.ndarray) -> float:
        return float(np.sum(tf.image.resize(v, (3, 7), method).numpy() * w))

    x = tf.Variable(x0.astype(np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.image.resize(x, (3, 7), method) * w.astype(np.float32))
    grad = tape.gradient(loss, x).numpy()
    eps = 1e-3
    for idx in [(0, 0, 0, 0), (0, 1, 2, 0), (0, 3, 4, 0), (0, 2, 0, 0)]:
        up, down = x0.copy(), x0.copy()
        up[idx] += eps
        down[idx] -= eps
        assert abs((f(up) - f(down)) / (2 * eps) - grad[idx]) < 1e-2


def test_resize_inside_tf_function() -> None:
    img = REF["in/img"]
    fn = tf.function(lambda x: tf.image.resize(x, (11, 13), "bicubic"))
    close(fn(tf.constant(img)), REF["resize/bicubic/0/11x13"])


def test_resize_errors() -> None:
    x = np.zeros((5, 6, 3), np.float32)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="output dimensions must be"
    ):
        tf.image.resize(x, (-1, 4))
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="output dimensions must be"
    ):
        tf.image.resize(x, (0, 4))
    with pytest.raises(ValueError, match="1-D Tensor of 2 elements"):
        tf.image.resize(x, (1, 2, 3))
    with pytest.raises(ValueError, match="'size' must be a 1-D int32 Tensor"):
        tf.image.resize(x, (1.5, 2))
    with pytest.raises(ValueError, match="must have either 3 or 4 dimensions"):
        tf.image.resize(x[0], (1, 2))
    with pytest.raises(ValueError, match="Resize method is not implemented: foo"):
        tf.image.resize(x, (1, 2), method="foo")
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-zero size"):
        tf.image.resize(np.zeros((0, 3, 1), np.float32), (2, 2))
    with pytest.raises(ValueError, match="target_height must be > 0"):
        tf.image.resize_with_pad(x, 0, 9)
    with pytest.raises(ValueError, match="target_width must be > 0"):
        tf.image.resize_with_crop_or_pad(x, 3, 0)


# ---- geometry ------------------------------------------------------------------------
def test_flips_rotations_transpose() -> None:
    ints = REF["in/int"]
    np.testing.assert_array_equal(
        tf.image.flip_left_right(ints).numpy(), REF["geo/flip_lr"]
    )
    np.testing.assert_array_equal(
        tf.image.flip_up_down(ints[0]).numpy(), REF["geo/flip_ud"]
    )
    for k in (1, 2, 3, -1):
        np.testing.assert_array_equal(
            tf.image.rot90(ints, k).numpy(), REF[f"geo/rot90/{k}"]
        )
    np.testing.assert_array_equal(tf.image.rot90(ints[0]).numpy(), REF["geo/rot90_3d"])
    np.testing.assert_array_equal(
        tf.image.transpose(ints).numpy(), REF["geo/transpose"]
    )
    assert tf.image.flip_left_right(ints).dtype == tf.int32


def test_crops_and_pads() -> None:
    img, ints = REF["in/img"], REF["in/int"]
    close(tf.image.central_crop(img, 0.5), REF["geo/central_0.5"])
    close(tf.image.central_crop(img[0], 0.33), REF["geo/central_0.33"])
    np.testing.assert_array_equal(
        tf.image.crop_to_bounding_box(ints, 1, 2, 3, 4).numpy(), REF["geo/crop_box"]
    )
    np.testing.assert_array_equal(
        tf.image.pad_to_bounding_box(ints[0], 1, 2, 8, 9).numpy(), REF["geo/pad_box"]
    )
    x = tf.Variable(img)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.image.rot90(tf.image.central_crop(x, 0.5), 1) ** 2)
    grad = tape.gradient(loss, x).numpy()
    crop = REF["geo/central_0.5"]
    assert np.isclose(grad.sum(), 2 * crop.sum(), rtol=1e-5)


def test_geometry_errors() -> None:
    x = np.zeros((5, 6, 3), np.float32)
    with pytest.raises(
        ValueError, match=r"'image' \(shape \(6, 3\)\) must be at least three"
    ):
        tf.image.flip_left_right(x[0])
    with pytest.raises(ValueError, match="must have either 3 or 4 dimensions"):
        tf.image.flip_up_down(x[None, None])
    with pytest.raises(ValueError, match="inner 3 dims"):
        tf.image.flip_left_right(np.zeros((0, 2, 3)))
    with pytest.raises(TypeError):
        tf.image.rot90(x, 1.5)
    with pytest.raises(ValueError, match=r"central_fraction must be within \(0, 1\]"):
        tf.image.central_crop(x, 0.0)
    with pytest.raises(ValueError, match="rank = 5"):
        tf.image.central_crop(x[None, None], 0.5)
    with pytest.raises(ValueError, match="offset_height must be >= 0."):
        tf.image.crop_to_bounding_box(x, -1, 0, 2, 2)
    with pytest.raises(ValueError, match="height must be >= target \\+ offset."):
        tf.image.crop_to_bounding_box(x, 0, 0, 9, 2)
    with pytest.raises(ValueError, match="target_height must be > 0."):
        tf.image.crop_to_bounding_box(x, 0, 0, 0, 2)
    with pytest.raises(ValueError, match="height must be <= target - offset"):
        tf.image.pad_to_bounding_box(x, 0, 0, 2, 9)
    with pytest.raises(ValueError, match="offset_width must be >= 0"):
        tf.image.pad_to_bounding_box(x, 0, -2, 9, 9)


# ---- colors and dtypes ---------------------------------------------------------------
def test_brightness_contrast_gray_standardization() -> None:
    small, u8, ints = REF["in/small"], REF["in/u8"], REF["in/int"]
    close(tf.image.adjust_brightness(small, 0.2), REF["color/brightness"])
    # NumPy uint8 images keep TF's uint8 rules (scaled by 255, saturated), held as int32
    out = tf.image.adjust_brightness(u8, 0.1)
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy(), REF["color/brightness_u8"])
    np.testing.assert_array_equal(
        tf.image.adjust_brightness(u8, -0.3).numpy(), REF["color/brightness_u8_neg"]
    )
    close(tf.image.adjust_contrast(small, 1.7), REF["color/contrast"])
    np.testing.assert_array_equal(
        tf.image.adjust_contrast(u8, 2.0).numpy(), REF["color/contrast_u8"]
    )
    rgb = small[..., :1].repeat(3, -1) * 0.5 + np.array([0.0, 0.1, 0.3], np.float32)
    close(tf.image.rgb_to_grayscale(rgb), REF["color/gray"])
    np.testing.assert_array_equal(
        tf.image.rgb_to_grayscale(u8).numpy(), REF["color/gray_u8"]
    )
    np.testing.assert_array_equal(
        tf.image.grayscale_to_rgb(ints[..., :1]).numpy(), REF["color/gray_to_rgb"]
    )
    close(tf.image.per_image_standardization(small), REF["color/std"])
    close(tf.image.per_image_standardization(u8), REF["color/std_u8"])
    close(
        tf.image.per_image_standardization(np.full((3, 3, 1), 7.0, np.float32)),
        REF["color/std_const"],
    )
    assert tf.image.adjust_brightness(small.astype(np.float64), 0.1).dtype == tf.float64
    assert tf.image.per_image_standardization(ints).dtype == tf.float32


def test_color_errors() -> None:
    x = np.zeros((5, 6, 3), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 3-D"):
        tf.image.adjust_contrast(x[0], 0.5)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.image.rgb_to_grayscale(x[..., :2])
    with pytest.raises(ValueError, match="Last dimension of a grayscale image"):
        tf.image.grayscale_to_rgb(x)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        tf.image.grayscale_to_rgb(np.zeros((1,), np.float32))
    with pytest.raises(ValueError, match="at least three-dimensional"):
        tf.image.per_image_standardization(x[0])
    with pytest.raises(ValueError, match="max_delta must be non-negative."):
        tf.image.random_brightness(x, -0.1)
    with pytest.raises(ValueError, match="upper must be > lower."):
        tf.image.random_contrast(x, 0.5, 0.4)
    with pytest.raises(ValueError, match="lower must be non-negative."):
        tf.image.random_contrast(x, -0.5, 0.4)


def test_convert_image_dtype_matches_tf() -> None:
    u8, ints = REF["in/u8"], REF["in/int"]
    floats = np.array([[[-0.2, 0.0, 0.25], [0.5, 0.999, 1.3]]], np.float32)
    cases = {
        "u8_f32": (u8, tf.float32, False),
        "f32_u8": (floats, np.uint8, False),
        "f32_u8_sat": (floats, "uint8", True),
        "f32_i32_sat": (floats, tf.int32, True),
        "i32_f32": (ints, tf.float32, False),
        "u8_i32": (u8, tf.int32, False),
        "i64_i32": (ints.astype(np.int64) * 2**40, tf.int32, False),
        "i32_u8": (ints * 2**24, np.uint8, False),
        "u16_u8": (REF["in/gray16"], "uint8", False),
        "f64_f32": (floats.astype(np.float64), tf.float32, False),
        "u8_f64": (u8, tf.float64, False),
        "i32_i64": (ints, tf.int64, False),
    }
    for name, (x, dt, sat) in cases.items():
        got = tf.image.convert_image_dtype(x, dt, saturate=sat)
        want = REF[f"cid/{name}"]
        if want.dtype.kind == "f":
            close(got, want, atol=1e-7, rtol=1e-6)
        else:
            np.testing.assert_array_equal(
                got.numpy().astype(np.int64), want, err_msg=name
            )
    assert tf.image.convert_image_dtype(u8, np.uint8).dtype == tf.int32
    same = tf.constant([1.0])
    assert tf.image.convert_image_dtype(same, tf.float32).numpy() == 1.0
    with pytest.raises(
        AttributeError, match="dtype must be either floating point or integer"
    ):
        tf.image.convert_image_dtype(floats, tf.bool)
    with pytest.raises(AttributeError, match="image dtype must be either"):
        tf.image.convert_image_dtype(floats > 0.5, tf.float32)


# ---- random ops ----------------------------------------------------------------------
def test_random_ops_follow_tf_streams() -> None:
    small, ints = REF["in/small"], REF["in/int"]
    tf.random.set_seed(5)
    close(tf.image.random_flip_left_right(small, seed=3), REF["rand/flip_lr4"])
    close(tf.image.random_flip_up_down(small[0], seed=4), REF["rand/flip_ud3"])
    close(tf.image.random_brightness(small, 0.3, seed=5), REF["rand/brightness"])
    close(tf.image.random_contrast(small, 0.2, 1.8, seed=6), REF["rand/contrast"])
    np.testing.assert_array_equal(
        tf.image.random_crop(ints, (2, 3, 4, 2), seed=7).numpy(), REF["rand/crop"]
    )


def test_random_ops_are_seeded_and_valid() -> None:
    small = REF["in/small"]
    tf.random.set_seed(1)
    a = [tf.image.random_flip_left_right(small, seed=2).numpy() for _ in range(4)]
    tf.random.set_seed(1)
    b = [tf.image.random_flip_left_right(small, seed=2).numpy() for _ in range(4)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    for out in a:  # each image is itself or its mirror
        for i in range(2):
            assert np.array_equal(out[i], small[i]) or np.array_equal(
                out[i], small[i][:, ::-1]
            )
    crop = tf.image.random_crop(small[0], (3, 4, 2)).numpy()
    assert any(
        np.array_equal(crop, small[0][i : i + 3, j : j + 4])
        for i in range(3)
        for j in range(3)
    )
    fn = tf.function(lambda x: tf.image.random_crop(x, (3, 4, 2)))
    crops = {fn(tf.constant(small[0])).numpy().tobytes() for _ in range(12)}
    assert len(crops) > 1  # a new window at every call of the traced function
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="Need value.shape >= size"
    ):
        tf.image.random_crop(small[0], (9, 2, 2))


# ---- coding --------------------------------------------------------------------------
def test_decode_tf_encoded_images() -> None:
    pytest.importorskip("PIL")
    png = REF["code/png_rgb"].tobytes()
    got = tf.image.decode_png(png)
    assert isinstance(got, np.ndarray) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, REF["in/u8"])
    np.testing.assert_array_equal(
        tf.image.decode_image(REF["code/png_rgb"]), REF["in/u8"]
    )
    np.testing.assert_array_equal(tf.image.decode_png(np.bytes_(png)), REF["in/u8"])
    rgba = REF["code/png_rgba"].tobytes()
    np.testing.assert_array_equal(tf.image.decode_png(rgba), REF["in/rgba"])
    np.testing.assert_array_equal(
        tf.image.decode_png(rgba, 3), REF["code/png_rgba_as_rgb"]
    )
    np.testing.assert_array_equal(
        tf.image.decode_png(png, 1), REF["code/png_rgb_as_gray"]
    )
    gray16 = REF["code/png_gray16"].tobytes()
    np.testing.assert_array_equal(
        tf.image.decode_png(gray16), REF["code/png_gray16_as_u8"]
    )
    np.testing.assert_array_equal(
        tf.image.decode_png(gray16, dtype="uint16").astype(np.int32),
        REF["code/png_gray16_as_u16"],
    )
    close(
        tf.image.decode_image(png, dtype=tf.float32),
        REF["code/png_rgb_as_f32"],
        atol=1e-7,
    )
    np.testing.assert_array_equal(
        tf.image.decode_image(png, dtype=tf.int32).numpy(), REF["code/png_rgb_as_i32"]
    )
    jpeg = REF["code/jpeg"].tobytes()
    assert tf.image.is_jpeg(jpeg) and not tf.image.is_jpeg(png)
    dec = tf.image.decode_jpeg(jpeg)
    assert dec.shape == REF["code/jpeg_decoded"].shape
    assert (
        np.abs(dec.astype(int) - REF["code/jpeg_decoded"]).max() <= 4
    )  # libjpeg settings
    gray = tf.image.decode_jpeg(jpeg, channels=1)
    assert gray.shape == (16, 16, 1)
    assert np.abs(gray.astype(int) - REF["code/jpeg_gray"]).max() <= 4
    gif = REF["code/gif"].tobytes()
    np.testing.assert_array_equal(tf.image.decode_image(gif), REF["code/gif_frames"])
    np.testing.assert_array_equal(
        tf.image.decode_image(gif, expand_animations=False), REF["code/gif_first"]
    )


def test_encode_round_trips() -> None:
    pytest.importorskip("PIL")
    u8 = REF["in/u8"]
    data = tf.image.encode_png(u8)
    assert isinstance(data, bytes) and data[:4] == b"\x89PNG"
    np.testing.assert_array_equal(tf.image.decode_png(data), u8)
    # int32 tensors holding uint8 values (tapeflow's uint8 images) encode too
    flipped = tf.image.flip_left_right(u8)
    np.testing.assert_array_equal(
        tf.image.decode_png(tf.image.encode_png(flipped)), u8[:, ::-1]
    )
    gray16 = REF["in/gray16"]
    np.testing.assert_array_equal(
        tf.image.decode_png(tf.image.encode_png(gray16), dtype="uint16"), gray16
    )
    batch = tf.image.encode_png(np.stack([u8, u8[::-1]]))
    assert batch.shape == (2,)
    np.testing.assert_array_equal(tf.image.decode_png(batch[1]), u8[::-1])
    smooth = REF["in/smooth"]
    jpeg = tf.image.encode_jpeg(smooth, quality=95)
    assert tf.image.is_jpeg(jpeg)
    err = np.abs(tf.image.decode_jpeg(jpeg).astype(int) - smooth)
    assert err.mean() < 2 and err.max() <= 16  # lossy, 4:2:0 chroma


def test_coding_errors() -> None:
    pytest.importorskip("PIL")
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="Unknown image file format"
    ):
        tf.image.decode_png(b"garbage")
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="Unknown image file format"
    ):
        tf.image.decode_image(b"garbage")
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be 0, 1, 3 or 4"):
        tf.image.decode_png(REF["code/png_rgb"].tobytes(), channels=5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="JPEG does not support 4"):
        tf.image.decode_jpeg(REF["code/jpeg"].tobytes(), channels=4)
    with pytest.raises(TypeError, match="bytes"):
        tf.image.decode_png(tf.constant([1, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="attr 'T' of float"):
        tf.image.encode_png(np.zeros((2, 2, 3), np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least rank 3"):
        tf.image.encode_png(np.zeros((2, 3), np.uint8))
    with pytest.raises(tf.errors.InvalidArgumentError, match="1, 2, 3, or 4 channels"):
        tf.image.encode_png(np.zeros((2, 2, 5), np.uint8))
    with pytest.raises(tf.errors.InvalidArgumentError, match="uint8 values"):
        tf.image.encode_png(np.full((2, 2, 1), 300, np.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="1 or 3 channels"):
        tf.image.encode_jpeg(np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(tf.errors.InvalidArgumentError, match="3-dimensional"):
        tf.image.encode_jpeg(np.zeros((1, 2, 2, 3), np.uint8))


def test_missing_pillow_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def no_pil(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ImportError, match="pip install pillow"):
        tf.image.decode_png(b"\x89PNG")
    with pytest.raises(ImportError, match="pip install pillow"):
        tf.image.encode_jpeg(np.zeros((2, 2, 3), np.uint8))
