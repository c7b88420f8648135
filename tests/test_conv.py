"""Convolutions and pooling (``tf.nn.conv*``, transposes, depthwise/separable, pools).

Two kinds of reference:

* float64 numpy loops written here (a convolution is a sum over kernel offsets of
  strided slices times a matrix, grouped; its input gradient is the adjoint scatter; the
  pools likewise), over random shapes, strides, paddings, dilations, groups and formats
  in 1-3 spatial dims;
* what TensorFlow 2.21 gives, recorded by tests/fixtures/conv/make_conv_reference.py:
  outputs, ``tf.GradientTape`` gradients (max-pool ties included), and the exception
  types and messages for bad arguments.

Finite-difference gradient checks of these ops live in tests/test_gradients.py.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import errors

FIXTURES = Path(__file__).parent / "fixtures" / "conv"
REFERENCE = json.loads((FIXTURES / "conv_reference.json").read_text())
ARRAYS = dict(np.load(FIXTURES / "conv_reference.npz"))
OPS = {case["name"]: case for case in REFERENCE["ops"]}


# ---- numpy references (channels-last, float64) -----------------------------------
def same_padding(
    sizes: Sequence[int],
    ksize: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
) -> Tuple[List[int], List[int]]:
    """TF's SAME: out = ceil(in / stride); the total padding split, the odd one
    after."""
    before, after = [], []
    for n, k, s, d in zip(sizes, ksize, strides, dilations):
        total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
        before.append(total // 2)
        after.append(total - total // 2)
    return before, after


def _slices(
    kidx: Sequence[int], dil: Sequence[int], strides: Sequence[int], out: Sequence[int]
) -> Tuple[slice, ...]:
    return (slice(None),) + tuple(
        slice(k * d, k * d + (o - 1) * s + 1, s)
        for k, d, s, o in zip(kidx, dil, strides, out)
    )


def _out_sizes(
    padded: Sequence[int],
    ksize: Sequence[int],
    strides: Sequence[int],
    dil: Sequence[int],
) -> List[int]:
    return [
        (p - (k - 1) * d - 1) // s + 1
        for p, k, s, d in zip(padded, ksize, strides, dil)
    ]


def conv_ref(x: np.ndarray, w: np.ndarray, strides, dil, before, after) -> np.ndarray:
    """Grouped N-d convolution: x (N, *S, C), w (*K, C / g, O)."""
    n = x.ndim - 2
    xp = np.pad(x, [(0, 0)] + list(zip(before, after)) + [(0, 0)])
    ksize, cg, o = w.shape[:n], w.shape[n], w.shape[n + 1]
    g = x.shape[-1] // cg
    og = o // g
    out = _out_sizes(xp.shape[1:-1], ksize, strides, dil)
    y = np.zeros((x.shape[0], *out, o))
    for kidx in np.ndindex(*ksize):
        patch = xp[_slices(kidx, dil, strides, out)]
        for gi in range(g):
            y[..., gi * og : (gi + 1) * og] += (
                patch[..., gi * cg : (gi + 1) * cg]
                @ w[kidx][:, gi * og : (gi + 1) * og]
            )
    return y


def conv_input_grad_ref(x_shape, w, dy, strides, dil, before, after) -> np.ndarray:
    """The adjoint of conv_ref in x (also the transposed convolution of dy)."""
    n = len(x_shape) - 2
    ksize, cg, o = w.shape[:n], w.shape[n], w.shape[n + 1]
    g = x_shape[-1] // cg
    og = o // g
    padded = [s + b + a for s, b, a in zip(x_shape[1:-1], before, after)]
    dxp = np.zeros((x_shape[0], *padded, x_shape[-1]))
    out = dy.shape[1:-1]
    for kidx in np.ndindex(*ksize):
        sl = _slices(kidx, dil, strides, out)
        for gi in range(g):
            dxp[sl + (slice(gi * cg, (gi + 1) * cg),)] += (
                dy[..., gi * og : (gi + 1) * og] @ w[kidx][:, gi * og : (gi + 1) * og].T
            )
    crop = (slice(None),) + tuple(
        slice(b, b + s) for b, s in zip(before, x_shape[1:-1])
    )
    return dxp[crop]


def conv_filter_grad_ref(x, w_shape, dy, strides, dil, before, after) -> np.ndarray:
    """The adjoint of conv_ref in w."""
    n = x.ndim - 2
    xp = np.pad(x, [(0, 0)] + list(zip(before, after)) + [(0, 0)])
    ksize, cg, o = w_shape[:n], w_shape[n], w_shape[n + 1]
    g = x.shape[-1] // cg
    og = o // g
    out = dy.shape[1:-1]
    dw = np.zeros(w_shape)
    for kidx in np.ndindex(*ksize):
        patch = xp[_slices(kidx, dil, strides, out)]
        for gi in range(g):
            p = patch[..., gi * cg : (gi + 1) * cg].reshape(-1, cg)
            dw[kidx][:, gi * og : (gi + 1) * og] = p.T @ dy[
                ..., gi * og : (gi + 1) * og
            ].reshape(-1, og)
    return dw


def pool_ref(
    x: np.ndarray, kind: str, ksize, strides, before, after, dy: np.ndarray = None
) -> Tuple[np.ndarray, np.ndarray]:
    """(output, input gradient of sum(output * dy)): max takes each window's FIRST
    maximum (TF's MaxPoolGrad), avg divides by the window's positions inside the
    input."""
    n = x.ndim - 2
    pad = [(0, 0)] + list(zip(before, after)) + [(0, 0)]
    xp = np.pad(x, pad, constant_values=-np.inf)
    inside = np.pad(np.ones(x.shape), pad)
    ones = (1,) * n
    out = _out_sizes(xp.shape[1:-1], ksize, strides, ones)
    slices = [_slices(kidx, ones, strides, out) for kidx in np.ndindex(*ksize)]
    if kind == "max":
        y = np.full((x.shape[0], *out, x.shape[-1]), -np.inf)
        arg = np.zeros(y.shape, dtype=int)
        for i, sl in enumerate(slices):
            better = xp[sl] > y
            y = np.where(better, xp[sl], y)
            arg = np.where(better, i, arg)
    else:
        count = sum(inside[sl] for sl in slices)
        y = sum(np.where(inside[sl] > 0, xp[sl], 0.0) for sl in slices) / count
    if dy is None:
        return y, None
    gp = np.zeros(xp.shape)
    for i, sl in enumerate(slices):
        gp[sl] += dy * (arg == i) if kind == "max" else dy * inside[sl] / count
    crop = (slice(None),) + tuple(
        slice(b, b + s) for b, s in zip(before, x.shape[1:-1])
    )
    return y, gp[crop]


# ---- helpers -----------------------------------------------------------------------
FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


def _to_first(a: np.ndarray) -> np.ndarray:
    return np.moveaxis(a, -1, 1)


def _to_last(a: np.ndarray) -> np.ndarray:
    return np.moveaxis(a, 1, -1)


def _close(actual: Any, expected: np.ndarray, rtol: float) -> None:
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * max(scale, 1.0))


def _random_conv_case(seed: int) -> Dict[str, Any]:
    """Random rank, sizes, kernel, strides, dilations, padding (SAME, VALID, explicit),
    groups and data format; VALID windows always fit."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 4))
    hi = {1: 10, 2: 8, 3: 5}[n]
    sizes = [int(v) for v in rng.integers(2, hi, n)]
    ksize = [int(v) for v in rng.integers(1, 4, n)]
    strides = [int(v) for v in rng.integers(1, 4, n)]
    dil = [int(v) for v in rng.integers(1, 3, n)]
    mode = rng.choice(["SAME", "VALID", "explicit"])
    if mode == "explicit":
        before = [int(v) for v in rng.integers(0, 3, n)]
        after = [int(v) for v in rng.integers(0, 3, n)]
    elif mode == "SAME":
        before, after = same_padding(sizes, ksize, strides, dil)
    else:
        before, after = [0] * n, [0] * n
    for i in range(n):  # the dilated window must fit the padded input
        while (ksize[i] - 1) * dil[i] + 1 > sizes[i] + before[i] + after[i]:
            dil[i], ksize[i] = 1, max(1, ksize[i] - 1)
        if mode == "SAME":
            before, after = same_padding(sizes, ksize, strides, dil)
    g, cg, og = (
        int(v) for v in (rng.integers(1, 4), rng.integers(1, 3), rng.integers(1, 3))
    )
    x = rng.normal(size=(int(rng.integers(1, 3)), *sizes, g * cg))
    w = rng.normal(size=(*ksize, cg, g * og))
    padding = (
        [[0, 0]] + [[b, a] for b, a in zip(before, after)] + [[0, 0]]
        if mode == "explicit"
        else str(mode)
    )
    return {
        "n": n,
        "x": x,
        "w": w,
        "strides": strides,
        "dil": dil,
        "before": before,
        "after": after,
        "padding": padding,
        "first": bool(rng.integers(0, 2)),
    }


# ---- (a) against the numpy loops -------------------------------------------------
@pytest.mark.parametrize("seed", range(40))
def test_convolution_matches_numpy_loops(seed: int) -> None:
    c = _random_conv_case(seed)
    x, w, n = c["x"], c["w"], c["n"]
    win = (c["strides"], c["dil"], c["before"], c["after"])
    y_ref = conv_ref(x, w, *win)
    dy = np.random.default_rng(seed + 1000).normal(size=y_ref.shape)
    dx_ref = conv_input_grad_ref(x.shape, w, dy, *win)
    dw_ref = conv_filter_grad_ref(x, w.shape, dy, *win)
    padding = c["padding"]
    if c["first"]:  # channels-first: the same numbers, transposed
        fmt = FORMATS[n][1]
        if isinstance(padding, list):
            padding = [padding[0], padding[-1]] + padding[1:-1]
        xin = _to_first(x)
    else:
        fmt, xin = FORMATS[n][0], x

    def fn(xt, wt):
        return tf.nn.convolution(
            xt,
            wt,
            strides=c["strides"],
            padding=padding,
            data_format=fmt,
            dilations=c["dil"],
        )

    for dtype, rtol in (("float64", 1e-12), ("float32", 2e-5)):
        ts = [xin.astype(dtype), w.astype(dtype)]
        dyin = _to_first(dy) if c["first"] else dy
        xt, wt = (tf.constant(a) for a in ts)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            tape.watch(wt)
            y = fn(xt, wt)
            loss = tf.reduce_sum(y * tf.constant(dyin.astype(dtype)))
        dx, dw = tape.gradient(loss, [xt, wt])
        assert y.dtype == dtype
        y, dx = y.numpy(), dx.numpy()
        if c["first"]:
            y, dx = _to_last(y), _to_last(dx)
        _close(y, y_ref, rtol)
        _close(dx, dx_ref, rtol)
        _close(dw.numpy(), dw_ref, rtol)
    # the transposed convolution of dy is the input gradient
    out_shape = list(xin.shape)
    ct = tf.nn.conv_transpose(
        tf.constant(_to_first(dy) if c["first"] else dy),
        tf.constant(w),
        out_shape,
        c["strides"],
        padding,
        data_format=fmt,
        dilations=c["dil"],
    )
    _close(_to_last(ct.numpy()) if c["first"] else ct.numpy(), dx_ref, 1e-12)


@pytest.mark.parametrize("seed", range(24))
def test_pools_match_numpy_loops(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 4))
    sizes = [int(v) for v in rng.integers(2, {1: 11, 2: 8, 3: 6}[n], n)]
    ksize = [int(rng.integers(1, s + 1)) for s in sizes]
    strides = [int(v) for v in rng.integers(1, 4, n)]
    mode = str(rng.choice(["SAME", "VALID"]))
    before, after = (
        same_padding(sizes, ksize, strides, [1] * n)
        if mode == "SAME"
        else ([0] * n, [0] * n)
    )
    x = rng.permutation(np.prod(sizes) * 2 * 3).reshape(2, *sizes, 3) / 7.0  # distinct
    for kind in ("max", "avg"):
        y_ref, _ = pool_ref(x, kind, ksize, strides, before, after)
        dy = rng.normal(size=y_ref.shape)
        _, dx_ref = pool_ref(x, kind, ksize, strides, before, after, dy)
        op = tf.nn.max_pool if kind == "max" else tf.nn.avg_pool
        for dtype, rtol in (("float64", 1e-12), ("float32", 1e-5)):
            xt = tf.constant(x.astype(dtype))
            with tf.GradientTape() as tape:
                tape.watch(xt)
                y = op(xt, ksize, strides, mode)
                loss = tf.reduce_sum(y * dy.astype(dtype))
            _close(y.numpy(), y_ref, rtol)
            _close(tape.gradient(loss, xt).numpy(), dx_ref, rtol)


