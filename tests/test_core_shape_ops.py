"""View ops (reshape, transpose, broadcast_to, expand_dims, squeeze, slice) and data
movement ops (concat, stack, gather, one_hot, tile, pad) against numpy."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from core_utils import (
    ALL,
    DT,
    LAYOUTS,
    SHAPES,
    Domain,
    arrays,
    as_layout,
    assert_matches,
    core_dtype,
    dtype_id,
    errors,
    to_core,
)
from hypothesis import given
from hypothesis.extra import numpy as hnp

from tapeflow import _core

SMALL_INTS = Domain(-100, 100, int_lo=-100, int_hi=100)


def numbered(shape, dtype=np.float32) -> np.ndarray:
    """0, 1, 2, ... in `shape`, so that any misplaced element shows."""
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape).astype(dtype)


# ---- views ------------------------------------------------------------------------


@given(data=st.data())
def test_reshape_matches_numpy_and_shares_storage(data):
    """tf.reshape with one -1; a contiguous input gives a view of the same storage,
    a strided one is copied first."""
    x = numbered(data.draw(SHAPES, label="shape"))
    arr, ref = as_layout(x, data.draw(st.sampled_from(LAYOUTS), label="layout"))
    target = data.draw(st.permutations(list(x.shape) + [1]), label="target")
    if x.size and data.draw(st.booleans()):  # (-1 beside a 0 is refused by both)
        target[data.draw(st.integers(0, len(target) - 1))] = -1
    got = _core.reshape(arr, target)
    assert_matches(got, ref.reshape(target))
    if arr.is_contiguous:
        assert got.shares_storage(arr)


@given(data=st.data())
def test_transpose_matches_numpy(data):
    """tf.transpose(x, perm) (negative entries allowed); empty perm reverses axes."""
    x = numbered(data.draw(SHAPES, label="shape"))
    arr, ref = as_layout(x, data.draw(st.sampled_from(LAYOUTS), label="layout"))
    perm = data.draw(st.permutations(range(x.ndim)), label="perm")
    written = [p - x.ndim if data.draw(st.booleans()) else p for p in perm]
    got = _core.transpose(arr, written)
    assert_matches(got, np.transpose(ref, perm))
    assert got.shares_storage(arr)
    assert_matches(_core.transpose(arr), ref.T)


@st.composite
def broadcast_pairs(draw):
    """(source shape, target shape) with source broadcastable to target."""
    target = draw(SHAPES)
    k = draw(st.integers(0, len(target)))
    source = tuple(d if draw(st.booleans()) else 1 for d in target[len(target) - k :])
    return source, target


@given(shapes=broadcast_pairs(), layout=st.sampled_from(LAYOUTS))
def test_broadcast_to_matches_numpy(shapes, layout):
    """tf.broadcast_to gives a stride-0 view of the same storage."""
    source, target = shapes
    arr, ref = as_layout(numbered(source), layout)
    got = _core.broadcast_to(arr, list(target))
    assert_matches(got, np.broadcast_to(ref, target))
    assert got.shares_storage(arr)


@given(shape=SHAPES, data=st.data())
def test_expand_dims_and_squeeze_match_numpy(shape, data):
    """tf.expand_dims(x, axis) for axis in [-rank-1, rank]; tf.squeeze(x) drops every
    size-1 axis, tf.squeeze(x, axes) only those (negative allowed)."""
    x = numbered(shape)
    arr, ref = as_layout(x, data.draw(st.sampled_from(LAYOUTS)))
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim), label="axis")
    expanded = _core.expand_dims(arr, axis)
    assert_matches(expanded, np.expand_dims(ref, axis))
    assert expanded.shares_storage(arr)
    assert_matches(_core.squeeze(expanded), np.squeeze(np.expand_dims(ref, axis)))
    assert_matches(_core.squeeze(expanded, [axis]), ref)
    ones = [i for i, d in enumerate(x.shape) if d == 1]
    some = data.draw(st.lists(st.sampled_from(ones), unique=True)) if ones else []
    if some:
        written = [a - x.ndim if data.draw(st.booleans()) else a for a in some]
        assert_matches(_core.squeeze(arr, written), np.squeeze(ref, tuple(some)))


def slice_items(dim_sizes):
    """Python index items for the leading dims: ints (in range) or slices with any
    start/stop (out of range too) and nonzero steps."""

    def item(n):
        bound = st.none() | st.integers(-n - 3, n + 3)
        step = st.none() | st.sampled_from([1, 2, 3, -1, -2, -4])
        sl = st.builds(slice, bound, bound, step)
        return st.one_of(sl, st.integers(-n, n - 1)) if n else sl

    return st.integers(0, len(dim_sizes)).flatmap(
        lambda k: st.tuples(*(item(n) for n in dim_sizes[:k]))
    )


@given(data=st.data())
def test_slice_matches_numpy_basic_indexing(data):
    """_core.slice(x, items) is x[items] (Python slice semantics, negative steps,
    int indices drop the dim), as a view of the same storage."""
    x = numbered(data.draw(SHAPES, label="shape"))
    arr, ref = as_layout(x, data.draw(st.sampled_from(LAYOUTS), label="layout"))
    items = data.draw(slice_items(x.shape), label="items")
    got = _core.slice(arr, items)
    assert_matches(got, ref[items])
    assert got.shares_storage(arr)
    # Slicing a slice composes (offsets and negative strides add up).
    again = data.draw(slice_items(got.shape), label="again")
    assert_matches(_core.slice(got, again), ref[items][again])


def test_views_share_storage_and_report_layout():
    """Views keep the base alive and report strides / offset in elements."""
    base = to_core(numbered((3, 4)))
    v = _core.slice(base, (slice(None, None, -1), slice(1, None, 2)))
    assert v.shape == (3, 2) and v.strides == (-4, 2) and v.offset == 9
    assert not v.is_contiguous and v.shares_storage(base)
    assert base.storage_use_count() >= 2
    t = _core.transpose(base)
    assert t.strides == (1, 4) and not t.is_contiguous
    del base
    assert_matches(v, numbered((3, 4))[::-1, 1::2])


# ---- concat / stack ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL, ids=dtype_id)
@given(data=st.data())
def test_concat_matches_numpy(dtype, data):
    """tf.concat(values, axis) of 1-4 inputs (0-sized pieces too), negative axis."""
    base = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4))
    axis = data.draw(st.integers(-len(base), len(base) - 1), label="axis")
    parts = []
    for _ in range(data.draw(st.integers(1, 4), label="count")):
        shape = list(base)
        shape[axis] = data.draw(st.integers(0, 3))
        parts.append(data.draw(arrays(dtype, tuple(shape), SMALL_INTS)))
    layouts = st.sampled_from(LAYOUTS)
    pairs = [as_layout(p, data.draw(layouts)) for p in parts]
    got = _core.concat([c for c, _ in pairs], axis)
    assert_matches(got, np.concatenate([r for _, r in pairs], axis))


@given(shape=SHAPES, count=st.integers(1, 3), data=st.data())
def test_stack_matches_numpy(shape, count, data):
    """tf.stack(values, axis) with axis in [-rank-1, rank], for any layout of the inputs
    (contiguous ones take the memcpy path, strided ones the general copy)."""
    parts = [numbered(shape) + 100 * i for i in range(count)]
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    layouts = st.sampled_from(LAYOUTS)
    pairs = [as_layout(p, data.draw(layouts)) for p in parts]
    got = _core.stack([c for c, _ in pairs], axis)
    assert_matches(got, np.stack([r for _, r in pairs], axis))


def test_stack_and_concat_give_tf_errors():
    import tapeflow as tf

    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Shapes of all inputs must "
                       r"match: values\[0\].shape = \[2\] != values\[1\].shape = \[3\] \[Op:Pack\]"):
        tf.stack([tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0, 3.0])])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"input #1\(zero-based\) was "
                       "expected to be a float tensor but is a int32 tensor"):
        tf.stack([tf.constant([1.0, 2.0]), tf.constant([1, 2])])


# ---- gather / one_hot -------------------------------------------------------------


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64], ids=dtype_id)
@given(data=st.data())
def test_gather_matches_numpy_take(index_dtype, data):
    """tf.gather(params, indices, axis) == np.take for any index shape and axis."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    n = shape[axis]
    idx_shape = hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3)
    idx = data.draw(
        hnp.arrays(index_dtype, idx_shape, elements=st.integers(0, n - 1)),
        label="indices",
    )
    params = numbered(shape)
    cp, rp = as_layout(params, data.draw(st.sampled_from(LAYOUTS)))
    ci, ri = as_layout(idx, data.draw(st.sampled_from(LAYOUTS)))
    assert_matches(_core.gather(cp, ci, axis), np.take(rp, ri, axis=axis))


