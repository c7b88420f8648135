"""Random numbers (``tf.random``) with TensorFlow's seeding rules and streams.

Every draw is Philox4x32-10 at a (key, counter) pair, so results do not depend on thread
count. Stateful ops follow TF's ``get_seed``: a global seed from ``set_seed`` and an op
seed give (seed, seed2); the kernel for each pair keeps a counter that advances by
256 blocks per output element, as TF's GuardedPhiloxRandom does. With the same seeds
``uniform``, ``normal`` and ``uniform`` ints reproduce TF's numbers; the stateless ops
derive their key as TF's GenerateKey does (``stateless_uniform`` is bit-exact), and
``Generator.from_seed`` follows TF's state layout. Difference: ``shuffle`` is
deterministic but not TF's permutation.

Memory: TF keeps every op kernel it ever made (its eager kernel cache grows by one per
call that draws a new op seed); here the counters are bounded. A call with no seed at
all draws fresh 64-bit seeds, whose stream starts at 0 and never recurs, so nothing is
stored. Counters of explicit op seeds and of op seeds drawn from the global seed's
sequence live in two least-recently-used tables of ``_MAX_KERNELS`` entries each.
Every number stays TF's unless a key comes back after more than ``_MAX_KERNELS``
other keys of its table were used: an auto-drawn op seed repeats one drawn that far
back (TF continues that stream, this restarts it), or a program cycles through more
explicit op seeds than that before reusing one.
"""

from __future__ import annotations

import os
import random as _pyrandom
from collections import OrderedDict
from typing import Any, Optional, Tuple

import numpy as np

from tapeflow.framework.device import to_host
from tapeflow import _core
from tapeflow.framework import dtypes
from tapeflow.framework.tensor import Tensor, convert_to_tensor, wrap
from tapeflow.ops import array_ops, math_ops
from tapeflow.ops._base import to_tensor

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1
_SAMPLES_PER_OUTPUT = 256  # TF reserves this many Philox blocks per output element

_global_seed: Optional[int] = None
_op_seed_rng: Optional[_pyrandom.Random] = None
_MAX_KERNELS = 1 << 16  # per table; 65,536 counters take about 14 MB
# (kernel, seed, seed2) -> reserved-samples offset, most recently used last; for
# explicit op seeds, and for op seeds drawn from the global seed's sequence.
_kernel_counters: "OrderedDict[Tuple[str, int, int], int]" = OrderedDict()
_auto_counters: "OrderedDict[Tuple[str, int, int], int]" = OrderedDict()


def set_seed(seed: Optional[int]) -> None:
    """Sets the global seed (``tf.random.set_seed``) and resets the op-seed sequence
    and every op's stream, so the same program draws the same numbers again."""
    global _global_seed, _op_seed_rng
    _global_seed = None if seed is None else int(seed)
    _op_seed_rng = None if seed is None else _pyrandom.Random(_global_seed)
    _kernel_counters.clear()
    _auto_counters.clear()


def get_global_seed() -> Optional[int]:
    return _global_seed


def get_seed(op_seed: Optional[int]) -> Tuple[Optional[int], Optional[int]]:
    """TF's (seed, seed2) for an op (``tf.compat.v1.get_seed``)."""
    if _global_seed is not None:
        if op_seed is None:
            op_seed = _op_seed_rng.randint(0, _MAXINT32)  # type: ignore[union-attr]
        seeds = (_global_seed % _MAXINT32, int(op_seed) % _MAXINT32)
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, int(op_seed) % _MAXINT32)
    else:
        return None, None
    if seeds == (0, 0):
        return 0, _MAXINT32
    return seeds


def _split64(v: int) -> Tuple[int, int]:
    v &= (1 << 64) - 1
    return v & 0xFFFFFFFF, v >> 32