def test_depthwise_and_separable_match_numpy_loops() -> None:
    rng = np.random.default_rng(7)
    x, f = rng.normal(size=(2, 6, 5, 3)), rng.normal(size=(3, 2, 3, 2))
    p = rng.normal(size=(1, 1, 6, 4))
    before, after = same_padding((6, 5), (3, 2), (2, 1), (1, 1))
    # depthwise output channel c * multiplier + m is input channel c with f[..., c, m]
    y_ref = conv_ref(x, f.reshape(3, 2, 1, 6), (2, 1), (1, 1), before, after)
    y = tf.nn.depthwise_conv2d(x, f, [1, 2, 1, 1], "SAME")
    _close(y.numpy(), y_ref, 1e-12)
    for c, m in itertools.product(range(3), range(2)):
        single = conv_ref(
            x[..., c : c + 1],
            f[:, :, c : c + 1, m : m + 1],
            (2, 1),
            (1, 1),
            before,
            after,
        )
        _close(y.numpy()[..., c * 2 + m : c * 2 + m + 1], single, 1e-12)
    s = tf.nn.separable_conv2d(x, f, p, [1, 2, 1, 1], "SAME")
    _close(s.numpy(), y_ref @ p[0, 0], 1e-12)


# ---- (b) against TensorFlow's outputs and gradients --------------------------------
def _fixture_inputs(case: Dict[str, Any]) -> List[Any]:
    arrays = [ARRAYS[f"input.{key}"] for key in case["inputs"]]
    return arrays if case["numpy_inputs"] else [tf.constant(a) for a in arrays]