def test_gather_2d_indices_axis1():
    """tf.gather(p, [[2, 0], [1, 1]], axis=1) picks columns into a new (2, 2) block."""
    p = numbered((3, 4, 2))
    idx = np.array([[2, 0], [1, 1]])
    got = _core.gather(to_core(p), to_core(idx), axis=1)
    assert got.shape == (3, 2, 2, 2)
    assert_matches(got, np.take(p, idx, axis=1))


def one_hot_ref(indices, depth, on, off, axis, dtype):
    hot = indices[..., None] == np.arange(depth)
    out = np.where(hot, np.asarray(on, dtype), np.asarray(off, dtype))
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("dtype", ALL, ids=dtype_id)
@given(data=st.data())
def test_one_hot_matches_reference(dtype, data):
    """tf.one_hot: depth along `axis`; indices outside [0, depth) give all-off rows."""
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    depth = data.draw(st.integers(0, 5), label="depth")
    idx = data.draw(arrays(np.int64, shape, Domain(int_lo=-2, int_hi=7)), label="idx")
    axis = data.draw(st.integers(-1, len(shape)), label="axis")
    on, off = (3.0, -1.0) if dtype != np.bool_ else (1.0, 0.0)
    got = _core.one_hot(to_core(idx), depth, on, off, axis, core_dtype(dtype))
    assert_matches(got, one_hot_ref(idx, depth, on, off, axis, dtype))


