"""tf.data: element order, specs, cardinality and printing as TF 2.21 (the reference
outputs in tests/fixtures/data, made by tf_reference.py under TF), plus what TF's
documentation states (seeds, caching, iterators dropped half-way, errors in map)."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

FIXTURES = Path(__file__).parent / "fixtures" / "data"


def values(ds):
    return [np.asarray(x).tolist() if not isinstance(x, (tuple, dict)) else x
            for x in ds.as_numpy_iterator()]


def _normal(line: str) -> str:
    return re.sub(r"np\.\w+\(([^()]*)\)", r"\1", line)  # numpy 1 and 2 print scalars apart


def test_reference_script_prints_what_tf_prints():
    """Every line of tf_reference.py prints under tapeflow what it prints under TF, but
    the iterator's repr (its module) and the seeded shuffle's order (TF's generator)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, str(FIXTURES / "tf_reference.py")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    got = out.stdout.splitlines()
    want = (FIXTURES / "tf_reference.txt").read_text().splitlines()
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        if "OwnedIterator object at" in w:
            assert "OwnedIterator object at" in g
            continue
        if i == 33:  # Dataset.range(10).shuffle(10, seed=1): a permutation
            assert sorted(eval(_normal(g))) == list(range(10))
            continue
        assert _normal(g) == _normal(w), f"line {i + 1}"


# ---- sources ----------------------------------------------------------------------
def test_dtypes_of_sources_follow_tf():
    assert tf.data.Dataset.range(3).element_spec.dtype == tf.int64
    assert tf.data.Dataset.from_tensor_slices([1, 2]).element_spec.dtype == tf.int32
    assert tf.data.Dataset.from_tensor_slices([1.0]).element_spec.dtype == tf.float32
    assert tf.data.Dataset.from_tensor_slices(np.zeros(2)).element_spec.dtype == tf.float64
    assert tf.data.Dataset.range(2, 8, 3, output_type=tf.int32).element_spec.dtype == tf.int32
    assert values(tf.data.Dataset.range(2, 8, 3)) == [2, 5]
    assert values(tf.data.Dataset.range(5, 0, -2)) == [5, 3, 1]


def test_from_tensor_slices_nests_and_errors():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    ds = tf.data.Dataset.from_tensor_slices({"a": x, "b": (np.arange(3), [4, 5, 6])})
    first = next(iter(ds))
    assert sorted(first) == ["a", "b"]
    np.testing.assert_array_equal(first["a"].numpy(), [0.0, 1.0])
    assert first["b"][1].numpy() == 4
    with pytest.raises(tf.errors.InvalidArgumentError, match="same size in the first"):
        tf.data.Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError):
        tf.data.Dataset.from_tensor_slices(np.float32(1.0))


def test_from_generator_signature_and_errors():
    def gen():
        for i in range(3):
            yield np.full((i + 1,), i, np.float32), i

    sig = (tf.TensorSpec((None,), tf.float32), tf.TensorSpec((), tf.int32))
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig)
    assert ds.element_spec == sig
    got = [(a.tolist(), b) for a, b in ds.as_numpy_iterator()]
    assert got == [([0.0], 0), ([1.0, 1.0], 1), ([2.0, 2.0, 2.0], 2)]
    again = [(a.tolist(), b) for a, b in ds.as_numpy_iterator()]
    assert again == got  # the generator is called again for each pass
    legacy = tf.data.Dataset.from_generator(lambda: iter([1, 2]), output_types=tf.int64)
    assert legacy.element_spec == tf.TensorSpec(None, tf.int64)
    with pytest.raises(TypeError, match="output_signature"):
        tf.data.Dataset.from_generator(gen)
    bad = tf.data.Dataset.from_generator(lambda: iter([np.zeros(2)]),
                                         output_signature=tf.TensorSpec((3,), tf.float64))
    with pytest.raises(ValueError, match="shape"):
        list(bad)
    wrong = tf.data.Dataset.from_generator(lambda: iter([(1, 2)]),
                                           output_signature=tf.TensorSpec((), tf.int32))
    with pytest.raises((TypeError, ValueError)):
        list(wrong)


def test_zip_concatenate_and_their_errors():
    a, b = tf.data.Dataset.range(3), tf.data.Dataset.range(10, 15)
    assert values(tf.data.Dataset.zip((a, b))) == [(0, 10), (1, 11), (2, 12)]
    assert len(tf.data.Dataset.zip({"x": a, "y": b})) == 3
    assert values(a.concatenate(b))[-2:] == [13, 14]
    with pytest.raises(TypeError, match="Incompatible dataset elements"):
        a.concatenate(tf.data.Dataset.from_tensor_slices([1.0]))
    with pytest.raises(TypeError):
        tf.data.Dataset.zip([a, b])  # a list: TF asks for a tuple


