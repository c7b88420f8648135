"""numpy interop (from_numpy, the buffer protocol), Array properties, and the creation
and conversion ops (full, full_int, cast, copy, contiguous)."""

from __future__ import annotations

import gc
import itertools

import hypothesis.strategies as st
import numpy as np
import pytest
from core_utils import (
    flush_denormals,
    ALL,
    DT,
    LAYOUTS,
    NP_OF,
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

from tapeflow import _core

# ---- from_numpy -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL, ids=dtype_id)
@given(data=st.data())
def test_from_numpy_copies_any_strides(dtype, data):
    """from_numpy accepts any numpy strides (negative, zero, non-unit) and returns a
    contiguous copy with the same values."""
    x = data.draw(arrays(dtype, data.draw(SHAPES), Domain(-1e6, 1e6)), label="x")
    view = x
    if x.ndim:
        steps = data.draw(st.lists(st.sampled_from([1, 2, -1, -2]), min_size=x.ndim,
                                   max_size=x.ndim))
        view = x[tuple(slice(None, None, s) for s in steps)]
        if data.draw(st.booleans()):
            view = view.T
        if data.draw(st.booleans()):
            view = np.broadcast_to(view, (2,) + view.shape)
    arr = _core.from_numpy(view)
    assert arr.is_contiguous and arr.offset == 0
    assert arr.dtype == core_dtype(dtype)
    assert arr.shape == view.shape and arr.ndim == view.ndim and arr.size == view.size
    assert arr.nbytes == view.size * view.itemsize
    assert_matches(arr, view)
    out = np.asarray(arr)
    assert out.flags.c_contiguous or out.size <= 1 or 0 in out.shape


def test_from_numpy_is_a_copy():
    """Writing to the numpy source afterwards does not change the Array."""
    x = np.arange(6.0)
    arr = _core.from_numpy(x)
    x[:] = -1
    assert np.asarray(arr).tolist() == [0, 1, 2, 3, 4, 5]
    assert not np.shares_memory(np.asarray(arr), x)


def test_from_numpy_of_misaligned_strides_is_rejected():
    """Strides that are not a multiple of the item size cannot be read element-wise."""
    raw = np.zeros(40, np.uint8)
    odd = np.lib.stride_tricks.as_strided(raw[:36].view(np.float32), (3,), (5,))
    with pytest.raises(errors.InvalidArgumentError, match=r"^\[from_numpy\] strides"):
        _core.from_numpy(odd)


@pytest.mark.parametrize(
    "x",
    [
        np.zeros(3, np.uint8),
        np.zeros(3, np.int8),
        np.zeros(3, np.int16),
        np.zeros(3, np.uint32),
        np.zeros(3, np.uint64),
        np.zeros(3, np.float16),
        np.zeros(3, np.longdouble),
        np.zeros(3, np.complex64),
        np.zeros(3, object),
        np.array(["a", "b"]),
        np.zeros(3, "datetime64[s]"),
        np.zeros(3, [("a", np.float32)]),
    ],
    ids=lambda x: str(x.dtype),
)
def test_from_numpy_rejects_unsupported_dtypes(x):
    """Only float32/float64/int32/int64/bool convert; the rest raise, never crash."""
    with pytest.raises(errors.InvalidArgumentError, match=r"^\[from_numpy\] "):
        _core.from_numpy(x)


@pytest.mark.parametrize("dtype", [">f4", ">f8", ">i4", ">i8"])
def test_from_numpy_rejects_non_native_byte_order(dtype):
    """Big-endian input is refused with a hint, rather than read byte-swapped."""
    with pytest.raises(errors.InvalidArgumentError, match="byte order"):
        _core.from_numpy(np.arange(3).astype(dtype))


@pytest.mark.parametrize("obj", [[1.5, 2.0], 3, None, "abc"], ids=repr)
def test_from_numpy_needs_an_ndarray(obj):
    """Anything but an ndarray is a TypeError from the binding, not a crash."""
    with pytest.raises(TypeError):
        _core.from_numpy(obj)


# ---- buffer protocol --------------------------------------------------------------


def test_asarray_is_zero_copy_and_read_only():
    """np.asarray(arr) views the Array's memory; the view is read-only."""
    arr = _core.full([2, 3], DT.float32, 1.5)
    a, b = np.asarray(arr), np.asarray(arr)
    assert np.shares_memory(a, b)
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a[0, 0] = 2.0
    assert a.dtype == np.float32 and a.shape == (2, 3)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_asarray_of_views_exports_strides(layout):
    """Views (negative / zero strides, offsets) export their strides to numpy."""
    x = np.arange(24.0).reshape(2, 3, 4)
    view, ref = as_layout(x, layout)
    out = np.asarray(view)
    assert_matches(out, ref)
    assert out.strides == tuple(s * 8 for s in view.strides)
    assert not out.flags.writeable


@pytest.mark.parametrize("dtype", ALL, ids=dtype_id)
def test_asarray_dtypes_and_scalars(dtype):
    """Each dtype maps to its numpy dtype; 0-d and 0-sized arrays convert too."""
    for shape in [(), (0,), (2, 0, 3), (4,)]:
        arr = _core.full(list(shape), core_dtype(dtype), 1)
        out = np.asarray(arr)
        assert out.dtype == dtype and out.shape == shape
        assert (out == 1).all()


def test_asarray_keeps_storage_alive():
    """The numpy view holds the Array (and its storage) after the last Python name
    goes away."""
    out = np.asarray(_core.add(to_core(np.arange(5.0)), to_core(np.ones(5))))
    gc.collect()
    _core.full([1000], DT.float64, -1.0)  # reuse freed memory, if any was freed
    assert out.tolist() == [1, 2, 3, 4, 5]


def test_storage_is_freed_and_counted():
    """host_bytes_in_use counts live storage; views and numpy views share it, and it
    is released when the last holder goes."""
    gc.collect()
    before = _core.host_bytes_in_use()
    arr = _core.full([1000], DT.float64, 0.0)
    assert _core.host_bytes_in_use() == before + 8000
    view = _core.slice(arr, (slice(None, None, 2),))
    out = np.asarray(view)
    assert arr.storage_use_count() == 2 and _core.host_bytes_in_use() == before + 8000
    del arr, view
    gc.collect()
    assert _core.host_bytes_in_use() == before + 8000  # `out` still holds it
    del out
    gc.collect()
    assert _core.host_bytes_in_use() == before


def test_failed_ops_do_not_leak():
    """Errors raised after allocating (e.g. from a worker) release what they held."""
    gc.collect()
    before = _core.host_bytes_in_use()
    x = to_core(np.arange(6).reshape(2, 3))
    for _ in range(3):
        with pytest.raises(errors.InvalidArgumentError):
            _core.gather(x, to_core(np.array([0, 7])), 1)
        with pytest.raises(errors.InvalidArgumentError):
            _core.div(x, to_core(np.zeros(3, np.int64)))
        with pytest.raises(errors.ResourceExhaustedError):
            _core.full([10**12], DT.float32, 0.0)
    del x
    gc.collect()
    assert _core.host_bytes_in_use() == before


# ---- full / cast / copy / contiguous ----------------------------------------------


@pytest.mark.parametrize("dtype", ALL, ids=dtype_id)
def test_full_and_full_int(dtype):
    """tf.fill: value converted to the dtype; full_int is exact for int64."""
    full = _core.full([2, 3], core_dtype(dtype), 2.0)
    assert_matches(full, np.full((2, 3), 2, dtype))
    assert_matches(_core.full([], core_dtype(dtype), 0.0), np.zeros((), dtype))
    assert_matches(_core.full_int([3], core_dtype(dtype), -1), np.full(3, -1, dtype))
    big = _core.full_int([1], DT.int64, 2**63 - 1)
    assert np.asarray(big).tolist() == [2**63 - 1]


CAST_VALUES = Domain(-1e6, 1e6, extra=(0.0, -0.0, 0.5, -0.5, 1.9, -1.9))


@pytest.mark.parametrize(
    ("src", "dst"),
    list(itertools.product(ALL, ALL)),
    ids=lambda d: dtype_id(d),
)
@given(data=st.data())
def test_cast_all_dtype_pairs(src, dst, data):
    """tf.cast for all 25 pairs: float -> int truncates, x -> bool is x != 0,
    int64 -> int32 wraps, as numpy's astype (finite, in-range values)."""
    domain = CAST_VALUES
    if src.kind == "f" and dst == np.int32:
        domain = Domain(-2e9, 2e9, extra=CAST_VALUES.extra)
    x = data.draw(arrays(src, data.draw(SHAPES), domain), label="x")
    arr, ref = as_layout(x, data.draw(st.sampled_from(LAYOUTS), label="layout"))
    got = _core.cast(arr, core_dtype(dst))
    with np.errstate(all="ignore"):  # subnormals read as zero, as TF's kernels
        assert_matches(got, flush_denormals(ref).astype(dst))
    if src == dst:
        assert got.shares_storage(arr)  # tf.cast to the same dtype is the identity


def test_cast_float_to_bool_and_int_edges():
    """nan -> True, -0.0 -> False; 2.7 -> 2, -2.7 -> -2 (toward zero)."""
    x = to_core(np.array([np.nan, -0.0, 0.25, 2.7, -2.7]))
    flags = np.asarray(_core.cast(x, DT.bool))
    assert flags.tolist() == [True, False, True, True, True]
    ints = np.asarray(_core.cast(_core.slice(x, (slice(2, None),)), DT.int32))
    assert ints.tolist() == [0, 2, -2]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_copy_and_contiguous_of_views(layout):
    """copy always returns new contiguous storage; contiguous copies only views that
    need it."""
    x = np.arange(60, dtype=np.int32).reshape(3, 4, 5)
    view, ref = as_layout(x, layout)
    c = _core.copy(view)
    assert c.is_contiguous and c.offset == 0 and not c.shares_storage(view)
    assert_matches(c, ref)
    k = _core.contiguous(view)
    assert k.is_contiguous
    assert_matches(k, ref)
    assert k.shares_storage(view) == view.is_contiguous


def test_array_properties():
    """shape/strides/ndim/size/nbytes/dtype/device/repr of a fresh Array."""
    arr = _core.full([2, 3, 4], DT.int64, 0)
    assert arr.shape == (2, 3, 4) and arr.strides == (12, 4, 1)
    assert arr.ndim == 3 and arr.size == 24 and arr.nbytes == 192
    assert arr.dtype == DT.int64 and arr.offset == 0 and arr.is_contiguous
    assert arr.device.startswith("CPU")
    assert "int64" in repr(arr) and "(2, 3, 4)" in repr(arr)
    assert NP_OF[arr.dtype] == np.int64
