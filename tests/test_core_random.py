"""Philox4x32-10 random numbers of the native core against an independent numpy
reference of the stream documented in csrc/cpu/random.cpp (TensorFlow's stream)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import hypothesis.strategies as st
import numpy as np
import pytest
from core_utils import DT, FLOATS, INTS, core_dtype, dtype_id, errors
from hypothesis import given

from tapeflow import _core

MASK = 0xFFFFFFFF
M0, M1 = 0xD2511F53, 0xCD9E8D57  # Philox multipliers
W0, W1 = 0x9E3779B9, 0xBB67AE85  # Weyl key increments

u32 = st.integers(0, MASK)
keys = st.tuples(u32, u32).map(list)
counters = st.tuples(u32, u32, u32, u32).map(list)


def philox_blocks(counter, key, n: int) -> np.ndarray:
    """Blocks philox(counter + b, key) for b < n (128-bit add), shape (n, 4) uint32."""
    start = sum(w << (32 * i) for i, w in enumerate(counter))
    ctrs = [(start + b) % (1 << 128) for b in range(n)]
    c = [np.array([(v >> (32 * i)) & MASK for v in ctrs], np.uint64) for i in range(4)]
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    for r in range(10):
        if r:
            k0, k1 = (k0 + np.uint64(W0)) & MASK, (k1 + np.uint64(W1)) & MASK
        p0, p1 = c[0] * np.uint64(M0), c[2] * np.uint64(M1)
        c = [(p1 >> 32) ^ c[1] ^ k0, p1 & MASK, (p0 >> 32) ^ c[3] ^ k1, p0 & MASK]
    return np.stack(c, axis=-1).astype(np.uint32)


def u32_to_float(w: np.ndarray) -> np.ndarray:
    bits = np.uint32(0x3F800000) | (w & np.uint32(0x7FFFFF))
    return bits.view(np.float32) - np.float32(1)


def u64_to_double(w0: np.ndarray, w1: np.ndarray) -> np.ndarray:
    man = ((w0.astype(np.uint64) & 0xFFFFF) << np.uint64(32)) | w1.astype(np.uint64)
    return (np.uint64(1023 << 52) | man).view(np.float64) - 1.0


def box_muller(u1: np.ndarray, u: np.ndarray, dtype) -> tuple[np.ndarray, np.ndarray]:
    """TF's BoxMullerFloat/Double, evaluated in float64."""
    t = np.dtype(dtype).type
    u1 = np.maximum(u1, t(1e-7)).astype(np.float64)
    v = (2 * np.pi * u.astype(np.float64)).astype(t).astype(np.float64)
    r = np.sqrt(-2.0 * np.log(u1))
    return np.sin(v) * r, np.cos(v) * r