def _stateful_key_counter(seed: Optional[int], n: int, kernel: str) -> Tuple[Any, Any]:
    """Key and counter of a stateful op's next draw of n outputs: TF's PhiloxRandom
    (seed, seed2) plus the reserved-samples offset of that op kernel, which TF caches
    per (op, dtype, seed, seed2)."""
    s1, s2 = get_seed(seed)
    if s1 is None:  # no seed anywhere: fresh random seeds (as TF), kept nowhere
        s1 = int.from_bytes(os.urandom(8), "little")
        s2 = int.from_bytes(os.urandom(8), "little")
        offset = 0
    else:
        offset = _advance((kernel, s1, s2), max(n, 1) * _SAMPLES_PER_OUTPUT,
                          explicit=seed is not None)
    key = _split64(s1)
    lo, hi = _split64(s2)
    counter = [0, 0, lo, hi]
    return key, _add_counter(counter, offset)


def _advance(k: Tuple[str, int, int], step: int, explicit: bool) -> int:
    """Returns the offset of kernel k's stream and advances it by step. A key used
    with an explicit op seed stays in that table; the least recently used key of a full
    table is dropped (TF's cache keeps it: see the module's docstring)."""
    offset = _kernel_counters.pop(k, None)
    if offset is not None or explicit:
        table = _kernel_counters
        if offset is None:
            offset = _auto_counters.pop(k, 0)
    else:
        table = _auto_counters
        offset = table.pop(k, 0)
    table[k] = offset + step  # (re)inserted as the most recently used
    if len(table) > _MAX_KERNELS:
        table.popitem(last=False)
    return offset


def _add_counter(counter: Any, n: int) -> Any:
    value = sum(int(w) << (32 * i) for i, w in enumerate(counter)) + int(n)
    value &= (1 << 128) - 1
    return [(value >> (32 * i)) & 0xFFFFFFFF for i in range(4)]


def _float_dtype(dtype: Any, op: str) -> dtypes.DType:
    dt = dtypes.as_dtype(dtype)
    if not dt.is_floating:
        raise TypeError(f"Invalid dtype {dt!r} for tf.random.{op}: a float dtype is needed")
    return dt


def _shape(shape: Any) -> list:
    return array_ops._shape_arg(shape)


def _scale(rnd: Tensor, lo: Any, hi_or_scale: Any, dt: dtypes.DType, uniform: bool) -> Tensor:
    if uniform:  # TF: rnd * (maxval - minval) + minval
        lo_t = convert_to_tensor(lo, dtype=dt)
        width = math_ops.subtract(convert_to_tensor(hi_or_scale, dtype=dt), lo_t)
        return math_ops.add(math_ops.multiply(rnd, width), lo_t)
    # normal: rnd * stddev + mean
    return math_ops.add(math_ops.multiply(rnd, convert_to_tensor(hi_or_scale, dtype=dt)),
                        convert_to_tensor(lo, dtype=dt))


def _draw(kind: str, shape: list, dt: dtypes.DType, key: Any, counter: Any,
          lo: int = 0, hi: int = 0) -> Tensor:
    if kind == "uniform_int":
        arr, _ = _core.random_uniform_int(shape, dt._core, lo, hi, key, counter)
    else:
        arr, _ = getattr(_core, "random_" + kind)(shape, dt._core, key, counter)
    return wrap(arr)


