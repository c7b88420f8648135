"""The CPU's fused softmax (one pass per row, cpu/kernels_impl.inc softmax_rows) gives the
bits of the composite it replaces: max, subtract, exp, sum, divide as separate kernels,
on every ISA, any row length (the pairwise sum's blocks), and rows with inf/NaN."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from tapeflow import _core

SHAPES = [(1, 1), (32, 10), (7, 64), (3, 65), (2, 200), (2, 4100), (5, 3, 33), (0, 4), (9,)]


def composite(a):
    """ops::softmax's composite, kernel by kernel."""
    m = _core.reduce("max", a, [a.ndim - 1], True)
    e = _core.exp(_core.sub(a, m))
    return _core.div(e, _core.reduce("sum", e, [a.ndim - 1], True))


def check_all() -> None:
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        for shape in SHAPES:
            x = (rng.standard_normal(shape) * 20).astype(dtype)
            if x.size and x.ndim == 2 and x.shape[0] >= 3:
                x[0, 0], x[1, :] = np.inf, -np.inf
                x[2, -1] = np.nan
            a = _core.from_numpy(x)
            got, want = np.asarray(_core.softmax(a, -1)), np.asarray(composite(a))
            np.testing.assert_array_equal(got, want, err_msg=f"{dtype.__name__} {shape}")
            # a strided input and another axis take the composite: same numbers anyway
            t = _core.from_numpy(np.ascontiguousarray(np.swapaxes(x, 0, -1)) if x.ndim > 1 else x)
            if x.ndim > 1:
                np.testing.assert_array_equal(
                    np.asarray(_core.softmax(_core.transpose(t, list(range(x.ndim))[::-1]), -1)),
                    got, err_msg=f"strided {dtype.__name__} {shape}")


def test_fused_softmax_matches_the_composite_bit_for_bit() -> None:
    check_all()


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
def test_fused_softmax_matches_the_composite_on_each_isa(isa: str) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    import tapeflow

    package_root = os.path.dirname(os.path.dirname(tapeflow.__file__))
    code = ("import sys; sys.path[:0] = sys.argv[1:]; import tapeflow; "
            "from tapeflow import _core; import test_softmax_fused as t; "
            "print(_core.kernel_isa(), tapeflow.__file__); t.check_all()")
    r = subprocess.run([sys.executable, "-c", code, package_root, here],
                       env=dict(os.environ, TAPEFLOW_ISA=isa), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    active, module = r.stdout.split()[:2]
    assert module == tapeflow.__file__
    if active != isa:
        pytest.skip(f"this CPU runs {active}, not {isa}")
