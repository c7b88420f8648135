"""GPU kernels against the CPU kernels (skipped without a GPU).

Every op runs on both devices on the same inputs: exact equality where the arithmetic is
the same (elementwise arithmetic, casts, data movement, integer ops, random numbers),
tolerances where the order of operations differs (reductions, matmul) or the device's
libm differs (transcendental functions, float64 normal numbers). The whole suite can also
run under a GPU scope (``TAPEFLOW_TEST_DEVICE=GPU:0``, see conftest.py).
"""

import numpy as np
import pytest

import tapeflow as tf
from core_utils import BOOL
from op_specs import REDUCE_OPS, UNARY_OPS
from tapeflow import _core

pytestmark = pytest.mark.skipif(_core.cuda_device_count() == 0, reason="no GPU")

GPU = "GPU:0"
RNG = np.random.default_rng(0)
FLOATS = [np.float32, np.float64]


def gpu(a):
    return _core.to_device(a if isinstance(a, _core.Array) else _core.from_numpy(a), GPU)


def host(a):
    out = _core.to_device(a, "CPU:0")
    assert a.device == GPU, "the GPU op did not return a GPU array"
    return np.asarray(out)


def data(shape, dtype, positive=False):
    """An ndarray (rank 0 too) of `shape`."""
    if dtype == np.bool_:
        return np.asarray(RNG.random(shape) < 0.5)
    if np.issubdtype(dtype, np.integer):
        return np.asarray(RNG.integers(1 if positive else -50, 50, size=shape), dtype)
    x = np.asarray(RNG.standard_normal(shape), dtype)
    return np.abs(x) + dtype(0.1) if positive else x


def same(cpu_out, gpu_out, rtol=0.0, atol=0.0):
    c = np.asarray(cpu_out)
    g = host(gpu_out)
    assert c.dtype == g.dtype and c.shape == g.shape
    if rtol == 0 and atol == 0:
        np.testing.assert_array_equal(g, c)
    else:
        np.testing.assert_allclose(g, c, rtol=rtol, atol=atol)


# From tests/op_specs.py: ops whose device results may differ in the last bits, and ops
# that need positive inputs.
TRANSCENDENTAL = {s.name for s in UNARY_OPS if s.transcendental}
POSITIVE = {s.name for s in UNARY_OPS if s.positive}


@pytest.mark.parametrize("name", _core.unary_ops())
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_])
def test_unary(name, dtype):
    x = data((37, 5), dtype, positive=name in POSITIVE)
    a = _core.from_numpy(x)
    try:
        want = getattr(_core, name)(a)
    except tf.errors.InvalidArgumentError:
        with pytest.raises(tf.errors.InvalidArgumentError):
            getattr(_core, name)(gpu(a))
        return
    # both devices' float functions are within a few ulp of the true value
    tol = 2e-6 if dtype == np.float32 else 4e-15
    if name in TRANSCENDENTAL and dtype in FLOATS:
        same(want, getattr(_core, name)(gpu(a)), rtol=tol, atol=tol)
    else:
        same(want, getattr(_core, name)(gpu(a)))
    # a transposed (strided) input takes the n-d path
    t = _core.transpose(a)
    same(getattr(_core, name)(t), getattr(_core, name)(_core.transpose(gpu(a))),
         rtol=tol if name in TRANSCENDENTAL else 0, atol=tol if name in TRANSCENDENTAL else 0)


@pytest.mark.parametrize("name", _core.binary_ops())
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_])
@pytest.mark.parametrize("shapes", [((6, 7), (6, 7)), ((6, 1), (1, 7)), ((3, 1, 5), (4, 1)),
                                    ((), (5,)), ((0, 3), (3,))])