# ---- transformations ----------------------------------------------------------------
def test_map_unpacks_tuples_and_keeps_dicts():
    ds = tf.data.Dataset.from_tensor_slices(([1, 2], [10, 20]))
    assert values(ds.map(lambda x, y: x + y)) == [11, 22]
    dd = tf.data.Dataset.from_tensor_slices({"x": [1, 2]})
    assert values(dd.map(lambda d: d["x"] * 3)) == [3, 6]
    assert ds.map(lambda x, y: [x, y]).element_spec == (tf.TensorSpec((), tf.int32),) * 2


def test_map_traces_once_per_shape():
    """The function is traced (Python side effects at trace time, not per element)."""
    calls = []

    def f(x):
        calls.append(1)
        return x * 2

    ds = tf.data.Dataset.range(100).map(f)
    n_after_build = len(calls)
    assert values(ds)[:3] == [0, 2, 4]
    assert len(calls) - n_after_build <= 1  # at most one more trace, not 100 calls


def test_map_that_cannot_be_traced_runs_eagerly():
    ds = tf.data.Dataset.range(4).map(lambda x: x * int(x.numpy()))
    assert values(ds) == [0, 1, 4, 9]


def test_map_output_spec_has_none_for_data_dependent_shapes():
    ds = tf.data.Dataset.range(1, 4).map(lambda x: tf.fill([x], x))
    assert ds.element_spec == tf.TensorSpec((None,), tf.int64)


def test_parallel_map_keeps_order_and_deterministic_false_is_accepted():
    ds = tf.data.Dataset.range(200).map(lambda x: x * 3, num_parallel_calls=4)
    assert values(ds) == [3 * i for i in range(200)]
    loose = tf.data.Dataset.range(50).map(lambda x: x + 1, num_parallel_calls=2,
                                          deterministic=False)
    assert sorted(values(loose)) == list(range(1, 51))


def test_exception_in_map_reaches_the_consumer_with_its_traceback():
    def boom(x):
        return tf.py_function(lambda v: 1 / 0 if int(v) == 3 else v, [x], tf.int64)

    for ds in (tf.data.Dataset.range(5).map(boom),
               tf.data.Dataset.range(5).map(boom, num_parallel_calls=2),
               tf.data.Dataset.range(5).map(boom).prefetch(2)):
        got = []
        with pytest.raises(Exception) as info:
            for x in ds:
                got.append(int(x))
        assert got == [0, 1, 2]
        text = "".join(__import__("traceback").format_exception(
            info.type, info.value, info.tb))
        assert "ZeroDivisionError" in text


def test_filter_take_skip_shard_enumerate():
    ds = tf.data.Dataset.range(10)
    assert values(ds.filter(lambda x: x % 3 == 0)) == [0, 3, 6, 9]
    assert values(ds.take(3)) == [0, 1, 2] and values(ds.skip(8)) == [8, 9]
    assert values(ds.take(-1)) == list(range(10)) and values(ds.skip(-1)) == []
    assert values(ds.shard(4, 3)) == [3, 7]
    with pytest.raises(tf.errors.InvalidArgumentError):
        ds.shard(2, 2)
    with pytest.raises(ValueError, match="tf.bool"):
        ds.filter(lambda x: x)


def test_batch_padded_batch_unbatch_rebatch():
    ds = tf.data.Dataset.range(7)
    assert [len(b) for b in values(ds.batch(3))] == [3, 3, 1]
    assert ds.batch(3, drop_remainder=True).cardinality().numpy() == 2
    assert values(ds.batch(3).unbatch()) == list(range(7))
    with pytest.raises(ValueError, match="scalar"):
        ds.unbatch()
    ragged = tf.data.Dataset.range(1, 4).map(lambda x: tf.fill([x], x))
    with pytest.raises(tf.errors.InvalidArgumentError):
        list(ragged.batch(2))
    padded = list(ragged.padded_batch(2, padded_shapes=[4]).as_numpy_iterator())
    assert padded[0].tolist() == [[1, 0, 0, 0], [2, 2, 0, 0]]
    assert ragged.padded_batch(2, padded_shapes=[4]).element_spec == \
        tf.TensorSpec((None, 4), tf.int64)


