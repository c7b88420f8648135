"""Background work of tf.data: ``prefetch``'s producer threads and parallel ``map``.

A prefetching iterator runs its upstream on one daemon thread of its own that holds no
reference to the iterator: when the consumer drops the iterator (or reaches the end),
the thread stops within one poll interval and nothing is left behind. Parallel ``map``
calls run on one shared pool of worker threads (native kernels release the GIL).
Exceptions raised upstream reach the consumer with their original traceback.
"""

from __future__ import annotations

import collections
import concurrent.futures
import os
import queue
import threading
from typing import Any, Callable, Deque, Iterator, Optional

_POLL_S = 0.05  # how often a blocked producer checks whether its consumer is gone
_END = object()


class _Raised:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _produce(make_source: Callable[[], Iterator[Any]], out: "queue.Queue[Any]",
             stop: threading.Event) -> None:
    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    source: Optional[Iterator[Any]] = None
    try:
        source = make_source()
        for item in source:
            if not put(item):
                return
        put(_END)
    except BaseException as e:  # noqa: BLE001 - handed to the consumer
        put(_Raised(e))
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # noqa: BLE001 - the consumer is gone
                pass


class Prefetcher:
    """An iterator over ``make_source()`` produced ahead, up to ``buffer`` items, on a
    thread of its own."""

    def __init__(self, make_source: Callable[[], Iterator[Any]], buffer: int) -> None:
        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize=max(1, buffer))
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=_produce, name="tapeflow.data.prefetch",
                                        args=(make_source, self._queue, self._stop),
                                        daemon=True)
        self._thread.start()

    def __iter__(self) -> "Prefetcher":
        return self

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        item = self._queue.get()
        if item is _END:
            self._finish()
            raise StopIteration
        if type(item) is _Raised:
            self._finish()
            raise item.error
        return item

    def _finish(self) -> None:
        self._done = True
        self._stop.set()

    def close(self) -> None:
        """Stops the producer (what dropping the iterator does)."""
        self._finish()
        try:  # unblock a producer waiting to put
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def __del__(self) -> None:
        self._stop.set()


_pool_lock = threading.Lock()
_pool: Optional[concurrent.futures.ThreadPoolExecutor] = None


def pool() -> concurrent.futures.ThreadPoolExecutor:
    """The shared workers of parallel ``map`` (one per core, at least two)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=max(2, os.cpu_count() or 2),
                thread_name_prefix="tapeflow.data.map")
        return _pool


def ordered_map(fn: Callable[[Any], Any], items: Iterator[Any], parallel: int,
                ordered: bool = True) -> Iterator[Any]:
    """``fn`` over ``items`` with up to ``parallel`` calls in flight on the shared pool;
    results in input order (``ordered``) or as they finish."""
    workers = pool()
    pending: Deque["concurrent.futures.Future[Any]"] = collections.deque()
    source = iter(items)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < parallel:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(workers.submit(fn, item))
            if not pending:
                return
            if ordered:
                yield pending.popleft().result()
            else:
                done, _ = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED)
                first = next(f for f in pending if f in done)
                pending.remove(first)
                yield first.result()
    finally:
        for f in pending:
            f.cancel()
