"""Helpers shared by the ``tapeflow._core`` tests: dtypes, value domains, layouts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import hypothesis.strategies as st
import numpy as np
from hypothesis.extra import numpy as hnp

import tapeflow
from tapeflow import _core

errors = tapeflow.errors
DT = _core.DType

# ---- dtypes -----------------------------------------------------------------------

NP_OF = {
    DT.float32: np.dtype(np.float32),
    DT.float64: np.dtype(np.float64),
    DT.int32: np.dtype(np.int32),
    DT.int64: np.dtype(np.int64),
    DT.bool: np.dtype(np.bool_),
}
CORE_OF = {v: k for k, v in NP_OF.items()}

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
INTS = (np.dtype(np.int32), np.dtype(np.int64))
NUMERIC = FLOATS + INTS
BOOL = (np.dtype(np.bool_),)
ALL = NUMERIC + BOOL

# Default tolerances for results computed in the op's own dtype.
TOL = {
    np.dtype(np.float32): dict(rtol=2e-6, atol=1e-37),
    np.dtype(np.float64): dict(rtol=1e-12, atol=1e-300),
}


def core_dtype(dtype) -> DT:
    return CORE_OF[np.dtype(dtype)]


def dtype_id(dtype) -> str:
    return np.dtype(dtype).name


# ---- conversion and comparison ----------------------------------------------------


def to_core(x) -> _core.Array:
    return _core.from_numpy(np.asarray(x))


def flush_denormals(a):
    """``a`` with subnormal floats replaced by zeros of their sign: what tapeflow's
    kernels read and write, as TF's CPU kernels do (csrc/core/denormal.h). References
    compute on flushed inputs, and comparisons see flushed values (a kernel may pass a
    subnormal through unchanged where no arithmetic touches it, as neg or relu do)."""
    a = np.asarray(a)
    if a.dtype.kind != "f" or a.dtype == np.float16:
        return a
    tiny = np.finfo(a.dtype).tiny
    with np.errstate(invalid="ignore"):
        sub = (a != 0) & (np.abs(a) < tiny)
    return np.where(sub, np.copysign(np.zeros_like(a), a), a) if sub.any() else a


def assert_matches(got, expected, rtol=None, atol=None) -> None:
    """Same shape and dtype; floats close (NaN == NaN, inf exact, subnormals as zeros),
    others exact."""
    got = flush_denormals(got)
    expected = flush_denormals(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    if got.dtype.kind == "f":
        tol = dict(TOL[got.dtype])
        if rtol is not None:
            tol["rtol"] = rtol
        if atol is not None:
            tol["atol"] = atol
        np.testing.assert_allclose(got, expected, equal_nan=True, **tol)
    else:
        np.testing.assert_array_equal(got, expected)


def trunc_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C integer division (rounds toward zero), exact in numpy integer arithmetic."""
    with np.errstate(all="ignore"):
        q = np.floor_divide(a, b)
        fix = (np.remainder(a, b) != 0) & ((a < 0) != (b < 0))
        return np.where(fix, q + 1, q).astype(np.result_type(a, b))


# ---- value domains ----------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """Input values of an op: floats in [lo, hi] (on a grid of `step` if set),
    integers in [int_lo, int_hi] (default: the dtype's full range)."""

    lo: float = -20.0
    hi: float = 20.0
    step: float | None = None
    int_lo: int | None = None
    int_hi: int | None = None
    int_nonzero: bool = False
    extra: tuple = ()  # float values mixed in (e.g. -inf)

    def elements(self, dtype) -> st.SearchStrategy:
        dtype = np.dtype(dtype)
        if dtype == np.bool_:
            return st.booleans()
        if dtype.kind == "i":
            info = np.iinfo(dtype)
            lo = info.min if self.int_lo is None else max(self.int_lo, info.min)
            hi = info.max if self.int_hi is None else min(self.int_hi, info.max)
            s = st.integers(lo, hi)
            return s.filter(bool) if self.int_nonzero else s
        if self.step is not None:
            k0, k1 = math.ceil(self.lo / self.step), math.floor(self.hi / self.step)
            s = st.integers(k0, k1).map(lambda k: k * self.step)
        else:
            lo, hi = dtype.type(self.lo), dtype.type(self.hi)  # round inward
            lo = np.nextafter(lo, dtype.type(np.inf)) if lo < self.lo else lo
            hi = np.nextafter(hi, dtype.type(-np.inf)) if hi > self.hi else hi
            s = st.floats(float(lo), float(hi), width=8 * dtype.itemsize)
        if self.extra:
            s = st.one_of(s, st.sampled_from(self.extra))
        return s


REAL = Domain()
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)


def arrays(dtype, shape, domain: Domain = REAL) -> st.SearchStrategy:
    return hnp.arrays(np.dtype(dtype), shape, elements=domain.elements(dtype))


# ---- memory layouts ---------------------------------------------------------------

LAYOUTS = ("contiguous", "offset", "transposed", "reversed", "strided", "broadcast")


def as_layout(x: np.ndarray, layout: str) -> tuple[_core.Array, np.ndarray]:
    """A core Array laid out as `layout`, and the numpy array it equals.

    "offset" (contiguous, not at the start of its storage), "transposed", "reversed"
    and "strided" are views with x's values, made by the core's own view ops;
    "broadcast" repeats x's first column (stride 0).
    """
    if x.ndim == 0 or layout == "contiguous":
        return to_core(x), x
    if layout == "offset":
        wide = np.concatenate([np.ones((1,) + x.shape[1:], x.dtype), x])
        return _core.slice(to_core(wide), (slice(1, None),)), x
    if layout == "transposed":
        return _core.transpose(to_core(np.ascontiguousarray(x.T))), x
    if layout == "reversed":
        rev = (slice(None, None, -1),) * x.ndim
        return _core.slice(to_core(np.ascontiguousarray(x[rev])), rev), x
    if layout == "strided":
        wide = np.zeros(x.shape[:-1] + (2 * x.shape[-1] + 1,), x.dtype)
        wide[..., 1::2] = x
        items = (slice(None),) * (x.ndim - 1) + (slice(1, None, 2),)
        return _core.slice(to_core(wide), items), x
    if layout == "broadcast":
        col = x[..., :1]
        return _core.broadcast_to(to_core(col), list(x.shape)), np.broadcast_to(
            col, x.shape
        )
    raise ValueError(layout)


# ---- the two gradient walks ------------------------------------------------------------


def native_and_python(fn):
    """fn() run with first-order gradients through the native walk (the default), then
    through the Python rules (autodiff/tape.py's native_backward off): (native, python)."""
    from tapeflow.autodiff import tape as _tape

    native = fn()
    _tape.native_backward = False
    try:
        python = fn()
    finally:
        _tape.native_backward = True
    return native, python