def test_shuffle_seeds_and_reshuffling():
    ds = tf.data.Dataset.range(20)
    a = values(ds.shuffle(20, seed=7))
    assert sorted(a) == list(range(20)) and a != list(range(20))
    assert values(ds.shuffle(20, seed=7)) == a  # same seed, same order
    epochs = ds.shuffle(20, seed=7)
    first, second = values(epochs), values(epochs)
    assert first != second and sorted(second) == list(range(20))  # reshuffled
    fixed = ds.shuffle(20, seed=7, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)
    two = values(ds.shuffle(20, seed=7).repeat(2))
    assert sorted(two[:20]) == sorted(two[20:]) == list(range(20)) and two[:20] != two[20:]
    small = values(tf.data.Dataset.range(100).shuffle(2, seed=1))
    assert all(v <= i + 1 for i, v in enumerate(small))  # a 2-slot buffer
    tf.random.set_seed(5)
    g1 = values(ds.shuffle(20))
    tf.random.set_seed(5)
    assert values(ds.shuffle(20)) == g1  # the global seed decides


def test_cache_runs_its_upstream_once():
    calls = []
    ds = tf.data.Dataset.range(5).map(
        lambda x: tf.py_function(lambda v: calls.append(1) or v, [x], tf.int64)).cache()
    calls.clear()  # (building the map ran it on placeholders)
    assert values(ds) == values(ds) == list(range(5))
    assert len(calls) == 5


def test_file_cache_and_save_load(tmp_path):
    ds = tf.data.Dataset.from_tensor_slices((np.arange(6.0).reshape(3, 2), [1, 2, 3]))
    cached = ds.cache(str(tmp_path / "c"))
    first = values(cached)
    again = tf.data.Dataset.from_tensor_slices((np.zeros((3, 2)), [0, 0, 0])).cache(
        str(tmp_path / "c"))
    assert [b for _, b in values(again)] == [1, 2, 3]  # read from the file
    ds.save(str(tmp_path / "saved"))
    loaded = tf.data.Dataset.load(str(tmp_path / "saved"))
    assert loaded.element_spec == ds.element_spec and len(loaded) == 3
    assert [b for _, b in values(loaded)] == [b for _, b in first]
    with pytest.raises(tf.errors.NotFoundError):
        tf.data.Dataset.load(str(tmp_path / "missing"))


def test_window_flat_map_interleave_group_by_window_scan():
    ds = tf.data.Dataset.range(7)
    wins = [values(w) for w in ds.window(3, shift=2)]
    assert wins == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]
    assert [values(w) for w in ds.window(2, stride=3, drop_remainder=True)] == \
        [[0, 3], [2, 5]]  # windows start every `shift` (= size) elements
    assert values(ds.flat_map(lambda x: tf.data.Dataset.range(x))) == \
        [0, 0, 1, 0, 1, 2, 0, 1, 2, 3, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5]
    inter = tf.data.Dataset.range(1, 4).interleave(
        lambda x: tf.data.Dataset.from_tensors(x).repeat(x), cycle_length=2)
    assert values(inter) == [1, 2, 2, 3, 3, 3]
    assert values(ds.scan(tf.constant(0, tf.int64), lambda s, x: (s + x, s + x))) == \
        [0, 1, 3, 6, 10, 15, 21]
    grouped = list(ds.group_by_window(lambda x: x % 2, lambda k, w: w.batch(10),
                                      window_size=10).as_numpy_iterator())
    assert [g.tolist() for g in grouped] == [[0, 2, 4, 6], [1, 3, 5]]


def test_bucket_by_sequence_length():
    lengths = [1, 5, 2, 6, 3, 7]
    ds = tf.data.Dataset.from_generator(
        lambda: (np.ones(n, np.int32) for n in lengths),
        output_signature=tf.TensorSpec((None,), tf.int32))
    out = ds.bucket_by_sequence_length(lambda x: tf.shape(x)[0], [4], [2, 2])
    shapes = [b.shape for b in out.as_numpy_iterator()]
    assert shapes == [(2, 2), (2, 6), (1, 3), (1, 7)]


def test_take_while_unique_reduce_single_element():
    ds = tf.data.Dataset.from_tensor_slices([3, 1, 3, 2, 1])
    assert values(ds.unique()) == [3, 1, 2]
    assert values(ds.take_while(lambda x: x > 0)) == [3, 1, 3, 2, 1]
    assert int(ds.reduce(np.int32(0), lambda s, x: s + x)) == 10
    assert int(tf.data.Dataset.from_tensors(5).get_single_element()) == 5
    with pytest.raises(tf.errors.InvalidArgumentError):
        ds.get_single_element()


def test_cardinality_and_len_as_tf():
    ds = tf.data.Dataset.range(10)
    assert len(ds.batch(4)) == 3
    assert ds.repeat().cardinality().numpy() == tf.data.INFINITE_CARDINALITY
    assert ds.filter(lambda x: x > 2).cardinality().numpy() == tf.data.UNKNOWN_CARDINALITY
    assert tf.data.experimental.cardinality(ds).numpy() == 10
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())
    with pytest.raises(TypeError, match="unknown"):
        len(ds.filter(lambda x: x > 2))


