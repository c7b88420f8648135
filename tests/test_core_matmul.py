"""Batched matmul of the native core against numpy (tf.linalg.matmul semantics)."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from core_utils import FLOATS, NUMERIC, as_layout, dtype_id, errors, to_core
from hypothesis import given
from hypothesis.extra import numpy as hnp

from tapeflow import _core

RTOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-12}


def random_matrix(rng, shape, dtype) -> np.ndarray:
    if np.dtype(dtype).kind == "i":
        return rng.integers(-50, 50, shape).astype(dtype)
    return rng.uniform(-1, 1, shape).astype(dtype)


def matmul_ref(a, b, transpose_a=False, transpose_b=False) -> np.ndarray:
    """numpy matmul in float64 (exact for the small ints used here)."""
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    wide = np.float64 if a.dtype.kind == "f" else a.dtype
    return np.matmul(a.astype(wide), b.astype(wide))


def check(got, a, b, **kw) -> None:
    got = np.asarray(got)
    want = matmul_ref(a, b, **kw)
    assert got.dtype == a.dtype and got.shape == want.shape
    if a.dtype.kind == "f":
        k = a.shape[-2] if kw.get("transpose_a") else a.shape[-1]
        atol = 4 * k * np.finfo(a.dtype).eps  # |entries| <= 1
        np.testing.assert_allclose(got, want, rtol=RTOL[a.dtype], atol=atol)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", NUMERIC, ids=dtype_id)
@given(
    m=st.integers(0, 13),
    k=st.integers(0, 13),
    n=st.integers(0, 13),
    batch=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3),
    ta=st.booleans(),
    tb=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_matmul_matches_numpy(dtype, m, k, n, batch, ta, tb, seed):
    """Any M, K, N (0 included), broadcast batch dims, transpose_a / transpose_b."""
    rng = np.random.default_rng(seed)
    ba, bb = batch.input_shapes
    a = random_matrix(rng, ba + ((k, m) if ta else (m, k)), dtype)
    b = random_matrix(rng, bb + ((n, k) if tb else (k, n)), dtype)
    got = _core.matmul(to_core(a), to_core(b), transpose_a=ta, transpose_b=tb)
    check(got, a, b, transpose_a=ta, transpose_b=tb)


@pytest.mark.parametrize("dtype", NUMERIC, ids=dtype_id)
@pytest.mark.parametrize(
    ("m", "k", "n"),
    [(70, 70, 70), (130, 129, 131), (1, 300, 1), (5, 300, 7), (3, 10, 300), (4, 1, 4)],
)
def test_matmul_blocking_edges(dtype, m, k, n, num_threads):
    """Sizes around the kernel's 4-row groups and 256-wide K / N blocks, on one and on
    several threads (row bands)."""
    rng = np.random.default_rng(m * 1000 + k + n)
    a, b = random_matrix(rng, (m, k), dtype), random_matrix(rng, (k, n), dtype)
    for threads in (1, 3):
        num_threads(threads)
        check(_core.matmul(to_core(a), to_core(b)), a, b)


@pytest.mark.parametrize("dtype", NUMERIC, ids=dtype_id)
@pytest.mark.parametrize(
    "shape_a,shape_b",
    [((2000, 2), (2000, 1)), ((128, 64), (128, 64)), ((300, 13), (300, 7)),
     ((301, 15), (301, 33)), ((5, 1), (5, 40)), ((3, 40, 6), (40, 5))],
)
def test_matmul_transposed_a_in_place(dtype, shape_a, shape_b, num_threads):
    """x^T @ dy (a weight's gradient) reads x in place: long K with few rows and columns
    (the skinny tiles keep several accumulator sets), tile edges, batches, threads."""
    rng = np.random.default_rng(sum(shape_a) + sum(shape_b))
    a, b = random_matrix(rng, shape_a, dtype), random_matrix(rng, shape_b, dtype)
    for threads in (1, 3):
        num_threads(threads)
        check(_core.matmul(to_core(a), to_core(b), transpose_a=True), a, b, transpose_a=True)


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_id)
def test_matmul_batched_threads(dtype, num_threads):
    """A batch smaller than the thread count is split into row bands per matrix."""
    rng = np.random.default_rng(7)
    a = random_matrix(rng, (3, 1, 45, 33), dtype)
    b = random_matrix(rng, (2, 33, 50), dtype)
    for threads in (1, 2, 8):
        num_threads(threads)
        check(_core.matmul(to_core(a), to_core(b)), a, b)


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_id)
@pytest.mark.parametrize(
    "shape_a,shape_b",
    [((300, 400), (400, 610)), ((610, 1000), (1000, 250)), ((2, 77, 520), (520, 450)),
     ((97, 1024), (1024, 300))],
)
def test_matmul_packed_threads(dtype, shape_a, shape_b, num_threads):
    """Products whose B is packed, split between threads: column bands when B is wider
    than A is tall, row bands otherwise, per batch item; rows 4 KiB apart (A packed)."""
    rng = np.random.default_rng(sum(shape_a) + sum(shape_b))
    a, b = random_matrix(rng, shape_a, dtype), random_matrix(rng, shape_b, dtype)
    for threads in (1, 2, 3):
        num_threads(threads)
        check(_core.matmul(to_core(a), to_core(b)), a, b)


def test_matmul_k_zero_gives_zeros():
    """(M, 0) @ (0, N) is an M x N matrix of zeros, as numpy and TF."""
    got = _core.matmul(to_core(np.ones((3, 0))), to_core(np.ones((0, 4))))
    np.testing.assert_array_equal(np.asarray(got), np.zeros((3, 4)))
    a, b = np.ones((2, 3, 0), np.int32), np.ones((0, 4), np.int32)
    got = _core.matmul(to_core(a), to_core(b))
    np.testing.assert_array_equal(np.asarray(got), np.zeros((2, 3, 4), np.int32))


@pytest.mark.parametrize("layout", ["transposed", "reversed", "strided", "broadcast"])
def test_matmul_of_views(layout):
    """Non-contiguous operands (views made by the core) multiply like their values."""
    rng = np.random.default_rng(8)
    a, b = rng.uniform(-1, 1, (2, 6, 5)), rng.uniform(-1, 1, (2, 5, 7))
    ca, ra = as_layout(a, layout)
    cb, rb = as_layout(b, layout)
    check(_core.matmul(ca, cb), ra, rb)
    check(_core.matmul(ca, cb), np.ascontiguousarray(ra), np.ascontiguousarray(rb))


def test_matmul_int32_wraps():
    """Integer matmul accumulates in the dtype, wrapping like numpy."""
    a = np.full((2, 3), 2**20, np.int32)
    b = np.full((3, 2), 2**12, np.int32)
    got = np.asarray(_core.matmul(to_core(a), to_core(b)))
    np.testing.assert_array_equal(got, np.matmul(a, b))


def test_matmul_rejects_bad_arguments():
    """Rank < 2, mismatched K, unbroadcastable batches, mixed or bool dtypes."""
    m = to_core(np.ones((2, 3)))
    cases = [
        (to_core(np.ones(3)), m, "rank >= 2"),
        (m, to_core(np.ones(3)), "rank >= 2"),
        (m, m, "size-incompatible"),
        (to_core(np.ones((2, 2, 3))), to_core(np.ones((3, 3, 4))), "Incompatible"),
        (m, to_core(np.ones((3, 2), np.float32)), "dtypes must match"),
        (to_core(np.ones((2, 2), bool)), to_core(np.ones((2, 2), bool)), "dtype bool"),
    ]
    for a, b, msg in cases:
        with pytest.raises(errors.InvalidArgumentError, match=rf"^\[matmul\] .*{msg}"):
            _core.matmul(a, b)
    with pytest.raises(errors.InvalidArgumentError, match="size-incompatible"):
        _core.matmul(m, m, transpose_a=True, transpose_b=True)
    assert _core.matmul(m, m, transpose_b=True).shape == (2, 2)