def test_one_hot_axis0_with_out_of_range():
    """tf.one_hot([0, 2, 5, -1], 3, axis=0): one column per index, zero columns for
    out-of-range indices."""
    got = _core.one_hot(to_core(np.array([0, 2, 5, -1], np.int32)), 3, axis=0)
    assert got.dtype == DT.float32
    assert np.asarray(got).tolist() == [
        [1, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 1, 0, 0],
    ]


# ---- tile / pad -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL, ids=dtype_id)
@given(data=st.data())
def test_tile_matches_numpy(dtype, data):
    """tf.tile(x, multiples) with one multiple per dim (0 allowed)."""
    x = data.draw(arrays(dtype, data.draw(SHAPES), SMALL_INTS), label="x")
    mult = data.draw(st.lists(st.integers(0, 3), min_size=x.ndim, max_size=x.ndim))
    arr, ref = as_layout(x, data.draw(st.sampled_from(LAYOUTS)))
    assert_matches(_core.tile(arr, mult), np.tile(ref, mult).reshape(
        [m * d for m, d in zip(mult, x.shape)]))


@pytest.mark.parametrize("dtype", ALL, ids=dtype_id)
@given(data=st.data())
def test_pad_matches_numpy(dtype, data):
    """tf.pad(x, paddings, constant_values=c) == np.pad(mode='constant')."""
    x = data.draw(arrays(dtype, data.draw(SHAPES), SMALL_INTS), label="x")
    pads = [
        (data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))) for _ in x.shape
    ]
    value = data.draw(st.sampled_from([0.0, 1.0, -7.0]), label="value")
    arr, ref = as_layout(x, data.draw(st.sampled_from(LAYOUTS)))
    fill = np.asarray(value).astype(dtype)
    want = np.pad(ref, pads, constant_values=fill) if x.ndim else ref
    assert_matches(_core.pad(arr, pads, value), want)


# ---- errors -------------------------------------------------------------------------


def _raises(fn, *args, match, **kwargs):
    with pytest.raises(errors.InvalidArgumentError, match=match):
        fn(*args, **kwargs)