def _run(case: Dict[str, Any], inputs: Sequence[Any]) -> Any:
    return getattr(tf.nn, case["op"])(*inputs, **case["kwargs"])


def _rtol(dtype: Any) -> float:
    return 1e-12 if np.dtype(dtype) == np.float64 else 1e-5


@pytest.mark.parametrize("name", [n for n in OPS if not n.startswith("ties_")])
def test_ops_match_tensorflow(name: str) -> None:
    case = OPS[name]
    expected = ARRAYS[f"{name}.out"]
    y = _run(case, _fixture_inputs(case))
    assert y.dtype == expected.dtype
    _close(y.numpy(), expected, _rtol(expected.dtype))


# TF's MaxPool3DGrad (unlike MaxPoolGrad) sends a tied window's gradient to EVERY
# maximum; tapeflow's native max_pool_grad does the same for 3-D pools.
TIES_3D = "ties_max_pool3d_int"


@pytest.mark.parametrize(
    "name",
    [TIES_3D if n == "ties_max_pool3d_int" else n for n, c in OPS.items() if c["grad"]],
)
def test_gradients_match_tensorflow(name: str) -> None:
    """GradientTape gradients of sum(out * dy), max-pool ties (ties_*) included: TF's
    MaxPoolGrad (1-D and 2-D) sends a tied window's gradient to its first maximum."""
    case = OPS[name]
    ts = _fixture_inputs(case)
    dy = ARRAYS[f"{name}.dy"]
    with tf.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        y = _run(case, ts)
        loss = tf.reduce_sum(y * tf.constant(dy.astype(y.dtype.as_numpy_dtype)))
    grads = tape.gradient(loss, ts)
    _close(y.numpy(), ARRAYS[f"{name}.out"], _rtol(y.dtype.as_numpy_dtype))
    for j, g in enumerate(grads):
        expected = ARRAYS[f"{name}.grad{j}"]
        _close(g.numpy(), expected, _rtol(expected.dtype))


