"""Kernel instruction-set selection: TAPEFLOW_ISA forces a lower ISA at import, and
every ISA's kernels agree with numpy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tapeflow import _core

ORDER = ["generic", "avx2", "avx512"]

# Runs in a fresh interpreter: reports the ISA in use and checks a few kernels.
CHECK = """
import json
import numpy as np
import tapeflow
from tapeflow import _core

rng = np.random.default_rng(0)
x = rng.uniform(-5, 5, (37, 70))
row = rng.uniform(-5, 5, (1, 70))
a, b = rng.uniform(-1, 1, (70, 70)), rng.uniform(-1, 1, (70, 70))
c = lambda v: _core.from_numpy(v)
checks = {
    "exp": np.allclose(np.asarray(_core.exp(c(x))), np.exp(x), rtol=1e-13),
    "exp32": np.allclose(
        np.asarray(_core.exp(c(x.astype(np.float32)))), np.exp(x), rtol=2e-6
    ),
    "add": np.array_equal(np.asarray(_core.add(c(x), c(row))), x + row),
    "sum": np.allclose(np.asarray(_core.reduce("sum", c(x), [1])), x.sum(1)),
    "sum0": np.allclose(np.asarray(_core.reduce("sum", c(x), [0])), x.sum(0)),
    "matmul": np.allclose(np.asarray(_core.matmul(c(a), c(b))), a @ b, rtol=1e-12),
    "matmul_ta": np.allclose(
        np.asarray(_core.matmul(c(x), c(x[:, :9]), transpose_a=True)), x.T @ x[:, :9],
        rtol=1e-12),
    "matmul32": np.allclose(
        np.asarray(_core.matmul(c(a.astype(np.float32)), c(b.astype(np.float32)))),
        a @ b,
        rtol=1e-4,
        atol=1e-4,
    ),
}
print(json.dumps({"isa": _core.kernel_isa(), "checks": checks}))
"""


def run_check(isa: str | None) -> dict:
    env = dict(os.environ)
    env.pop("TAPEFLOW_ISA", None)
    if isa is not None:
        env["TAPEFLOW_ISA"] = isa
    cmd = [sys.executable, "-c", CHECK]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def detected() -> str:
    """The ISA the core picks with no TAPEFLOW_ISA set (the best the CPU has)."""
    return run_check(None)["isa"]


def test_kernel_isa_is_known():
    assert _core.kernel_isa() in ORDER


@pytest.mark.parametrize("isa", ORDER)
def test_forced_isa_is_used_and_matches_numpy(isa, detected):
    """TAPEFLOW_ISA=<isa> selects that ISA when the CPU has it (it never raises the
    ISA above what the CPU supports); its kernels agree with numpy."""
    result = run_check(isa)
    want = isa if ORDER.index(isa) <= ORDER.index(detected) else detected
    assert result["isa"] == want
    assert all(result["checks"].values()), result["checks"]


def test_unknown_isa_value_is_ignored(detected):
    """An unrecognised TAPEFLOW_ISA leaves the detected ISA in place."""
    assert run_check("sse9")["isa"] == detected
