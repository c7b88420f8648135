"""Runtime behaviour of the native core: threads, fork safety, the GIL, ISA choice."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from tapeflow import _core

BIG = 1 << 20  # large enough to use the thread pool


def _big_sum() -> float:
    x = _core.full([BIG], _core.DType.float64, 1.0)
    return float(np.asarray(_core.reduce("sum", _core.add(x, x))))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_pool_survives_fork() -> None:
    """After fork() the child starts its own pool instead of hanging (libgomp's bug)."""
    assert _big_sum() == 2.0 * BIG  # the parent's pool is running now
    pid = os.fork()
    if pid == 0:  # child: must finish a multi-threaded kernel, then exit
        ok = _big_sum() == 2.0 * BIG
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_concurrent_python_threads_get_right_answers() -> None:
    """Kernels release the GIL; callers on several threads share the pool safely."""
    results: list[float] = []

    def work() -> None:
        for _ in range(5):
            results.append(_big_sum())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [2.0 * BIG] * 20


def _run(code: str, **env: str) -> str:
    full_env = dict(os.environ, **env)
    out = subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True,
        check=True,
    )
    return out.stdout.strip()


def test_thread_cap_from_environment() -> None:
    code = "from tapeflow import _core; print(_core.num_threads())"
    assert _run(code, TAPEFLOW_NUM_THREADS="1") == "1"
    assert int(_run(code)) >= 1


def test_set_num_threads_round_trip() -> None:
    default = _core.num_threads()
    try:
        _core.set_num_threads(1)
        assert _core.num_threads() == 1
        assert _big_sum() == 2.0 * BIG
    finally:
        _core.set_num_threads(0)
    assert _core.num_threads() == default


def test_import_is_light() -> None:
    """`import tapeflow` loads no optional extras (Keras, plotting); they load lazily."""
    code = "import sys, tapeflow; print(sorted(sys.modules))"
    loaded = eval(_run(code))
    for heavy in ("tapeflow.keras", "matplotlib", "scipy", "onnx"):
        assert heavy not in loaded


def test_caching_allocator_reuses_and_releases_blocks() -> None:
    """Freed buffers are cached by size class (64-byte steps below 64 KiB), reused, and
    given back on request; live-byte accounting is unaffected."""
    _core.empty_cache()
    live = _core.host_bytes_in_use()
    x = _core.full([1 << 18], _core.DType.float32, 1.0)  # 1 MiB
    del x
    assert _core.host_bytes_in_use() == live
    cached = _core.host_bytes_cached()
    assert cached >= 1 << 20
    y = _core.full([1 << 18], _core.DType.float32, 2.0)  # same class: taken from the cache
    assert _core.host_bytes_cached() == cached - (1 << 20)
    assert float(np.asarray(y)[12345]) == 2.0
    del y
    _core.empty_cache()
    assert _core.host_bytes_cached() == 0
    small = _core.full([2000], _core.DType.float32, 0.0)  # 8000 bytes: a 64-byte class
    del small
    assert _core.host_bytes_cached() == 8000
    again = _core.full([1990], _core.DType.float32, 3.0)  # 7960 -> the same class
    assert _core.host_bytes_cached() == 0
    assert float(np.asarray(again)[1989]) == 3.0
    del again
    _core.empty_cache()
    assert _core.host_bytes_cached() == 0