def test_max_pool_tie_gradient_goes_to_the_first_maximum() -> None:
    x = tf.constant(np.zeros((1, 2, 4, 1), "float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 2, "VALID")
    g = tape.gradient(y, x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(g, [[1, 0, 1, 0], [0, 0, 0, 0]])


# ---- errors as TF's -----------------------------------------------------------------
def _core_message(text: str) -> str:
    """A message without tapeflow's "[op] " / TF's location prefix and op suffix."""
    text = text.split("\n")[0]
    text = re.sub(r"\{\{function_node [^}]*\}\} ", "", text)
    text = re.sub(r"^\[\w+\] ", "", text)
    return re.sub(r" \[Op:\w+\].*$", "", text).strip()


# (none now: the transposed convolution's shape checks use TF's reference-kernel words)
MESSAGE_DIFFERS: set = set()


@pytest.mark.parametrize("entry", REFERENCE["errors"], ids=lambda e: e["name"])
def test_errors_match_tensorflow(entry: Dict[str, Any]) -> None:
    inputs = [
        tf.constant(
            np.ones([int(d) for d in key.split(".")[0].split("x")], key.split(".")[2])
        )
        for key in entry["inputs"]
    ]
    if entry["error"] is None:  # TF computes an empty result
        assert list(_run(entry, inputs).shape) == entry["shape"]
        return
    with pytest.raises(Exception) as info:
        _run(entry, inputs)
    assert type(info.value).__name__ in (entry["error"], entry["error_ref"])
    assert isinstance(info.value, errors.OpError)
    if entry["name"] in MESSAGE_DIFFERS:
        return
    ours = _core_message(str(info.value))
    theirs = [_core_message(m) for m in (entry["message"], entry["message_ref"])]
    theirs = [re.sub(r"_MklNative", "", m) for m in theirs]
    assert any(ours in m or m in ours for m in theirs), (ours, theirs)


def test_argument_errors_before_the_kernel() -> None:
    x = tf.zeros((1, 5, 5, 2))
    w = tf.zeros((3, 3, 2, 2))
    with pytest.raises(ValueError, match="strides should be of length 1, 2 or 4"):
        tf.nn.conv2d(x, w, [1, 1, 1], "SAME")
    with pytest.raises(errors.UnimplementedError, match="batch and depth"):
        tf.nn.conv2d(x, w, [2, 1, 1, 1], "SAME")
    with pytest.raises(errors.UnimplementedError, match="batch dimension"):
        tf.nn.max_pool2d(x, [2, 2, 2, 1], 1, "SAME")
    with pytest.raises(errors.InvalidArgumentError, match="nonnegative"):
        tf.nn.conv2d(x, w, 1, [[0, 0], [-1, 0], [0, 0], [0, 0]])
    with pytest.raises(ValueError, match="rate"):
        tf.nn.atrous_conv2d(x, w, 0, "SAME")


# ---- sizes, dtypes, threads --------------------------------------------------------
def test_zero_size_batch() -> None:
    x = tf.zeros((0, 6, 5, 4))
    w = tf.constant(np.ones((3, 3, 2, 6), "float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        tape.watch(w)
        y = tf.nn.conv2d(x, w, 2, "SAME")
        loss = tf.reduce_sum(y)
    assert y.shape == (0, 3, 3, 6)
    dx, dw = tape.gradient(loss, [x, w])
    assert dx.shape == (0, 6, 5, 4)
    np.testing.assert_array_equal(dw.numpy(), np.zeros((3, 3, 2, 6)))
    assert tf.nn.conv2d_transpose(y, w, [0, 6, 5, 4], 2, "SAME").shape == (0, 6, 5, 4)
    assert tf.nn.max_pool2d(x, 2, 2, "VALID").shape == (0, 3, 2, 4)
    pooled = tf.nn.avg_pool3d(tf.zeros((0, 2, 3, 4, 1)), 2, 1, "SAME")
    assert pooled.shape == (0, 2, 3, 4, 1)
    depthwise = tf.nn.depthwise_conv2d(x, tf.zeros((2, 2, 4, 2)), [1, 1, 1, 1], "VALID")
    assert depthwise.shape == (0, 5, 4, 8)


def test_empty_output_when_the_window_is_one_larger() -> None:
    """TF gives an empty output for out = 0 (and raises only for a negative size)."""
    x = tf.zeros((2, 9, 3))
    assert tf.nn.avg_pool1d(x, 10, 1, "VALID").shape == (2, 0, 3)
    assert tf.nn.max_pool1d(x, 10, 1, "VALID").shape == (2, 0, 3)
    assert tf.nn.conv1d(x, tf.zeros((10, 3, 2)), 1, "VALID").shape == (2, 0, 2)


def test_float64_and_mixed_dtypes() -> None:
    x = np.random.default_rng(3).normal(size=(1, 4, 4, 2))
    w = np.random.default_rng(4).normal(size=(2, 2, 2, 3))
    y = tf.nn.conv2d(tf.constant(x), tf.constant(w), 1, "VALID")
    assert y.dtype == tf.float64
    _close(y.numpy(), conv_ref(x, w, (1, 1), (1, 1), (0, 0), (0, 0)), 1e-13)
    assert tf.nn.max_pool2d(tf.constant(x), 2, 1, "SAME").dtype == tf.float64
    assert tf.nn.avg_pool2d(tf.constant(x), 2, 1, "SAME").dtype == tf.float64
    # a numpy filter takes the input's dtype, as in TF; tensors must match
    y32 = tf.nn.conv2d(tf.constant(x.astype("float32")), w, 1, "VALID")
    assert y32.dtype == tf.float32
    with pytest.raises(
        errors.InvalidArgumentError, match="expected to be a float tensor"
    ):
        tf.nn.conv2d(tf.constant(x.astype("float32")), tf.constant(w), 1, "VALID")


def _thread_workload() -> List[np.ndarray]:
    """Big enough (millions of multiply-adds a convolution) to use several threads."""
    rng = np.random.default_rng(21)
    x = tf.constant(rng.normal(size=(6, 24, 20, 16)).astype("float32"))
    w = tf.constant(rng.normal(size=(3, 3, 8, 16)).astype("float32"))
    w2 = tf.constant(rng.normal(size=(3, 3, 16, 16)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch([x, w, w2])
        y = tf.nn.conv2d(x, w, 1, "SAME", dilations=[1, 2])
        p = tf.nn.max_pool2d(y, 3, 2, "SAME") + tf.nn.avg_pool2d(y, 3, 2, "SAME")
        t = tf.nn.conv2d_transpose(p, w2, [6, 24, 20, 16], 2, "SAME")
        loss = tf.reduce_sum(t * t)
    grads = tape.gradient(loss, [x, w, w2])
    return [y.numpy(), p.numpy(), t.numpy()] + [g.numpy() for g in grads]


def test_results_do_not_depend_on_the_thread_count(num_threads) -> None:
    num_threads(1)
    one = _thread_workload()
    for n in (2, 3, 8):
        tf.config.threading.set_intra_op_parallelism_threads(n)
        assert tf.config.threading.get_intra_op_parallelism_threads() == n
        for a, b in zip(one, _thread_workload()):
            np.testing.assert_array_equal(a, b)


def test_local_response_normalization_as_tf() -> None:
    """tf.nn.local_response_normalization against its formula in numpy, and TF 2.21's
    numbers for the same seeded input (printed by the peer: first values, sum, and the
    sum of the gradient of sum(lrn(x) ** 2) at TF's defaults)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 3, 7)).astype(np.float32)
    y = tf.nn.local_response_normalization(x, depth_radius=2, bias=1.5, alpha=0.3, beta=0.75)
    sq = np.pad(x.astype(np.float64) ** 2, [(0, 0), (0, 0), (0, 0), (2, 2)])
    window = sum(sq[..., k:k + 7] for k in range(5))
    np.testing.assert_allclose(y.numpy(), x / (1.5 + 0.3 * window) ** 0.75, rtol=1e-5)
    np.testing.assert_allclose(
        y.numpy().ravel()[:6],
        [0.08703542, -0.09130979, 0.42595667, 0.06874135, -0.29044214, 0.2044584], rtol=1e-5)
    assert abs(float(tf.reduce_sum(y)) - 3.6722893714904785) < 1e-4
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        z = tf.reduce_sum(tf.nn.lrn(xt) ** 2)
    assert abs(float(tf.reduce_sum(tape.gradient(z, xt))) - 0.21814878284931183) < 1e-4
    with pytest.raises(errors.InvalidArgumentError, match="in must be 4-dimensional"):
        tf.nn.local_response_normalization(x[0])


@pytest.mark.parametrize("xs,ws,win", [
    ((2, 9, 8, 3), (3, 3, 3, 5), ((1, 1), (1, 1), (1, 1), (1, 1))),   # im2col tiles
    ((2, 6, 6, 4), (1, 1, 4, 6), ((1, 1), (1, 1), (0, 0), (0, 0))),   # pointwise: one GEMM
    ((1, 7, 7, 4), (3, 3, 2, 6), ((2, 2), (1, 1), (1, 0), (1, 0))),   # two groups
    ((3, 10, 4), (3, 4, 2), ((1,), (2,), (4,), (0,))),                 # 1-D, causal
])
@pytest.mark.parametrize("relu", [False, True])
def test_fused_bias_and_relu_are_the_three_ops_bit_for_bit(xs, ws, win, relu) -> None:
    """conv_bias_act (Keras's Conv layers with a bias) gives exactly relu(conv + bias)."""
    from tapeflow.ops import conv_ops

    rng = np.random.default_rng(5)
    x = tf.constant(rng.standard_normal(xs).astype(np.float32))
    w = tf.constant(rng.standard_normal(ws).astype(np.float32))
    b = tf.constant(rng.standard_normal(ws[-1]).astype(np.float32))
    want = conv_ops._conv(x, w, win) + b
    if relu:
        want = tf.nn.relu(want)
    got = conv_ops._conv_bias_act(x, w, b, win, relu)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(errors.InvalidArgumentError, match="bias must be 1-D"):
        conv_ops._conv_bias_act(x, w, tf.zeros((ws[-1] + 1,)), win, relu)


def test_max_pool_with_argmax_as_tf() -> None:
    """TF 2.21's outputs and indices (printed by the peer) for a batch of two 3x3x2
    images with ties: the first maximum in window order; include_batch_in_index adds
    batch * H * W * C; int32 on request; the gradient is max_pool2d's."""
    x = np.array([[[[1., 5.], [3., 5.], [2., 0.]], [[4., 1.], [4., 2.], [0., 9.]],
                   [[7., 7.], [1., 1.], [2., 3.]]]], np.float32)
    x = np.concatenate([x, x * 2], 0)
    tf_out = {
        ("VALID", False): ([4, 5, 4, 9, 7, 7, 4, 9, 8, 10, 8, 18, 14, 14, 8, 18],
                           [6, 1, 8, 11, 12, 13, 8, 11, 6, 1, 8, 11, 12, 13, 8, 11]),
        ("SAME", False): ([4, 5, 2, 9, 7, 7, 2, 3, 8, 10, 4, 18, 14, 14, 4, 6],
                          [6, 1, 4, 11, 12, 13, 16, 17, 6, 1, 4, 11, 12, 13, 16, 17]),
        ("VALID", True): ([4, 5, 4, 9, 7, 7, 4, 9, 8, 10, 8, 18, 14, 14, 8, 18],
                          [6, 1, 8, 11, 12, 13, 8, 11, 24, 19, 26, 29, 30, 31, 26, 29]),
        ("SAME", True): ([4, 5, 2, 9, 7, 7, 2, 3, 8, 10, 4, 18, 14, 14, 4, 6],
                         [6, 1, 4, 11, 12, 13, 16, 17, 24, 19, 22, 29, 30, 31, 34, 35]),
    }
    for (pad, inc), (vals, idx) in tf_out.items():
        out, arg = tf.nn.max_pool_with_argmax(x, 2, 1 if pad == "VALID" else 2, pad,
                                              include_batch_in_index=inc)
        np.testing.assert_array_equal(out.numpy().ravel(), vals)
        np.testing.assert_array_equal(arg.numpy().ravel(), idx)
        assert arg.dtype == tf.int64
    assert tf.nn.max_pool_with_argmax(x, 2, 2, "SAME", output_dtype=tf.int32)[1].dtype == tf.int32
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out, _ = tf.nn.max_pool_with_argmax(xt, 2, 1, "VALID")
    np.testing.assert_array_equal(  # TF's gradient of sum(out), from the peer
        tape.gradient(out, xt).numpy().ravel(),
        [0, 1, 0, 0, 0, 0, 1, 0, 2, 0, 0, 2, 1, 1, 0, 0, 0, 0,
         0, 1, 0, 0, 0, 0, 1, 0, 2, 0, 0, 2, 1, 1, 0, 0, 0, 0])
    with pytest.raises(errors.InvalidArgumentError, match="tensor_in must be 4-dimensional"):
        tf.nn.max_pool_with_argmax(x[0], 2, 2, "SAME")
    with pytest.raises(ValueError, match="other  than 'NHWC'"):
        tf.nn.max_pool_with_argmax(x, 2, 2, "SAME", data_format="NCHW")