def uniform(shape: Any, minval: Any = 0, maxval: Any = None, dtype: Any = dtypes.float32,
            seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """Uniform values in [minval, maxval) (``tf.random.uniform``); integer dtypes need
    maxval, as TF."""
    dt = dtypes.as_dtype(dtype)
    dims = _shape(shape)
    n = int(np.prod(dims)) if dims else 1
    if dt.is_integer:
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {dt!r}")
        key, counter = _stateful_key_counter(seed, n, "RandomUniformInt/" + dt.name)
        return _draw("uniform_int", dims, dt, key, counter, int(minval), int(maxval))
    if not dt.is_floating:
        raise ValueError(f"Invalid dtype {dt!r} for tf.random.uniform")
    key, counter = _stateful_key_counter(seed, n, "RandomUniform/" + dt.name)
    rnd = _draw("uniform", dims, dt, key, counter)
    if minval == 0 and (maxval is None or maxval == 1):
        return rnd
    return _scale(rnd, minval, 1 if maxval is None else maxval, dt, uniform=True)


def normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = dtypes.float32,
           seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """Normally distributed values (``tf.random.normal``)."""
    dt = _float_dtype(dtype, "normal")
    dims = _shape(shape)
    key, counter = _stateful_key_counter(seed, int(np.prod(dims)) if dims else 1,
                                         "RandomStandardNormal/" + dt.name)
    return _scale(_draw("normal", dims, dt, key, counter), mean, stddev, dt, uniform=False)


def truncated_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0,
                     dtype: Any = dtypes.float32, seed: Optional[int] = None,
                     name: Optional[str] = None) -> Tensor:
    """Normal values re-drawn until within two standard deviations
    (``tf.random.truncated_normal``)."""
    dt = _float_dtype(dtype, "truncated_normal")
    dims = _shape(shape)
    key, counter = _stateful_key_counter(seed, int(np.prod(dims)) if dims else 1,
                                         "TruncatedNormal/" + dt.name)
    return _scale(_draw("truncated_normal", dims, dt, key, counter), mean, stddev, dt,
                  uniform=False)


def shuffle(value: Any, seed: Optional[int] = None, name: Optional[str] = None) -> Tensor:
    """Shuffles along the first axis (``tf.random.shuffle``); a Fisher-Yates permutation
    from the op's Philox stream (deterministic under seeds, not TF's permutation)."""
    x = to_tensor(value)
    n = x._a.shape[0] if x._a.ndim else 0
    key, counter = _stateful_key_counter(seed, max(n, 1), "RandomShuffle")
    if n <= 1:
        return x
    u = np.asarray(to_host(_draw("uniform", [n], dtypes.float64, key, counter)._a))
    perm = np.arange(n)
    for i in range(n - 1, 0, -1):
        j = int(u[i] * (i + 1))
        perm[i], perm[j] = perm[j], perm[i]
    return array_ops.gather(x, perm.astype(np.int64))


# ---- stateless ----------------------------------------------------------------------
_STATELESS_KEY = (0x3EC8F720, 0x02461E29)


def _stateless_key_counter(seed: Any) -> Tuple[Any, Any]:
    """TF's GenerateKey: one Philox block of the seed pair under a fixed key."""
    s = np.asarray(to_host(to_tensor(seed)._a)).astype(np.int64).reshape(-1)
    if s.shape != (2,):
        raise ValueError(f"seed must have shape [2], got {tuple(s.shape)}")
    c0, c1 = _split64(int(s[0]))
    c2, c3 = _split64(int(s[1]))
    mix = _core.philox([c0, c1, c2, c3], list(_STATELESS_KEY))
    return [mix[0], mix[1]], [0, 0, mix[2], mix[3]]


def stateless_uniform(shape: Any, seed: Any, minval: Any = 0, maxval: Any = None,
                      dtype: Any = dtypes.float32, name: Optional[str] = None,
                      alg: str = "auto_select") -> Tensor:
    """Deterministic uniform values from a seed pair (``tf.random.stateless_uniform``),
    bit-for-bit TF's for float32."""
    dt = dtypes.as_dtype(dtype)
    key, counter = _stateless_key_counter(seed)
    dims = _shape(shape)
    if dt.is_integer:
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {dt!r}")
        return _draw("uniform_int", dims, dt, key, counter, int(minval), int(maxval))
    rnd = _draw("uniform", dims, dt, key, counter)
    if minval == 0 and (maxval is None or maxval == 1):
        return rnd
    return _scale(rnd, minval, 1 if maxval is None else maxval, dt, uniform=True)