def test_iterator_get_next_and_options():
    it = iter(tf.data.Dataset.range(2))
    assert int(it.get_next()) == 0 and int(next(it)) == 1
    with pytest.raises(tf.errors.OutOfRangeError):
        it.get_next()
    opts = tf.data.Options()
    opts.deterministic = False
    opts.threading.private_threadpool_size = 2
    ds = tf.data.Dataset.range(3).with_options(opts)
    assert ds.options().deterministic is False
    assert values(ds) == [0, 1, 2]


# ---- threads ----------------------------------------------------------------------
def _data_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("tapeflow.data.pre"))


def test_prefetch_iterators_dropped_half_way_leave_no_thread():
    ds = tf.data.Dataset.range(10_000).map(lambda x: x + 1).prefetch(4)
    before = _data_threads()
    for _ in range(20):
        it = iter(ds)
        next(it)
        next(it)
        del it
    gc.collect()
    deadline = time.time() + 5
    while _data_threads() > before and time.time() < deadline:
        time.sleep(0.02)
    assert _data_threads() == before
    assert values(ds.take(3)) == [1, 2, 3]


def test_prefetch_gives_every_element_once_in_order():
    ds = tf.data.Dataset.range(1000).batch(7).prefetch(tf.data.AUTOTUNE).unbatch()
    assert values(ds) == list(range(1000))


# ---- not supported ----------------------------------------------------------------
def test_string_sources_say_they_are_not_supported():
    with pytest.raises(NotImplementedError, match="string"):
        tf.data.TextLineDataset(["a.txt"])
    with pytest.raises(NotImplementedError, match="string"):
        tf.data.Dataset.list_files("*.txt")


@pytest.mark.parametrize("pipeline", [
    lambda d: d.shuffle(1000, seed=3),
    lambda d: d.shuffle(7, seed=3),
    lambda d: d.shuffle(50, seed=3).take(33).skip(4),
    lambda d: d.repeat(3).shard(4, 1),
    lambda d: d.skip(-1).repeat(2),
    lambda d: d.take(0),
    lambda d: d.shuffle(10, seed=1, reshuffle_each_iteration=False).repeat(2).take(130),
], ids=["full_shuffle", "small_buffer", "shuffle_take_skip", "repeat_shard", "skip_all",
        "take_none", "fixed_shuffle_repeat"])
def test_batches_of_sliced_rows_equal_batching_the_elements(pipeline):
    """Batches over from_tensor_slices rows (gathered by index) hold exactly the elements
    the same pipeline yields one by one, in order."""
    x = np.arange(100 * 3, dtype=np.float32).reshape(100, 3)
    y = np.arange(100)

    def build():
        return pipeline(tf.data.Dataset.from_tensor_slices((x, y)))

    one_by_one = [(a.tolist(), int(b)) for a, b in build().as_numpy_iterator()]
    batched = [(a.tolist(), b.tolist()) for a, b in build().batch(16).as_numpy_iterator()]
    flat = [(row, lab) for a, b in batched for row, lab in zip(a, b)]
    assert flat == one_by_one
    for row, label in one_by_one:
        assert row == x[label].tolist()
    assert all(len(b) == 16 for b, _ in batched[:-1])


def test_iterating_a_dataset_inside_tf_function_says_it_is_not_supported():
    ds = tf.data.Dataset.range(3)

    @tf.function
    def total():
        s = tf.constant(0, tf.int64)
        for x in ds:
            s += x
        return s

    with pytest.raises(NotImplementedError, match="inside a tf.function"):
        total()
    assert sum(int(x) for x in ds) == 3  # outside: fine


def test_from_generator_legacy_types_and_shapes_nest_as_tf():
    """TF 2.21: output_types=(tf.int32, tf.float32), output_shapes=((), (3,)) gives
    (TensorSpec(shape=(), int32), TensorSpec(shape=(3,), float32))."""
    def gen():
        yield 1, np.zeros(3, np.float32)

    ds = tf.data.Dataset.from_generator(gen, output_types=(tf.int32, tf.float32),
                                        output_shapes=((), (3,)))
    assert ds.element_spec == (tf.TensorSpec((), tf.int32), tf.TensorSpec((3,), tf.float32))
    d2 = tf.data.Dataset.from_generator(lambda: iter([{"a": [1, 2]}]),
                                        output_types={"a": tf.int64},
                                        output_shapes={"a": [None]})
    assert d2.element_spec == {"a": tf.TensorSpec((None,), tf.int64)}
    assert values(ds)[0][1].tolist() == [0.0, 0.0, 0.0]
