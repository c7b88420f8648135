"""matmul float32 (1024^3 by default), tapeflow vs TensorFlow, one library per process.

Run each side alternately, e.g.::

    for t in 1 2; do ../.peers/tf/bin/python bench/matmul_head_to_head.py $t tf
                    python bench/matmul_head_to_head.py $t tapeflow; done

argv: threads, library ("tf" or "tapeflow"), optionally M K N (A is M x K, B is K x N).
Prints the median GFLOP/s of 15 loops of 5 products after 3 warm-up calls (TF's result
is fetched once per loop).
"""
import os, sys, time, statistics
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
threads = int(sys.argv[1])
import numpy as np
lib = sys.argv[2]
m, k, n = (int(v) for v in sys.argv[3:6]) if len(sys.argv) >= 6 else (1024, 1024, 1024)
a_np = np.random.rand(m, k).astype(np.float32); b_np = np.random.rand(k, n).astype(np.float32)
if lib == "tf":
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads); tf.config.threading.set_inter_op_parallelism_threads(1)
    a, b = tf.constant(a_np), tf.constant(b_np)
    f = lambda: tf.matmul(a, b)
else:
    import tapeflow as tf
    tf._core.set_num_threads(threads)
    a, b = tf.constant(a_np), tf.constant(b_np)
    f = lambda: tf.matmul(a, b)
for _ in range(3): f()
ts = []
for _ in range(15):
    t0 = time.perf_counter()
    for _ in range(5): r = f()
    if lib == "tf": r.numpy()
    ts.append((time.perf_counter() - t0) / 5)
print(lib, threads, f"{m}x{k}x{n}", round(2 * m * k * n / statistics.median(ts) / 1e9), "GFLOP/s")
