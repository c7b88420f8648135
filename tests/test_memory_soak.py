"""Memory soak: long runs of random ops and of ``fit`` with Dropout keep RSS flat.

Each call of ``tf.random.uniform``/``normal`` used to keep one kernel counter for ever
(200,000 calls: +62 MB). The tests run each workload in chunks, after a warm-up chunk,
and check that the random module's counter tables stay bounded and that resident memory
after the last chunk is within a bound of where it was after the first.

The default (CI) size takes a few seconds; the full size (10,000 ``fit`` steps and
100,000 random calls per workload) is marked ``slow`` and runs with ``-m slow`` or
``TAPEFLOW_SOAK=1``.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras
from tapeflow.ops import random_ops

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                                reason="reads resident memory from /proc/self/statm")

SIZES = {"ci": {"calls": 10_000, "steps": 1_000},
         "full": {"calls": 100_000, "steps": 10_000}}
CHUNKS = 5  # the first is the warm-up
RSS_BOUND_MB = 8.0  # growth allowed after the warm-up (old leak: ~31 MB / 100k calls)
TABLE_CAP = 1_000  # the counter tables' bound during the test (the default is 65,536)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.fixture(params=["ci", pytest.param("full", marks=pytest.mark.slow)])
def size(request) -> dict:
    if request.param == "full":
        asked = "slow" in (request.config.getoption("markexpr") or "")
        if not (asked or os.environ.get("TAPEFLOW_SOAK")):
            pytest.skip("full-size soak: run with -m slow or TAPEFLOW_SOAK=1")
    return SIZES[request.param]


@pytest.fixture(params=[None, 7], ids=["unseeded", "global-seed"])
def global_seed(request, monkeypatch):
    monkeypatch.setattr(random_ops, "_MAX_KERNELS", TABLE_CAP)
    tf.random.set_seed(request.param)
    yield request.param
    tf.random.set_seed(None)


def _table_sizes() -> tuple:
    return len(random_ops._kernel_counters), len(random_ops._auto_counters)


def _soak(work, total: int) -> list:
    """Runs work(n) in CHUNKS chunks of n = total / CHUNKS; RSS after each chunk."""
    rss = []
    for _ in range(CHUNKS):
        work(total // CHUNKS)
        rss.append(rss_mb())
        assert max(_table_sizes()) <= TABLE_CAP
    return rss


def _assert_flat(rss: list) -> None:
    growth = max(rss[1:]) - rss[0]
    assert growth < RSS_BOUND_MB, f"RSS grew {growth:.1f} MB after warm-up: {rss}"


def test_random_calls_keep_memory_flat(size, global_seed):
    def work(n: int) -> None:
        for i in range(n):
            (tf.random.normal if i % 2 else tf.random.uniform)([4])

    rss = _soak(work, size["calls"])
    _assert_flat(rss)
    # Unseeded calls keep no counter; drawn op seeds fill their table up to its bound.
    assert _table_sizes() == ((0, 0) if global_seed is None else (0, TABLE_CAP))


def test_fit_with_dropout_keeps_memory_flat(size, global_seed):
    batches = 50
    x = np.random.default_rng(0).random((batches, 4), dtype=np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(1)])
    # Eager steps: every Dropout call draws through random_ops' counter tables (a
    # compiled step's random nodes keep their own counters instead).
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)

    def work(n: int) -> None:
        model.fit(x, y, batch_size=1, epochs=max(n // batches, 1), verbose=0)

    rss = _soak(work, size["steps"])
    _assert_flat(rss)
    steps = CHUNKS * max(size["steps"] // CHUNKS // batches, 1) * batches
    assert model.optimizer.iterations.numpy() == steps
    if global_seed is None:
        assert _table_sizes() == (0, 0)
    else:
        assert _table_sizes() == (0, min(steps, TABLE_CAP))