def test_view_ops_reject_bad_arguments():
    """Wrong sizes, bad perms, unbroadcastable shapes, bad axes, non-1 squeezes."""
    x = to_core(numbered((2, 3)))
    _raises(_core.reshape, x, [4, 2], match=r"^\[reshape\] .*6 values")
    _raises(_core.reshape, x, [-1, -1], match=r"^\[reshape\] only one")
    _raises(_core.reshape, x, [-1, 4], match=r"^\[reshape\] ")
    _raises(_core.reshape, x, [-2, -3], match=r"^\[reshape\] ")
    _raises(_core.transpose, x, [0], match=r"^\[transpose\] ")
    _raises(_core.transpose, x, [0, 0], match=r"^\[transpose\] .*not a permutation")
    _raises(_core.transpose, x, [0, 2], match=r"^\[transpose\] axis 2")
    _raises(_core.broadcast_to, x, [3, 3], match=r"^\[broadcast_to\] ")
    _raises(_core.broadcast_to, x, [3], match=r"^\[broadcast_to\] ")
    _raises(_core.expand_dims, x, 3, match=r"^\[expand_dims\] axis 3")
    _raises(_core.expand_dims, x, -4, match=r"^\[expand_dims\] ")
    _raises(_core.squeeze, x, [0], match=r"^\[squeeze\] Can not squeeze dim\[0\]")
    _raises(_core.squeeze, x, [2], match=r"^\[squeeze\] axis 2")
    _raises(_core.slice, x, (2,), match=r"^\[(strided_)?slice\] .*out of bounds")
    _raises(_core.slice, x, (-3,), match=r"^\[(strided_)?slice\] ")
    _raises(_core.slice, x, (0, 0, 0), match=r"^\[(strided_)?slice\] 3 indices")
    _raises(_core.slice, x, (slice(0, 2, 0),), match=r"^\[(strided_)?slice\] .*zero")


def test_data_movement_ops_reject_bad_arguments():
    """concat/stack/gather/one_hot/tile/pad argument errors, as TF's messages."""
    x = to_core(numbered((2, 3)))
    s = to_core(np.float32(1))
    i = to_core(np.array([0, 1]))
    _raises(_core.concat, [s, s], 0, match=r"^\[concat\] Can't concatenate scalars")
    _raises(_core.concat, [], 0, match=r"^\[concat\] ")
    _raises(_core.concat, [x, to_core(numbered((2, 4)))], 0, match=r"Dimension 1")
    _raises(_core.concat, [x, to_core(numbered((2,)))], 0, match=r"Ranks")
    _raises(_core.concat, [x, to_core(numbered((2, 3), np.float64))], 0, match="dtype")
    _raises(_core.concat, [x, x], 2, match=r"^\[concat\] axis 2")
    _raises(_core.stack, [x, to_core(numbered((3, 2)))], match=r"^\[stack\] Shapes")
    _raises(_core.stack, [], match=r"^\[stack\] ")
    _raises(_core.gather, x, to_core(np.array([0, 3])), 1, match=r"not in \[0, 3\)")
    _raises(_core.gather, x, to_core(np.array([[0], [-1]])), match=r"indices\[1\] = -1")
    _raises(_core.gather, x, to_core(np.ones(1)), match=r"^\[gather\] indices must")
    _raises(_core.gather, s, i, match=r"^\[gather\] params must be at least 1-D")
    _raises(_core.gather, x, i, 2, match=r"^\[gather\] axis 2")
    _raises(_core.one_hot, i, -1, match=r"^\[one_hot\] depth must be non-negative")
    _raises(_core.one_hot, x, 3, match=r"^\[one_hot\] indices must")
    _raises(_core.one_hot, i, 3, axis=2, match=r"^\[one_hot\] Expected axis")
    _raises(_core.one_hot, i, 3, axis=-2, match=r"^\[one_hot\] ")
    _raises(_core.tile, x, [1, -1], match=r"^\[tile\] Expected multiples\[1\] >= 0")
    _raises(_core.tile, x, [2], match=r"^\[tile\] .*length 2")
    _raises(_core.pad, x, [(0, 0), (-1, 0)], match=r"^\[pad\] Paddings must be non-neg")
    _raises(_core.pad, x, [(1, 1)], match=r"^\[pad\] ")


def test_stack_axis_out_of_range_names_stack():
    """tf.stack reports its own bad axis (messages start with the op's name)."""
    x = to_core(numbered((2, 3)))
    _raises(_core.stack, [x, x], 3, match=r"^\[stack\] ")


@pytest.mark.parametrize("step", [2**63 - 1, -(2**63 - 1), -(2**63)])
def test_slice_with_extreme_steps(step):
    """x[::step] for steps near the int64 limits keeps one element (Python / numpy);
    the length computation must not overflow."""
    x = numbered((2, 3))
    assert_matches(_core.slice(to_core(x), (slice(None, None, step),)), x[::step])