def test_binary(name, dtype, shapes):
    positive = name in ("div", "floordiv", "mod", "pow")
    x = data(shapes[0], dtype)
    y = data(shapes[1], dtype, positive=positive)
    if name == "pow" and np.issubdtype(dtype, np.integer):
        x, y = np.asarray(x % 5), np.asarray(y % 4)
    a, b = _core.from_numpy(x), _core.from_numpy(y)
    try:
        want = getattr(_core, name)(a, b)
    except tf.errors.InvalidArgumentError:
        with pytest.raises(tf.errors.InvalidArgumentError):
            getattr(_core, name)(gpu(a), gpu(b))
        return
    got = getattr(_core, name)(gpu(a), gpu(b))
    if name == "pow" and dtype in FLOATS:
        same(want, got, rtol=1e-6 if dtype == np.float32 else 1e-14)
    else:
        same(want, got)


def test_integer_division_by_zero_is_checked_on_gpu():
    a, b = gpu(np.array([1, 2], np.int32)), gpu(np.array([1, 0], np.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Integer division by zero"):
        _core.floordiv(a, b)


@pytest.mark.parametrize("src", [np.float32, np.float64, np.int32, np.int64, np.bool_])
@pytest.mark.parametrize("dst", [np.float32, np.float64, np.int32, np.int64, np.bool_])
def test_cast_and_copy(src, dst):
    x = data((9, 4), src)
    a = _core.from_numpy(x)
    same(_core.cast(a, tf.as_dtype(dst)._core), _core.cast(gpu(a), tf.as_dtype(dst)._core))
    same(_core.copy(_core.transpose(a)), _core.copy(_core.transpose(gpu(a))))


@pytest.mark.parametrize("op", [s.name for s in REDUCE_OPS if s.dtypes != BOOL] +
                         ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("shape,axes", [((1000,), None), ((7, 300), [1]), ((300, 7), [0]),
                                        ((3000, 2000), [0]), ((2, 3, 4), [0, 2]),
                                        ((5, 0), [1]), ((2, 70000), [1]), ((130001,), [0]),
                                        ((4, 5), [])])
def test_reductions(op, dtype, shape, axes):
    if op == "logsumexp" and dtype not in FLOATS:
        return
    if op in ("argmax", "argmin") and (axes is None or len(axes) != 1):
        return
    x = data(shape, dtype)
    if op == "prod":
        x = (np.sign(x) * 1.0001).astype(dtype) if dtype in FLOATS else np.sign(x).astype(dtype)
    a = _core.from_numpy(x)
    if op in ("argmax", "argmin"):
        if 0 in shape:
            return
        same(getattr(_core, op)(a, axes[0]), getattr(_core, op)(gpu(a), axes[0]))
        return
    want = _core.reduce(op, a, axes, False)
    got = _core.reduce(op, gpu(a), axes, False)
    tol = 0.0
    if dtype in FLOATS and op in ("sum", "logsumexp", "prod"):
        # summation order differs (tree vs pairwise); products accumulate linearly
        n = max(1, int(np.prod(shape)) // max(1, int(np.prod(want.shape))))
        eps = 1.2e-7 if dtype == np.float32 else 2.3e-16
        tol = eps * (n if op == "prod" else 10 * np.sqrt(n)) + eps
    same(want, got, rtol=tol, atol=tol)
    same(_core.reduce(op, a, axes, True), _core.reduce(op, gpu(a), axes, True), rtol=tol, atol=tol)


def test_bool_reductions_and_nan_rules():
    b = _core.from_numpy(RNG.random((50, 40)) < 0.02)
    for op in ("any", "all"):
        for axes in (None, [0], [1]):
            same(_core.reduce(op, b, axes, False), _core.reduce(op, gpu(b), axes, False))
    x = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 2.0, -1.0, 0.0]], np.float32)
    a = _core.from_numpy(x)
    for op in ("max", "min"):
        same(_core.reduce(op, a, [1], False), _core.reduce(op, gpu(a), [1], False))
    same(_core.argmax(a, 1), _core.argmax(gpu(a), 1))  # first NaN wins; ties: first index
    same(_core.argmin(a, 1), _core.argmin(gpu(a), 1))
    inf = _core.from_numpy(np.array([[-np.inf, -np.inf], [np.inf, 1.0]], np.float32))
    same(_core.reduce("logsumexp", inf, [1], False), _core.reduce("logsumexp", gpu(inf), [1], False))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("sa,sb,ta,tb", [((5, 3), (3, 4), False, False),
                                         ((129, 257), (257, 131), False, False),
                                         ((64, 1), (1, 200), False, False),
                                         ((3, 7), (5, 3), True, True),
                                         ((4, 2, 9), (9, 6), False, False),
                                         ((2, 1, 8, 3), (5, 3, 4), False, False),
                                         ((6, 0), (0, 5), False, False),
                                         ((2000, 2), (2, 1), False, False),
                                         # K, N multiples of 4: the float32 vector kernel
                                         ((130, 68), (68, 132), False, False),
                                         ((3, 2, 36, 64), (64, 20), False, False),
                                         ((1, 4), (4, 4), False, False),
                                         ((72, 260), (264, 72), True, True)])
@pytest.mark.parametrize("cublas", [True, False])
def test_matmul(dtype, sa, sb, ta, tb, cublas):
    if not cublas and not _core.cuda_has_cublas() and dtype != np.float32:
        return  # the same kernel as cublas=True then
    x, y = data(sa, dtype), data(sb, dtype)
    if dtype not in FLOATS:  # small integers: exact sums of products
        x, y = x % 7, y % 7
    a, b = _core.from_numpy(x), _core.from_numpy(y)
    _core.cuda_set_use_cublas(cublas)
    try:
        got = _core.matmul(gpu(a), gpu(b), ta, tb)
    finally:
        _core.cuda_set_use_cublas(True)
    want = _core.matmul(a, b, ta, tb)
    if dtype in FLOATS:
        k = sa[-2] if ta else sa[-1]
        eps = 1e-6 if dtype == np.float32 else 1e-14
        same(want, got, rtol=eps * 10 * np.sqrt(k + 1), atol=eps * 10 * np.sqrt(k + 1))
    else:
        same(want, got)


def test_data_movement():
    x = data((4, 5, 6), np.float32)
    a, g = _core.from_numpy(x), gpu(x)
    same(_core.concat([a, a], 1), _core.concat([g, g], 1))
    same(_core.stack([a, a, a], 2), _core.stack([g, g, g], 2))
    same(_core.tile(a, [2, 1, 3]), _core.tile(g, [2, 1, 3]))
    same(_core.pad(a, [(1, 2), (0, 0), (3, 1)], 7.0), _core.pad(g, [(1, 2), (0, 0), (3, 1)], 7.0))
    same(_core.copy(_core.slice(a, (slice(None, None, -2), 1))),
         _core.copy(_core.slice(g, (slice(None, None, -2), 1))))
    v = _core.from_numpy(np.full((2, 6), 9.0, np.float32))
    same(_core.slice_assign(a, (slice(1, 3), 2), v), _core.slice_assign(g, (slice(1, 3), 2), gpu(v)))
    idx = _core.from_numpy(np.array([[3, 0], [1, 1]], np.int32))
    for axis in (0, 1, 2):
        i = _core.from_numpy(np.array([[3, 0], [1, 1]], np.int32) % x.shape[axis])
        same(_core.gather(a, i, axis), _core.gather(g, gpu(i), axis))
    upd = data((2, 2, 5, 6), np.float32)
    same(_core.scatter_add(idx, _core.from_numpy(upd), [4, 5, 6], 0),
         _core.scatter_add(gpu(idx), gpu(upd), [4, 5, 6], 0), rtol=1e-6, atol=1e-6)
    for dt in (tf.float32._core, tf.int32._core):
        for axis in (-1, 0):
            same(_core.one_hot(idx, 4, 1.0, 0.0, axis, dt), _core.one_hot(gpu(idx), 4, 1.0, 0.0, axis, dt))
    c = _core.from_numpy(RNG.random((4, 1, 6)) < 0.5)
    m1 = np.array(-1, np.float32)
    same(_core.where(c, a, _core.from_numpy(m1)), _core.where(gpu(c), g, gpu(m1)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in"):
        _core.gather(g, gpu(np.array([7], np.int64)), 0)


def test_fused_ops():
    logits = data((33, 10), np.float32)
    labels = RNG.integers(0, 10, 33).astype(np.int32)
    c = _core.sparse_softmax_xent(_core.from_numpy(logits), _core.from_numpy(labels))
    g = _core.sparse_softmax_xent(gpu(logits), gpu(labels))
    same(c[0], g[0], rtol=1e-6, atol=1e-6)
    same(c[1], g[1], rtol=1e-6, atol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside the valid range"):
        _core.sparse_softmax_xent(gpu(logits), gpu(labels + 10))
    arrs = [data((100,), np.float32) for _ in range(3)]
    arrs[2] = np.abs(arrs[2])
    grad = data((100,), np.float32)
    scalars = [_core.full((), _core.DType.float32, x) for x in (1e-3, 0.9 ** 3, 0.999 ** 3)]
    c = _core.apply_adam(*[_core.from_numpy(v) for v in arrs], _core.from_numpy(grad), *scalars,
                         0.1, 0.001, 1e-7)
    g = _core.apply_adam(*[gpu(v) for v in arrs], gpu(grad), *scalars, 0.1, 0.001, 1e-7)
    for cc, gg in zip(c, g):
        same(cc, gg, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind", ["uniform", "normal", "truncated_normal"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 4099])
def test_random_is_the_cpu_stream(kind, dtype, n):
    key, ctr = (123, 456), (7, 0, 1, 0)
    fn = getattr(_core, "random_" + kind)
    dt = tf.as_dtype(dtype)._core
    want, blocks = fn([n], dt, key, ctr)
    with tf.device("/GPU:0"):
        got, gblocks = fn([n], dt, key, ctr)
    assert blocks == gblocks
    if kind == "uniform" or dtype == np.float32:
        same(want, got)  # bit for bit
    else:
        same(want, got, rtol=4e-16, atol=4e-16)  # device and host libm may differ by an ulp


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_random_int_is_the_cpu_stream(dtype):
    dt = tf.as_dtype(dtype)._core
    want, _ = _core.random_uniform_int([1001], dt, -5, 1000, (1, 2), (3, 4, 5, 6))
    with tf.device("/GPU:0"):
        got, _ = _core.random_uniform_int([1001], dt, -5, 1000, (1, 2), (3, 4, 5, 6))
    same(want, got)


# ---- the tensor API on the GPU ---------------------------------------------------------

def test_placement_rules():
    x_cpu = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.device("/GPU:0"):
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        y = x @ x + 1.0
        assert x.device.endswith("GPU:0") and y.device.endswith("GPU:0")
        z = x_cpu * 2  # a CPU input is copied to the scope's device
        assert z.device.endswith("GPU:0")
        r = tf.random.normal([3], seed=1)
        assert r.device.endswith("GPU:0")
    w = y - x_cpu  # no scope: a GPU input puts the op on the GPU
    assert w.device.endswith("GPU:0")
    with tf.device("/CPU:0"):
        back = y * 1.0
    assert back.device.endswith("CPU:0")
    np.testing.assert_array_equal(y.numpy(), x_cpu.numpy() @ x_cpu.numpy() + 1)
    np.testing.assert_array_equal(np.asarray(w), y.numpy() - x_cpu.numpy())
    assert "tf.Tensor" in str(y) and float(tf.reduce_sum(y)) == float(np.sum(y.numpy()))
    v = tf.Variable(tf.zeros([2]))
    with tf.device("/GPU:0"):
        g = tf.Variable(tf.ones([2]))
        v.assign(tf.ones([2]) * 3)
    assert v.device.endswith("CPU:0") and g.device.endswith("GPU:0")
    g.assign_add([1.0, 1.0])
    assert g.device.endswith("GPU:0")
    np.testing.assert_array_equal(g.numpy(), [2.0, 2.0])


def test_gradients_on_gpu_match_cpu():
    def run():
        w = tf.Variable(tf.random.normal([4, 3], seed=3, dtype=tf.float64))
        x = tf.random.normal([5, 4], seed=4, dtype=tf.float64)
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                y = tf.reduce_sum(tf.nn.softmax(tf.tanh(x @ w)) ** 2)
            g = inner.gradient(y, w)
            s = tf.reduce_sum(g * g)
        return y.numpy(), g.numpy(), outer.gradient(s, w).numpy()

    tf.random.set_seed(0)
    cpu = run()
    tf.random.set_seed(0)
    with tf.device("/GPU:0"):
        gpu_res = run()
    for c, g in zip(cpu, gpu_res):
        np.testing.assert_allclose(g, c, rtol=1e-10, atol=1e-12)


def test_keras_fit_on_gpu_matches_cpu():
    from tapeflow import keras

    def train():
        keras.utils.set_random_seed(1)
        rng = np.random.default_rng(1)
        x = rng.standard_normal((256, 8)).astype(np.float32)
        y = (x[:, :1] > 0).astype(np.float32)
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        h = model.fit(x, y, epochs=3, batch_size=32, verbose=0, shuffle=False)
        return h.history["loss"], model.predict(x[:5], verbose=0), model

    cpu_loss, cpu_pred, _ = train()
    with tf.device("/GPU:0"):
        gpu_loss, gpu_pred, model = train()
    assert model.weights[0].device.endswith("GPU:0")
    np.testing.assert_allclose(gpu_loss, cpu_loss, rtol=1e-4)
    np.testing.assert_allclose(gpu_pred, cpu_pred, rtol=1e-4, atol=1e-5)
    assert gpu_loss[-1] < gpu_loss[0]


def test_gpu_memory_is_cached_and_released():
    _core.cuda_synchronize()
    before = _core.device_bytes_in_use()
    a = gpu(np.ones((1024, 1024), np.float32))
    assert _core.device_bytes_in_use() >= before + (4 << 20)
    del a
    assert _core.device_bytes_in_use() == before
    cached = _core.device_bytes_cached()
    assert cached >= 4 << 20
    b = gpu(np.ones((1024, 1024), np.float32))  # reuses the cached block
    assert _core.device_bytes_cached() == cached - (4 << 20) or _core.device_bytes_cached() < cached
    del b
    _core.empty_cache()
    assert _core.device_bytes_cached() == 0


# ---- convolutions and pools (csrc/cuda/conv.cu: direct kernels) ---------------------
CONV_CASES = [  # x shape, w shape, strides, dilations, pad_before, pad_after
    ((2, 7, 6, 3), (3, 3, 3, 4), (1, 1), (1, 1), (1, 1), (1, 1)),
    ((1, 9, 8, 4), (3, 2, 2, 6), (2, 1), (1, 2), (0, 1), (1, 0)),   # grouped (2 groups)
    ((2, 11, 3), (3, 3, 5), (2,), (1,), (2,), (0,)),                # 1-D, causal-like
    ((1, 4, 5, 4, 2), (2, 2, 2, 2, 3), (1, 2, 1), (1, 1, 1), (0, 1, 0), (1, 0, 1)),  # 3-D
    ((1, 6, 6, 4), (3, 3, 1, 8), (1, 1), (1, 1), (1, 1), (1, 1)),   # depthwise, multiplier 2
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_and_its_gradients_match_cpu(case, dtype):
    xs, ws, st, dl, pb, pa = case
    win = _core.Window(list(st), list(dl), list(pb), list(pa))
    x, w = data(xs, dtype), data(ws, dtype)
    y = _core.conv(_core.from_numpy(x), _core.from_numpy(w), win)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    same(y, _core.conv(gpu(x), gpu(w), win), rtol=tol, atol=tol)
    dy = data(tuple(np.asarray(y).shape), dtype)
    same(_core.conv_backprop_input(list(xs), _core.from_numpy(w), _core.from_numpy(dy), win),
         _core.conv_backprop_input(list(xs), gpu(w), gpu(dy), win), rtol=tol, atol=tol)
    same(_core.conv_backprop_filter(_core.from_numpy(x), list(ws), _core.from_numpy(dy), win),
         _core.conv_backprop_filter(gpu(x), list(ws), gpu(dy), win), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("xs,k,st,pb,pa", [
    ((2, 7, 6, 3), [2, 2], [2, 2], [0, 0], [0, 0]),
    ((1, 5, 5, 2), [3, 3], [2, 2], [1, 1], [1, 1]),   # SAME-like, overlapping windows
    ((1, 4, 4, 4, 2), [2, 2, 2], [2, 2, 2], [0, 0, 0], [0, 0, 0]),
])
def test_pools_and_their_gradients_match_cpu(xs, k, st, pb, pa, dtype):
    win = _core.Window(st, [1] * len(k), pb, pa)
    x = np.round(data(xs, dtype) * 2) / 2  # ties in some windows: the tie rules must agree
    cx = _core.from_numpy(x)
    for fwd, bwd in ((_core.max_pool, lambda a, d, dev: _core.max_pool_grad(a, d, k, win)),
                     (_core.avg_pool, lambda a, d, dev: _core.avg_pool_grad(list(xs), d, k, win))):
        y = fwd(cx, k, win)
        same(y, fwd(gpu(x), k, win), rtol=1e-6, atol=1e-6)
        dy = data(tuple(np.asarray(y).shape), dtype)
        same(bwd(cx, _core.from_numpy(dy), "cpu"), bwd(gpu(x), gpu(dy), "gpu"),
             rtol=1e-6, atol=1e-6)


def test_max_pool_with_argmax_matches_cpu():
    x = np.round(data((2, 5, 6, 3), np.float32) * 2) / 2  # ties: the first maximum
    win = _core.Window([2, 2], [1, 1], [0, 0], [1, 0])
    for include_batch in (False, True):
        cy, ci = _core.max_pool_with_argmax(_core.from_numpy(x), [2, 2], win, include_batch)
        gy, gi = _core.max_pool_with_argmax(gpu(x), [2, 2], win, include_batch)
        same(cy, gy)
        same(ci, gi)


@pytest.mark.parametrize("dtype", FLOATS)
def test_batch_norm_matches_cpu(dtype):
    x, g, b = data((6, 5, 4), dtype), data((4,), dtype), data((4,), dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    cpu_out = _core.batch_norm(_core.from_numpy(x), _core.from_numpy(g), _core.from_numpy(b), 1e-3)
    gpu_out = _core.batch_norm(gpu(x), gpu(g), gpu(b), 1e-3)
    for c, d in zip(cpu_out, gpu_out):
        same(c, d, rtol=tol, atol=tol)
    dy = data((6, 5, 4), dtype)
    cpu_g = _core.batch_norm_grad(_core.from_numpy(dy), _core.from_numpy(x), _core.from_numpy(g),
                                  cpu_out[1], cpu_out[2], 1e-3)
    gpu_g = _core.batch_norm_grad(gpu(dy), gpu(x), gpu(g), gpu_out[1], gpu_out[2], 1e-3)
    for c, d in zip(cpu_g, gpu_g):
        same(c, d, rtol=tol, atol=tol)


def test_convnet_fit_on_gpu_matches_cpu():
    """The book's convnet block (Conv2D, MaxPooling2D, Flatten, Dense) trained two steps
    on each device from the same weights."""
    from tapeflow import keras

    L = keras.layers
    x = RNG.random((16, 12, 12, 1)).astype(np.float32)
    y = RNG.integers(0, 3, 16)

    def make():
        keras.utils.set_random_seed(3)
        m = keras.Sequential([keras.Input((12, 12, 1)), L.Conv2D(4, 3, activation="relu"),
                              L.MaxPooling2D(2), L.Conv2D(6, 3, padding="same"),
                              L.Flatten(), L.Dense(3)])
        m.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(True))
        return m

    cpu_model = make()
    cpu_model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    with tf.device("/GPU:0"):
        gpu_model = make()
        gpu_model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(cpu_model.get_weights(), gpu_model.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