def stateless_normal(shape: Any, seed: Any, mean: Any = 0.0, stddev: Any = 1.0,
                     dtype: Any = dtypes.float32, name: Optional[str] = None,
                     alg: str = "auto_select") -> Tensor:
    """Deterministic normal values from a seed pair (``tf.random.stateless_normal``)."""
    dt = dtypes.as_dtype(dtype)
    key, counter = _stateless_key_counter(seed)
    return _scale(_draw("normal", _shape(shape), dt, key, counter), mean, stddev, dt,
                  uniform=False)


def stateless_truncated_normal(shape: Any, seed: Any, mean: Any = 0.0, stddev: Any = 1.0,
                               dtype: Any = dtypes.float32,
                               name: Optional[str] = None) -> Tensor:
    """Deterministic truncated normal values (``tf.random.stateless_truncated_normal``)."""
    dt = dtypes.as_dtype(dtype)
    key, counter = _stateless_key_counter(seed)
    return _scale(_draw("truncated_normal", _shape(shape), dt, key, counter), mean, stddev,
                  dt, uniform=False)


class Generator:
    """A random-number generator with its own Philox state (``tf.random.Generator``).

    As TF's: ``from_seed(s)`` makes the state [s, 0, 0] (64-bit words: a 128-bit
    counter, then the key), and each draw of n numbers advances the counter by 256 n,
    so ``Generator.from_seed(s)`` gives TF's numbers. Independent of the global seed.
    """

    def __init__(self, key: Tuple[int, int], counter: Any = (0, 0, 0, 0)) -> None:
        self._key = list(key)
        self._counter = list(counter)

    @classmethod
    def from_seed(cls, seed: int, alg: Any = None) -> "Generator":
        seed = int(seed)
        words = [(seed >> (64 * i)) & ((1 << 64) - 1) for i in range(3)]
        c0, c1 = _split64(words[0])
        c2, c3 = _split64(words[1])
        return cls(_split64(words[2]), (c0, c1, c2, c3))

    @classmethod
    def from_non_deterministic_state(cls, alg: Any = None) -> "Generator":
        return cls.from_seed(int.from_bytes(os.urandom(8), "little"))

    def _next(self, kind: str, dims: list, dt: dtypes.DType, lo: int = 0, hi: int = 0) -> Tensor:
        if kind == "uniform_int":
            arr, _ = _core.random_uniform_int(dims, dt._core, lo, hi, self._key,
                                              self._counter)
        else:
            arr, _ = getattr(_core, "random_" + kind)(dims, dt._core, self._key,
                                                      self._counter)
        n = int(np.prod(dims)) if dims else 1
        self._counter = _add_counter(self._counter, max(n, 1) * _SAMPLES_PER_OUTPUT)
        return wrap(arr)

    def uniform(self, shape: Any, minval: Any = 0, maxval: Any = None,
                dtype: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
        dt = dtypes.as_dtype(dtype)
        if dt.is_integer:
            if maxval is None:
                raise ValueError(f"Must specify maxval for integer dtype {dt!r}")
            return self._next("uniform_int", _shape(shape), dt, int(minval), int(maxval))
        rnd = self._next("uniform", _shape(shape), dt)
        return _scale(rnd, minval, 1 if maxval is None else maxval, dt, uniform=True)

    def normal(self, shape: Any, mean: Any = 0.0, stddev: Any = 1.0,
               dtype: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
        dt = dtypes.as_dtype(dtype)
        return _scale(self._next("normal", _shape(shape), dt), mean, stddev, dt,
                      uniform=False)

    def truncated_normal(self, shape: Any, mean: Any = 0.0, stddev: Any = 1.0,
                         dtype: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
        dt = dtypes.as_dtype(dtype)
        return _scale(self._next("truncated_normal", _shape(shape), dt), mean, stddev, dt,
                      uniform=False)
