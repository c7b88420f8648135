import numpy as np

from tapeflow import _core


def test_add_roundtrip():
    a = _core.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3))
    out = np.asarray(_core.add(a, a))
    np.testing.assert_array_equal(out, 2 * np.arange(6, dtype=np.float32).reshape(2, 3))