def ref_uniform(n, dtype, key, counter) -> np.ndarray:
    if dtype == np.float32:
        return u32_to_float(philox_blocks(counter, key, -(-n // 4)).ravel()[:n])
    w = philox_blocks(counter, key, -(-n // 2)).reshape(-1, 2)
    return u64_to_double(w[:, 0], w[:, 1])[:n]


def ref_uniform_int(n, dtype, lo, hi, key, counter) -> np.ndarray:
    rng = (hi - lo) % (1 << 64)
    if dtype == np.int32:  # uint32 arithmetic, as the kernel
        w = philox_blocks(counter, key, -(-n // 4)).ravel()[:n].astype(np.uint64)
        out = (np.uint64(lo % (1 << 32)) + w % np.uint64(rng)) & np.uint64(MASK)
        return out.astype(np.uint32).view(np.int32)
    w = philox_blocks(counter, key, -(-n // 2)).reshape(-1, 2).astype(np.uint64)
    bits = w[:, 0] | (w[:, 1] << np.uint64(32))
    out = [(lo + int(b) % rng) % (1 << 64) for b in bits[:n]]
    return np.array(out, np.uint64).view(np.int64)


def ref_normal(n, dtype, key, counter) -> np.ndarray:
    if dtype == np.float32:
        w = philox_blocks(counter, key, -(-n // 4))
        f = [box_muller(u32_to_float(w[:, i]), u32_to_float(w[:, i + 1]), np.float32)
             for i in (0, 2)]
        out = np.stack([f[0][0], f[0][1], f[1][0], f[1][1]], axis=-1)
    else:
        w = philox_blocks(counter, key, -(-n // 2))
        u1, u2 = u64_to_double(w[:, 0], w[:, 1]), u64_to_double(w[:, 2], w[:, 3])
        out = np.stack(box_muller(u1, u2, np.float64), axis=-1)
    return out.ravel()[:n].astype(dtype)


def ref_truncated_normal(n, dtype, key, counter) -> np.ndarray:
    """Group g of 4 (float32) or 2 (float64) outputs reads words from block
    counter + g * 256 (128) on, keeping Box-Muller values with |x| < 2 in order."""
    per, stride = (4, 256) if dtype == np.float32 else (2, 128)
    start = sum(w << (32 * i) for i, w in enumerate(counter))
    out = []
    for g in range(-(-n // per)):
        c = (start + g * stride) % (1 << 128)
        ctr = [(c >> (32 * i)) & MASK for i in range(4)]
        words = philox_blocks(ctr, key, 8).ravel()  # plenty for a few groups
        kept, pos = [], 0
        while len(kept) < min(per, n - g * per):
            if dtype == np.float32:
                u1, u2 = u32_to_float(words[pos : pos + 1]), u32_to_float(
                    words[pos + 1 : pos + 2]
                )
                pos += 2
            else:
                u1 = u64_to_double(words[pos : pos + 1], words[pos + 1 : pos + 2])
                u2 = u64_to_double(words[pos + 2 : pos + 3], words[pos + 3 : pos + 4])
                pos += 4
            for v in box_muller(u1, u2, dtype):
                if abs(v[0]) < 2 and len(kept) < per:
                    kept.append(v[0])
        out.extend(kept[: min(per, n - g * per)])
    return np.array(out, dtype)


# ---- Philox itself ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("counter", "key", "expected"),
    [
        ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
        ([MASK] * 4, [MASK] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
        (
            [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344],
            [0xA4093822, 0x299F31D0],
            [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1],
        ),
    ],
)
def test_philox_random123_known_answers(counter, key, expected):
    """Random123's kat_vectors for philox4x32-10; the reference agrees too."""
    assert list(_core.philox(counter, key)) == expected
    assert philox_blocks(counter, key, 1)[0].tolist() == expected


@given(counter=counters, key=keys)
def test_philox_matches_reference(counter, key):
    """Any counter and key: the core's block equals the independent reference."""
    want = philox_blocks(counter, key, 1)[0].tolist()
    assert list(_core.philox(counter, key)) == want


def test_tensorflow_docstring_normal():
    """tf.random.set_seed(5); tf.random.normal([2, 2], seed=1) (key {5, 0}, counter
    {0, 0, 1, 0} in TF's stateful op)."""
    values, blocks = _core.random_normal([4], DT.float32, [5, 0], [0, 0, 1, 0])
    want = [-1.3768897, -0.01258316, -0.169515, 1.0824056]
    np.testing.assert_allclose(np.asarray(values), want, rtol=0, atol=2e-7)
    assert blocks == 1


# ---- the streams, against the reference -------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_id)
@given(n=st.integers(0, 41), key=keys, counter=counters)
def test_uniform_bit_exact(dtype, n, key, counter):
    """uniform: float32 from the low 23 bits of each word, float64 from 52 bits of
    a word pair; bit-for-bit equal to the reference."""
    values, blocks = _core.random_uniform([n], core_dtype(dtype), key, counter)
    want = ref_uniform(n, dtype, key, counter)
    got = np.asarray(values)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))
    assert blocks == -(-n // (4 if dtype == np.float32 else 2))


@pytest.mark.parametrize("dtype", INTS, ids=dtype_id)
@given(
    n=st.integers(0, 41),
    lo=st.integers(-(2**31), 2**31 - 2),
    span=st.integers(1, 2**31 - 1),
    key=keys,
    counter=counters,
)
def test_uniform_int_bit_exact(dtype, n, lo, span, key, counter):
    """uniform_int: lo + word % (hi - lo), int64 from a word pair; in [lo, hi)."""
    hi = min(lo + span, 2**31 - 1)
    if dtype == np.int64:
        lo, hi = lo * 2**30, hi * 2**30 + 7
    dt = core_dtype(dtype)
    values, blocks = _core.random_uniform_int([n], dt, lo, hi, key, counter)
    got = np.asarray(values)
    np.testing.assert_array_equal(got, ref_uniform_int(n, dtype, lo, hi, key, counter))
    assert got.dtype == dtype and ((got >= lo) & (got < hi)).all()
    assert blocks == -(-n // (4 if dtype == np.int32 else 2))


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_id)
@given(n=st.integers(0, 23), key=keys, counter=counters)
def test_normal_matches_reference(dtype, n, key, counter):
    """normal: Box-Muller (sin, cos) on word pairs (float64: on two 52-bit values)."""
    values, blocks = _core.random_normal([n], core_dtype(dtype), key, counter)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12)
    np.testing.assert_allclose(np.asarray(values), ref_normal(n, dtype, key, counter),
                               **tol)
    assert np.asarray(values).dtype == dtype
    assert blocks == -(-n // (4 if dtype == np.float32 else 2))


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_id)
@given(n=st.integers(0, 13), key=keys, counter=counters)
def test_truncated_normal_matches_reference(dtype, n, key, counter):
    """truncated normal: TF's reserved-samples scheme, |x| < 2."""
    values, blocks = _core.random_truncated_normal([n], core_dtype(dtype), key, counter)
    got = np.asarray(values)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12)
    np.testing.assert_allclose(got, ref_truncated_normal(n, dtype, key, counter), **tol)
    assert (np.abs(got) < 2).all()
    per, stride = (4, 256) if dtype == np.float32 else (2, 128)
    assert blocks == -(-n // per) * stride


def test_counter_carries_across_words():
    """Block b uses counter + b as a 128-bit number (word 0 least significant),
    wrapping at 2**128."""
    for counter in ([MASK, MASK, 0, 0], [MASK, MASK, MASK, MASK], [MASK - 1, 0, 0, 7]):
        values, _ = _core.random_uniform([12], DT.float32, [3, 4], counter)
        want = ref_uniform(12, np.float32, [3, 4], counter)
        np.testing.assert_array_equal(np.asarray(values), want)


@pytest.mark.parametrize(
    "draw",
    [
        lambda n, c: _core.random_uniform([n], DT.float64, [9, 9], c),
        lambda n, c: _core.random_uniform_int([n], DT.int32, -5, 5, [9, 9], c),
        lambda n, c: _core.random_normal([n], DT.float32, [9, 9], c),
        lambda n, c: _core.random_truncated_normal([n], DT.float64, [9, 9], c),
    ],
    ids=["uniform", "uniform_int", "normal", "truncated_normal"],
)
def test_advancing_the_counter_continues_the_stream(draw):
    """Drawing n, then drawing again at counter + blocks, equals one draw of 2n (for
    n a multiple of the outputs per block) - how stateful generators advance."""
    first, blocks = draw(8, [0, 5, 0, 0])
    second, _ = draw(8, [blocks, 5, 0, 0])
    both, total = draw(16, [0, 5, 0, 0])
    joined = np.concatenate([np.asarray(first), np.asarray(second)])
    np.testing.assert_array_equal(np.asarray(both), joined)
    assert total == 2 * blocks


K, C = [1, 2], [3, 0, 0, 0xFFFFFFFF]


@pytest.mark.parametrize(
    "draw",
    [
        lambda: _core.random_uniform([300_001], DT.float32, K, C),
        lambda: _core.random_uniform([300_001], DT.float64, K, C),
        lambda: _core.random_uniform_int([300_001], DT.int32, -9, 99, K, C),
        lambda: _core.random_uniform_int([300_001], DT.int64, -9, 2**40, K, C),
        lambda: _core.random_normal([300_001], DT.float32, K, C),
        lambda: _core.random_normal([100_003], DT.float64, K, C),
        lambda: _core.random_truncated_normal([100_003], DT.float32, K, C),
        lambda: _core.random_truncated_normal([50_001], DT.float64, K, C),
    ],
    ids=[
        "uniform32",
        "uniform64",
        "int32",
        "int64",
        "normal32",
        "normal64",
        "truncated32",
        "truncated64",
    ],
)
def test_stream_does_not_depend_on_thread_count(draw, num_threads):
    """Output i depends only on (key, counter, i), not on how threads split the work."""
    runs = []
    for threads in (1, 0, 3):
        num_threads(threads)
        runs.append(np.asarray(draw()[0]).copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])


# ---- distributions ----------------------------------------------------------------


def test_distribution_moments():
    """uniform in [0, 1) with mean 1/2; normal N(0, 1); truncated normal within 2
    sigma with std 0.8796; uniform_int covers [lo, hi)."""
    k, c = [7, 7], [0, 0, 0, 0]
    u = np.asarray(_core.random_uniform([200_000], DT.float32, k, c)[0])
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.005
    g = np.asarray(_core.random_normal([200_000], DT.float64, k, c)[0])
    assert abs(g.mean()) < 0.01 and abs(g.std() - 1) < 0.01
    t = np.asarray(_core.random_truncated_normal([200_000], DT.float32, k, c)[0])
    assert np.abs(t).max() < 2 and abs(t.mean()) < 0.01 and abs(t.std() - 0.8796) < 0.01
    i = np.asarray(_core.random_uniform_int([10_000], DT.int32, -3, 4, k, c)[0])
    assert sorted(set(i.tolist())) == list(range(-3, 4))
    shape_check, _ = _core.random_normal([2, 0, 3], DT.float32, k, c)
    assert shape_check.shape == (2, 0, 3)


def test_random_rejects_bad_arguments():
    """Float distributions need a float dtype, uniform_int an int dtype and
    minval < maxval (TF's messages)."""
    k, c = [0, 0], [0, 0, 0, 0]
    bad = [
        lambda: _core.random_uniform([2], DT.int32, k, c),
        lambda: _core.random_normal([2], DT.bool, k, c),
        lambda: _core.random_truncated_normal([2], DT.int64, k, c),
        lambda: _core.random_uniform_int([2], DT.float32, 0, 5, k, c),
        lambda: _core.random_uniform_int([2], DT.int32, 5, 5, k, c),
        lambda: _core.random_uniform_int([2], DT.int64, 6, 5, k, c),
    ]
    for call in bad:
        with pytest.raises(errors.InvalidArgumentError, match=r"^\[random\] "):
            call()
    with pytest.raises(TypeError):
        _core.random_uniform([2], DT.float32, [0, 0, 0], c)  # key is 2 words


@pytest.mark.parametrize("bounds", [(-(2**31), 2**31), (0, 2**33 + 5)], ids=str)
def test_uniform_int32_bounds_outside_int32_are_rejected(bounds):
    """minval / maxval are int32 for an int32 draw (as in TF); bounds outside int32
    must raise rather than crash (SIGFPE) or silently draw from a truncated range."""
    lo, hi = bounds
    call = f"random_uniform_int([8], _core.DType.int32, {lo}, {hi}, [1, 2], [0] * 4)"
    code = (
        "import tapeflow\n"
        "from tapeflow import _core\n"
        "try:\n"
        f"    _core.{call}\n"
        "except tapeflow.errors.InvalidArgumentError:\n"
        "    print('raised')\n"
        "else:\n"
        "    print('no error')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, f"crashed with return code {proc.returncode}"
    assert proc.stdout.strip() == "raised"


# ---- every instruction set gives the same stream ----------------------------------

# The Philox kernels take 1 (generic), 8 (AVX2) or 16 (AVX-512) counters at a time, in
# tiles of 256 blocks: sizes around those, and counters whose blocks carry across words.
ISA_KEY = [0xA4093822, 0x299F31D0]
ISA_COUNTERS = ([MASK - 6, 0, 0, 0], [MASK - 37, MASK, MASK, MASK], [0, 5, 0, 0])
ISA_SIZES = (1, 17, 33, 1025, 4099)
INT64_HI = 2**40


def isa_draws() -> dict:
    """name -> (kind, counter, n, values) for every kind, dtype, counter and size."""
    k, draws = ISA_KEY, {}
    for i, c in enumerate(ISA_COUNTERS):
        for n in ISA_SIZES:
            made = {
                "uniform32": _core.random_uniform([n], DT.float32, k, c),
                "uniform64": _core.random_uniform([n], DT.float64, k, c),
                "int32": _core.random_uniform_int([n], DT.int32, -9, 1000, k, c),
                "int64": _core.random_uniform_int([n], DT.int64, -9, INT64_HI, k, c),
                "normal32": _core.random_normal([n], DT.float32, k, c),
                "normal64": _core.random_normal([n], DT.float64, k, c),
                "truncated32": _core.random_truncated_normal([n], DT.float32, k, c),
                "truncated64": _core.random_truncated_normal([n], DT.float64, k, c),
            }
            for kind, (values, _) in made.items():
                draws[f"{kind} {i} {n}"] = (kind, c, n, np.asarray(values))
    return draws


def isa_digests() -> dict:
    return {name: hashlib.sha256(d[3].tobytes()).hexdigest()
            for name, d in isa_draws().items()}


def isa_digests_in_subprocess(isa: str) -> tuple[str, dict]:
    env = dict(os.environ, TAPEFLOW_ISA=isa)
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import test_core_random as t;"
        " print(json.dumps([t._core.kernel_isa(), t.isa_digests()]))"
    )
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, "-c", code, here], env=env,
                         capture_output=True, text=True, check=True)
    return tuple(json.loads(out.stdout))


@pytest.fixture(scope="module")
def digests_here() -> dict:
    """The draws in this process, checked against the numpy reference."""
    for name, (kind, c, n, got) in isa_draws().items():
        if kind.startswith("uniform"):
            want = ref_uniform(n, np.float32 if kind == "uniform32" else np.float64,
                               ISA_KEY, c)
        elif kind == "int32":
            want = ref_uniform_int(n, np.int32, -9, 1000, ISA_KEY, c)
        elif kind == "int64":
            want = ref_uniform_int(n, np.int64, -9, INT64_HI, ISA_KEY, c)
        else:
            continue  # libm's sin/cos against numpy's: compared across ISAs below
        np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8),
                                      err_msg=name)
    return isa_digests()


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
def test_stream_is_the_same_for_every_isa(isa, digests_here):
    """TAPEFLOW_ISA=<isa> (where the CPU has it) draws the same bits for every kind and
    dtype as this process does, whose uniform and int draws match the reference."""
    used, digests = isa_digests_in_subprocess(isa)
    assert used in (isa, _core.kernel_isa())
    assert digests.keys() == digests_here.keys()
    mismatched = sorted(k for k in digests if digests[k] != digests_here[k])
    assert not mismatched, mismatched


# ---- the stateful ops' kernel counters: TF's numbers, bounded tables ----------------


@pytest.fixture
def counters_reset():
    """tapeflow's random module, its global seed reset before and after the test."""
    from tapeflow.ops import random_ops

    random_ops.set_seed(None)
    yield random_ops
    random_ops.set_seed(None)


def _normals(tf, n: int) -> list:
    return [tf.random.normal([2]).numpy().tolist() for _ in range(n)]


def test_global_seed_draws_a_new_op_seed_per_call(counters_reset):
    """TF 2.21: set_seed(1), then tf.random.normal([2]) three times."""
    import tapeflow as tf

    tf.random.set_seed(1)
    np.testing.assert_allclose(_normals(tf, 3), [
        [-1.1012202501296997, 1.545751690864563],
        [0.40308788418769836, -1.0880208015441895],
        [-0.45701223611831665, -0.40686726570129395]], rtol=4e-6, atol=2e-7)


def test_repeated_auto_op_seed_continues_its_stream(counters_reset):
    """After set_seed(15189) the 130th and 261st calls draw the same op seed
    (1604569635): TF 2.21's cached kernel goes on from where the first left off."""
    import tapeflow as tf

    tf.random.set_seed(15189)
    got = _normals(tf, 261)
    np.testing.assert_allclose(got[0], [0.4569467604160309, 0.3490215837955475],
                               rtol=4e-6, atol=2e-7)
    np.testing.assert_allclose(got[129], [1.0605201721191406, 0.8089585900306702],
                               rtol=4e-6, atol=2e-7)
    np.testing.assert_allclose(got[260], [1.5212843418121338, -2.1257987022399902],
                               rtol=4e-6, atol=2e-7)


def test_auto_op_seed_table_is_bounded(counters_reset, monkeypatch):
    """With room for fewer counters than the 131 calls between the two draws of op
    seed 1604569635, the second restarts its stream (the documented difference)."""
    import tapeflow as tf

    monkeypatch.setattr(counters_reset, "_MAX_KERNELS", 100)
    tf.random.set_seed(15189)
    got = _normals(tf, 261)
    assert got[260] == got[129]
    assert len(counters_reset._auto_counters) == 100
    assert len(counters_reset._kernel_counters) == 0


def test_explicit_op_seed_outlives_auto_draws(counters_reset, monkeypatch):
    """TF 2.21: set_seed(1); uniform([2], seed=5); 300 normal([2]) with drawn op seeds;
    uniform([2], seed=5) twice. The explicit seed's stream is not evicted by them."""
    import tapeflow as tf

    monkeypatch.setattr(counters_reset, "_MAX_KERNELS", 16)
    tf.random.set_seed(1)
    a = tf.random.uniform([2], seed=5)
    _normals(tf, 300)
    b = tf.random.uniform([2], seed=5)
    c = tf.random.uniform([2], seed=5)
    np.testing.assert_allclose([a, b, c], [
        [0.19560599327087402, 0.029860854148864746],
        [0.2899724245071411, 0.18651282787322998],
        [0.37081360816955566, 0.14327168464660645]], rtol=1e-6)
    assert len(counters_reset._kernel_counters) == 1
    assert len(counters_reset._auto_counters) == 16


def test_explicit_op_seed_table_is_bounded(counters_reset, monkeypatch):
    """seed=i for more distinct i than the table holds: the oldest are dropped, so
    reusing seed 0 afterwards restarts its stream; the latest ones go on."""
    import tapeflow as tf

    monkeypatch.setattr(counters_reset, "_MAX_KERNELS", 8)
    first = [tf.random.uniform([2], seed=i).numpy() for i in range(20)]
    assert len(counters_reset._kernel_counters) == 8
    np.testing.assert_array_equal(tf.random.uniform([2], seed=0), first[0])
    assert not np.array_equal(tf.random.uniform([2], seed=19).numpy(), first[19])


def test_unseeded_calls_store_nothing(counters_reset):
    """No seed anywhere: every call is a fresh stream (TF 2.21 without a global seed:
    uniform([2], seed=5) twice still continues, [0.3883..] then [0.4290..])."""
    import tapeflow as tf

    draws = {tuple(tf.random.uniform([2]).numpy().tolist()) for _ in range(500)}
    draws |= {tuple(tf.random.normal([2]).numpy().tolist()) for _ in range(500)}
    assert len(draws) == 1000
    assert len(counters_reset._kernel_counters) == 0
    assert len(counters_reset._auto_counters) == 0
    a = tf.random.uniform([2], seed=5)
    b = tf.random.uniform([2], seed=5)
    np.testing.assert_allclose([a, b], [[0.3883112668991089, 0.6636828184127808],
                                        [0.42907261848449707, 0.9582782983779907]],
                               rtol=1e-6)
    assert len(counters_reset._kernel_counters) == 1
