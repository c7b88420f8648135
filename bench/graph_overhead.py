"""The graph executor's cost per node, and the cost of tracing (issue #13's targets).

Rows (medians, this interpreter):
  node overhead     : a tf.function of 1,000 dependent reshape nodes (views: the kernel
                      makes no copy) on a 1-element tensor: run time / 1,000
  reduce nodes      : the same with reduce_max (a real kernel, no fusion possible)
  fused chain       : 1,000 dependent scalar adds (fused into one step): run time / 1,000
  trace 1,000 ops   : tracing the first function (get_concrete_function), ms
  steady allocations: fresh host blocks taken by 100 runs of a compiled Keras train step
Run: ``python bench/graph_overhead.py``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import tapeflow as tf
from tapeflow import _core


def chain(op, n: int = 1000):  # noqa: ANN001, ANN201
    def f(x):  # noqa: ANN001, ANN202
        for _ in range(n):
            x = op(x)
        return x
    return f


def per_node_us(fn, x, n: int = 1000) -> float:  # noqa: ANN001
    fn(x)
    ts = []
    for _ in range(21):
        t0 = time.perf_counter()
        for _ in range(20):
            fn(x)
        ts.append((time.perf_counter() - t0) / 20 / n * 1e6)
    return statistics.median(ts)


def main() -> None:
    x = tf.constant([1.0])
    view_chain = tf.function(chain(lambda v: tf.reshape(v, [1])))
    views = view_chain.get_concrete_function(x).graph
    reduce_chain = tf.function(chain(lambda v: tf.reduce_max(v, axis=0, keepdims=True)))
    t0 = time.perf_counter()
    graph = reduce_chain.get_concrete_function(x).graph
    trace_ms = (time.perf_counter() - t0) * 1e3
    add_chain = tf.function(chain(lambda v: v + 1.0))
    fused = add_chain.get_concrete_function(x).graph
    print(f"{'node overhead':<20}{per_node_us(view_chain, x):>8.3f} us/node "
          f"({len(views.ops)} nodes, {views.num_steps} steps)")
    print(f"{'reduce nodes':<20}{per_node_us(reduce_chain, x):>8.3f} us/node "
          f"({len(graph.ops)} nodes, {graph.num_steps} steps)")
    print(f"{'fused chain':<20}{per_node_us(add_chain, x):>8.3f} us/node "
          f"({len(fused.ops)} nodes, {fused.num_steps} steps)")
    print(f"{'trace 1,000 ops':<20}{trace_ms:>8.1f} ms")

    from tapeflow import keras
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(64, 8)).astype(np.float32), rng.integers(0, 3, 64)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    model.fit(xs, ys, epochs=2, batch_size=32, verbose=0)
    before = _core.host_fresh_allocations()
    model.fit(xs, ys, epochs=50, batch_size=32, verbose=0)
    print(f"{'steady allocations':<20}{_core.host_fresh_allocations() - before:>8d} "
          "fresh blocks in 100 steps")


if __name__ == "__main__":
    main()
