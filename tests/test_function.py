"""tf.function: tracing into graphs, retracing rules, variables, guards, tf.print.

Expected texts and behaviours were taken from TF 2.21 (../.peers/tf) running the same
code; compiled results are compared bit for bit with eager ones (the graph runs the
same kernels in the same order).
"""

from __future__ import annotations

import collections
import logging

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _core
from tapeflow.framework import errors
from test_gradients import CASES, _as_args, _outputs, _rng


def _count(f):  # noqa: ANN001, ANN202
    return f.experimental_get_tracing_count()


# ---- tracing and retracing -----------------------------------------------------------


def test_python_print_at_trace_only_and_tf_print_every_call(capfd) -> None:  # noqa: ANN001
    @tf.function
    def f(x):
        print("tracing", x)
        tf.print("running", x)
        return x * 2

    for _ in range(3):
        f(tf.constant(1))
    out = capfd.readouterr()
    assert out.out == 'tracing Tensor("x:0", shape=(), dtype=int32)\n'
    assert out.err == "running 1\n" * 3  # tf.print writes to the process's stderr


def test_retracing_rules_match_tf() -> None:
    traces = []

    @tf.function
    def f(x):
        traces.append(x)
        return x * 2

    f(tf.constant(1))
    f(tf.constant(2))            # same shape and dtype: no trace
    assert _count(f) == 1
    f(tf.constant([1, 2]))       # new shape
    f(tf.constant(1.0))          # new dtype
    assert _count(f) == 3
    f(1)
    f(1.0)                        # 1 == 1.0: reuses f(1)'s trace, as TF
    f(2)                          # a new Python value retraces
    assert _count(f) == 5
    assert f(2).numpy() == 4 and f(2).dtype == tf.int32


def test_results_are_the_graphs_not_the_trace() -> None:
    @tf.function
    def f(x, y):
        return tf.matmul(x, y) + 1.0

    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.ones((3, 2), np.float32)
    f(tf.constant(a), tf.constant(b))
    got = f(tf.constant(a * 2), tf.constant(b * 3))
    np.testing.assert_array_equal(got.numpy(), (a * 2) @ (b * 3) + 1)
    # numpy arrays are tensors (one trace per shape and dtype)
    np.testing.assert_array_equal(f(a, b).numpy(), a @ b + 1)


def test_input_signature() -> None:
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def g(x):
        return x + 1

    for n in (1, 3, 7):
        np.testing.assert_array_equal(g(tf.ones([n])).numpy(), np.full(n, 2, np.float32))
    assert _count(g) == 1
    with pytest.raises(TypeError, match=r"Can not cast TensorSpec\(shape=\(1,\), "
                       r"dtype=tf.float64, name=None\) to TensorSpec\(shape=\(None,\)"):
        g(tf.constant([1.0], tf.float64))
    with pytest.raises(TypeError, match="Can not cast"):
        g(tf.constant([[1.0]]))
    out = g(np.array([1.0], np.float64))  # a numpy array is cast, as TF
    assert out.dtype == tf.float32 and out.numpy().tolist() == [2.0]
    assert _count(g) == 1


def test_reduce_retracing() -> None:
    @tf.function(reduce_retracing=True)
    def f(x):
        return x * 2

    f(tf.ones([2]))
    f(tf.ones([3]))      # relaxes to (None,)
    f(tf.ones([4]))
    f(tf.ones([5]))
    assert _count(f) == 2
    f(1)
    f(2)                 # Python values still retrace per value
    assert _count(f) == 4
    assert "shape=(None,)" in f.pretty_printed_concrete_signatures()


def test_frequent_retracing_warning(caplog) -> None:  # noqa: ANN001
    @tf.function
    def q(x):
        return x

    with caplog.at_level(logging.WARNING, logger="tapeflow"):
        for i in range(6):
            q(tf.ones([i + 1]))
    msgs = [r.getMessage() for r in caplog.records if "retracing" in r.getMessage()]
    assert msgs[0].startswith("5 out of the last 5 calls to <function ")
    assert "triggered tf.function retracing. Tracing is expensive" in msgs[0]
    assert msgs[1].startswith("6 out of the last 6 calls")


def test_signatures_print_as_tf() -> None:
    v = tf.Variable(2.0)

    @tf.function
    def f(x):
        return {"a": x * v, "b": (x, 3)}

    f(tf.constant(1.0))
    assert f.pretty_printed_concrete_signatures() == (
        "Input Parameters:\n"
        "  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.float32, name=None)\n"
        "Output Type:\n"
        "  Dict[['a', TensorSpec(shape=(), dtype=tf.float32, name=None)], ['b', "
        "Tuple[TensorSpec(shape=(), dtype=tf.float32, name=None), TensorSpec(shape=(), "
        "dtype=tf.int32, name=None)]]]\n"
        "Captures:\n"
        f"  {id(v)}: TensorSpec(shape=(), dtype=tf.resource, name=None)")

    @tf.function
    def g(a, b=2, *, c=3):
        return a + b + c

    g(tf.constant(1))
    assert g.pretty_printed_concrete_signatures() == (
        "Input Parameters:\n"
        "  a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.int32, name=None)\n"
        "  b (POSITIONAL_OR_KEYWORD): Literal[2]\n"
        "  c (KEYWORD_ONLY): Literal[3]\n"
        "Output Type:\n"
        "  TensorSpec(shape=(), dtype=tf.int32, name=None)\n"
        "Captures:\n"
        "  None")
    cf = g.get_concrete_function(tf.constant(1))
    assert repr(cf).startswith(
        "<ConcreteFunction (a: TensorSpec(shape=(), dtype=tf.int32, name=None), b: "
        "Literal[2], c: Literal[3]) -> TensorSpec(shape=(), dtype=tf.int32, name=None) at 0x")
    assert str(cf).startswith("ConcreteFunction Input Parameters:\n")
    assert g.python_function.__name__ == "g"


def test_concrete_functions() -> None:
    @tf.function
    def f(x):
        return x * 2

    cf = f.get_concrete_function(tf.TensorSpec([None, 3], tf.float32))
    assert _count(f) == 1
    assert cf.structured_input_signature == (
        (tf.TensorSpec([None, 3], tf.float32, name="x"),), {})
    np.testing.assert_array_equal(cf(tf.ones([4, 3])).numpy(), np.full((4, 3), 2.0))
    f(tf.ones([5, 3]))      # a subtype of the traced (None, 3): no new trace, as TF
    assert _count(f) == 1
    with pytest.raises(TypeError):
        cf(tf.ones([4, 2]))
    assert f.get_concrete_function(tf.TensorSpec([None, 3], tf.float32)) is cf


def test_outputs_are_nests_and_python_values_become_tensors() -> None:
    Point = collections.namedtuple("Point", "x y")

    @tf.function
    def f(x):
        return {"p": Point(x, x + 1), "n": 3, "s": "text", "none": None}

    out = f(tf.constant(1.0))
    assert isinstance(out["p"], Point) and out["p"].y.numpy() == 2.0
    assert out["n"].dtype == tf.int32 and out["n"].numpy() == 3
    assert out["s"] == "text" and out["none"] is None


def test_executing_eagerly_is_false_inside() -> None:
    @tf.function
    def f():
        return tf.executing_eagerly()

    assert tf.executing_eagerly() is True
    assert bool(f().numpy()) is False


def test_bound_methods_trace_per_instance() -> None:
    class Scale(tf.Module):
        def __init__(self, k):  # noqa: ANN001
            super().__init__()
            self.k = tf.Variable(k)

        @tf.function
        def __call__(self, x):
            return x * self.k

    a, b = Scale(2.0), Scale(3.0)
    assert a(tf.constant(1.0)).numpy() == 2.0
    assert b(tf.constant(1.0)).numpy() == 3.0
    assert a.__call__.experimental_get_tracing_count() == 1


def test_nested_functions() -> None:
    @tf.function
    def inner(x):
        return x * x

    @tf.function
    def outer(x):
        return inner(x) + inner(x + 1)

    assert outer(tf.constant(2.0)).numpy() == 13.0
    assert outer(tf.constant(3.0)).numpy() == 25.0


# ---- variables ---------------------------------------------------------------------


def test_captured_variables_are_read_at_every_call() -> None:
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        return x + v

    assert f(tf.constant(1.0)).numpy() == 2.0
    v.assign(10.0)
    assert f(tf.constant(1.0)).numpy() == 11.0


def test_assignments_happen_once_per_call() -> None:
    v = tf.Variable(0.0)

    @tf.function
    def f():
        v.assign_add(1.0)
        before = v.read_value()
        v.assign(v * 10.0)
        return before

    assert f().numpy() == 1.0 and v.numpy() == 10.0   # the trace's own run was undone
    assert f().numpy() == 11.0 and v.numpy() == 110.0


def test_value_read_before_assignment_keeps_old_value() -> None:
    v = tf.Variable(1.0)

    @tf.function
    def f():
        old = v.read_value()
        v.assign(5.0)
        return old * 2.0

    assert f().numpy() == 2.0
    assert f().numpy() == 10.0


def test_variables_created_on_first_call_trace_twice() -> None:
    class Model(tf.Module):
        def __init__(self):  # noqa: ANN204
            super().__init__()
            self.w = None

        @tf.function
        def __call__(self, x):
            if self.w is None:
                self.w = tf.Variable(3.0)
            return x * self.w

    m = Model()
    assert m(tf.constant(2.0)).numpy() == 6.0
    assert m.__call__.experimental_get_tracing_count() == 2
    m.w.assign(4.0)
    assert m(tf.constant(2.0)).numpy() == 8.0


def test_creating_a_variable_every_call_is_an_error() -> None:
    @tf.function
    def f(x):
        return tf.Variable(1.0) + x

    with pytest.raises(ValueError, match="tf.function only supports singleton "
                       "tf.Variables created on the first call"):
        f(1.0)


def test_training_step_matches_eager_bit_for_bit() -> None:
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((64, 2)).astype(np.float32))
    y = tf.constant(rng.standard_normal((64, 1)).astype(np.float32))

    def make():  # noqa: ANN202
        w = tf.Variable(np.full((2, 1), 0.5, np.float32))
        b = tf.Variable(tf.zeros((1,)))

        def step(x, y):  # noqa: ANN001, ANN202
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(y - (tf.matmul(x, w) + b)))
            gw, gb = tape.gradient(loss, [w, b])
            w.assign_sub(gw * 0.1)
            b.assign_sub(gb * 0.1)
            return loss
        return w, b, step

    we, be, eager = make()
    wg, bg, step = make()
    compiled = tf.function(step)
    for _ in range(5):
        np.testing.assert_array_equal(eager(x, y).numpy(), compiled(x, y).numpy())
    np.testing.assert_array_equal(we.numpy(), wg.numpy())
    np.testing.assert_array_equal(be.numpy(), bg.numpy())
    assert compiled.experimental_get_tracing_count() == 1


def test_gradient_through_a_function_call() -> None:
    @tf.function
    def f(x):
        return tf.sin(x) * x

    x = tf.Variable(0.5)
    with tf.GradientTape() as tape:
        y = f(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.cos(0.5) * 0.5 + np.sin(0.5),
                               rtol=1e-6)


def test_random_ops_draw_new_numbers_each_call() -> None:
    @tf.function
    def f():
        return tf.random.uniform([4])

    a, b = f().numpy(), f().numpy()
    assert not np.array_equal(a, b)
    assert ((a >= 0) & (a < 1)).all()


# ---- Python control flow on tensors: guards -----------------------------------------------


def test_python_if_on_a_tensor_follows_each_value() -> None:
    traces = []

    @tf.function
    def f(x):
        traces.append(1)
        if x > 0:
            return x
        return -x

    assert f(tf.constant(-3)).numpy() == 3
    assert f(tf.constant(4)).numpy() == 4
    assert f(tf.constant(-5)).numpy() == 5
    assert _count(f) == 1 and len(traces) == 2   # one trace per path taken


def test_python_while_on_a_tensor() -> None:
    @tf.function
    def collatz(n):
        steps = tf.constant(0)
        while n != 1:
            n = tf.where(n % 2 == 0, n // 2, 3 * n + 1)
            steps += 1
        return steps

    assert collatz(tf.constant(6)).numpy() == 8
    assert collatz(tf.constant(7)).numpy() == 16
    assert collatz(tf.constant(6)).numpy() == 8


def test_autograph_false_and_reading_values_raise_tf_errors() -> None:
    @tf.function(autograph=False)
    def f(x):
        return x if x > 0 else -x

    with pytest.raises(errors.OperatorNotAllowedInGraphError,
                       match="Using a symbolic `tf.Tensor` as a Python `bool`"):
        f(tf.constant(1))

    @tf.function
    def g(x):
        return x.numpy()

    with pytest.raises(AttributeError, match="'SymbolicTensor' object has no attribute 'numpy'"):
        g(tf.constant(1))

    @tf.function
    def h(x):
        return np.asarray(x)

    with pytest.raises(NotImplementedError, match="Cannot convert a symbolic tf.Tensor"):
        h(tf.constant(1))


# ---- Python in graphs -------------------------------------------------------------------


def test_tf_print_layout(capfd) -> None:  # noqa: ANN001
    import sys

    tf.print(tf.constant([1.5, 2.0]), tf.constant(3), "hi",
             tf.constant([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]), tf.constant(2.25),
             tf.constant([True, False]), output_stream=sys.stdout)
    tf.print(tf.range(10), summarize=-1, output_stream=sys.stdout)
    tf.print(tf.range(10), output_stream=sys.stdout)
    tf.print(tf.constant(1e-8), tf.constant([1e10, 1.0]), tf.constant(0.1),
             output_stream=sys.stdout)
    assert capfd.readouterr().out == (  # TF 2.21's output for the same calls
        "[1.5 2] 3 hi [[1 2 3 4 5]\n [6 7 8 9 10]] 2.25 [1 0]\n"
        "[0 1 2 3 4 5 6 7 8 9]\n"
        "[0 1 2 ... 7 8 9]\n"
        "1e-08 [1e+10 1] 0.1\n")


def test_py_function_runs_at_every_call() -> None:
    calls = []

    def py(x):  # noqa: ANN001, ANN202
        calls.append(float(x))
        return x * 10

    @tf.function
    def f(x):
        return tf.py_function(py, [x], tf.float32) + 1

    assert f(tf.constant(1.0)).numpy() == 11.0
    assert f(tf.constant(2.0)).numpy() == 21.0
    assert calls == [1.0, 1.0, 2.0]   # the trace, then each run

    @tf.function
    def g(x):
        return tf.numpy_function(lambda a: (a * 2).astype(np.float32), [x], tf.float32)

    np.testing.assert_array_equal(g(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])


def test_run_functions_eagerly() -> None:
    traces = []

    @tf.function
    def f(x):
        traces.append(tf.executing_eagerly())
        return x + 1

    tf.config.run_functions_eagerly(True)
    try:
        assert tf.config.functions_run_eagerly()
        f(tf.constant(1))
        f(tf.constant(1))
    finally:
        tf.config.run_functions_eagerly(False)
    assert traces == [True, True]


def test_jit_compile_gives_the_same_numbers() -> None:
    x = tf.constant(np.linspace(-2, 2, 9, dtype=np.float32))
    f = tf.function(lambda x: tf.nn.softmax(tf.tanh(x) * 3.0), jit_compile=True)
    np.testing.assert_array_equal(f(x).numpy(), tf.nn.softmax(tf.tanh(x) * 3.0).numpy())


# ---- the graph itself --------------------------------------------------------------------


def test_constants_fold_and_dead_code_is_pruned() -> None:
    @tf.function
    def f(x):
        c = tf.exp(tf.constant(2.0)) * 3.0   # no input: folded into one constant
        unused = tf.sin(x)                    # noqa: F841 - pruned
        return x * c

    f(tf.constant(1.0))
    graph = f.get_concrete_function(tf.constant(1.0)).graph
    assert graph.ops == ["mul"]
    assert graph.num_inputs == 1 and graph.num_constants == 1


def test_runtime_error_names_the_node_and_the_line() -> None:
    @tf.function
    def f(params, i):
        return tf.gather(params, i)

    f(tf.constant([1.0, 2.0]), tf.constant(1))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"(?s)while running node \d+ 'gather', created at "
                             r".*test_function.py:\d+ in f"):
        f(tf.constant([1.0, 2.0]), tf.constant(7))


def test_data_dependent_shapes_say_so() -> None:
    @tf.function
    def f(x):
        return tf.where(x > 0)   # the output's shape depends on the values

    with pytest.raises(NotImplementedError, match="symbolic tf.Tensor"):
        f(tf.constant([1.0, -1.0]))


# ---- every op family: compiled == eager, bit for bit ----------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_compiled_matches_eager(case) -> None:  # noqa: ANN001
    rng = _rng(case.name, 0)
    inputs = case.make(rng, 0)
    args = _as_args(inputs)
    tensor_pos = [i for i, a in enumerate(args) if isinstance(a, tf.Tensor)]

    def run(*tensors):  # noqa: ANN002, ANN202
        full = list(args)
        for i, t in zip(tensor_pos, tensors):
            full[i] = t
        with tf.GradientTape() as tape:
            for k in case.diff:
                tape.watch(full[k])
            outs = _outputs(case.fn(*full))
            loss = tf.add_n([tf.reduce_sum(o * o) for o in outs])
        grads = tape.gradient(loss, [full[k] for k in case.diff])
        return outs, [tf.convert_to_tensor(g) for g in grads]

    tensors = [args[i] for i in tensor_pos]
    eager = run(*tensors)
    try:
        compiled = tf.function(run)(*tensors)
    except NotImplementedError as e:  # ops whose output shape depends on values
        assert "symbolic tf.Tensor" in str(e)
        pytest.skip(f"{case.name}: data-dependent shape, not traceable yet")
    for e, c in zip(tf.nest.flatten(eager), tf.nest.flatten(compiled)):
        np.testing.assert_array_equal(e.numpy(), c.numpy(), err_msg=case.name)
    # The graph as data (what saved_model writes) rebuilds into one that runs the same.
    graph = tf.function(run).get_concrete_function(*tensors).graph
    rebuilt = _core.Graph.from_definition(graph.definition())
    assert str(rebuilt) == str(graph)
    if not any(op.startswith("random") for op in graph.ops):
        arrays = [t._a for t in tensors]
        for a, b in zip(graph.run(arrays, []), rebuilt.run(arrays, [])):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=case.name)


# ---- tf.cond / tf.case / tf.switch_case / tf.while_loop ------------------------------------


@pytest.mark.parametrize("compiled", [False, True])
def test_control_flow_functions(compiled: bool) -> None:
    def run(x, k):  # noqa: ANN001, ANN202
        a = tf.cond(x > 0, lambda: x * 2.0, lambda: -x)
        b = tf.case([(x > 10.0, lambda: tf.constant(1)), (x > 0.0, lambda: tf.constant(2))],
                    default=lambda: tf.constant(3))
        c = tf.switch_case(k, [lambda: tf.constant(10.0), lambda: tf.constant(20.0)],
                           default=lambda: tf.constant(-1.0))
        i, s = tf.while_loop(lambda i, s: i < k + 3, lambda i, s: (i + 1, s + x),
                             (tf.constant(0), tf.constant(0.0)))
        return a, b, c, i, s

    f = tf.function(run) if compiled else run
    for x, k, want in [(2.0, 1, (4.0, 2, 20.0, 4, 8.0)), (-1.0, 0, (1.0, 3, 10.0, 3, -3.0)),
                       (20.0, 5, (40.0, 1, -1.0, 8, 160.0)), (2.0, 1, (4.0, 2, 20.0, 4, 8.0))]:
        got = f(tf.constant(x), tf.constant(k))
        assert [float(g.numpy()) for g in got] == list(want)


def test_while_loop_structure_and_errors() -> None:
    out = tf.while_loop(lambda v: v < 5, lambda v: v + 1, tf.constant(0))
    assert out.numpy() == 5
    out = tf.while_loop(lambda v: True, lambda v: v + 1, [tf.constant(0)],
                        maximum_iterations=3)
    assert isinstance(out, list) and out[0].numpy() == 3
    with pytest.raises(ValueError):
        tf.while_loop(lambda a, b: a < 1, lambda a, b: (a + 1,), (tf.constant(0), 1))
    with pytest.raises(TypeError, match="'cond' must be callable."):
        tf.while_loop(1, lambda v: v, [1])
    with pytest.raises(TypeError, match="true_fn must be callable."):
        tf.cond(True, 1, lambda: 2)


# ---- shapes: graphs that serve every batch size ------------------------------------------


def test_none_dimensions_trace_twice_then_serve_every_shape() -> None:
    runs = []

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def f(x):  # noqa: ANN001, ANN202
        runs.append(x.shape[0])
        return tf.reduce_sum(x, axis=1) * tf.cast(tf.shape(x)[0], tf.float32)

    for b in [2, 3, 4, 7, 1]:
        x = np.arange(3 * b, dtype=np.float32).reshape(b, 3)
        np.testing.assert_array_equal(f(x).numpy(), x.sum(axis=1) * b)
    assert runs == [2, 3]  # the second trace proved the graph shape-free
    assert f.experimental_get_tracing_count() == 1


def test_shape_baked_into_attributes_retraces_per_shape() -> None:
    runs = []

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def f(x):  # noqa: ANN001, ANN202
        runs.append(x.shape[0])
        return tf.reshape(x, [x.shape[0], 3, 1])  # a Python int from the traced shape

    for b in [2, 3, 4]:
        assert f(tf.ones([b, 3])).shape == (b, 3, 1)
    assert runs == [2, 3, 4]
    assert not f.get_concrete_function()._prove_shape_free()


def test_tf_shape_and_size_are_ops() -> None:
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def f(x):  # noqa: ANN001, ANN202
        return tf.shape(x), tf.size(x, out_type=tf.int64)

    for shape in [(2, 3), (5, 1), (4, 4)]:
        s, n = f(tf.zeros(shape))
        assert s.dtype == tf.int32 and s.numpy().tolist() == list(shape)
        assert n.dtype == tf.int64 and n.numpy() == shape[0] * shape[1]
    assert "shape" in f.get_concrete_function().graph.ops
    with pytest.raises(tf.errors.InvalidArgumentError, match="out_type must be int32 or int64"):
        tf.shape(tf.ones([2]), out_type=tf.float32)


# ---- tf.cond as a graph node ------------------------------------------------------------


def test_cond_traces_both_branches_once() -> None:
    runs = []
    v = tf.Variable(0.0)

    @tf.function
    def f(x):  # noqa: ANN001, ANN202
        runs.append(1)
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: -x)

        def up():  # noqa: ANN202
            v.assign_add(1.0)
            return v * 10.0

        def down():  # noqa: ANN202
            v.assign_sub(1.0)
            return v * 1.0

        z = tf.cond(x[0] > 0, up, down)
        return y, z, v + 0.0

    want_v = 0.0
    for x in ([1.0, 2.0], [-1.0, -2.0], [3.0, -1.0], [-3.0, 9.0]):
        y, z, after = f(tf.constant(x))
        want_v += 1.0 if x[0] > 0 else -1.0
        np.testing.assert_array_equal(y.numpy(), np.array(x) * (2.0 if sum(x) > 0 else -1.0))
        assert z.numpy() == (want_v * 10.0 if x[0] > 0 else want_v)
        assert after.numpy() == v.numpy() == want_v
    assert len(runs) == 1  # one trace serves both ways of both conds
    graph = f.get_concrete_function(tf.constant([1.0, 2.0])).graph
    assert graph.ops.count("cond") == 2 and "guard" not in graph.ops


def test_nested_cond_and_captures() -> None:
    @tf.function
    def f(x, k):  # noqa: ANN001, ANN202
        big = x * 100.0
        return tf.cond(k > 0, lambda: tf.cond(k > 1, lambda: big + 1.0, lambda: x + 1.0),
                       lambda: big - x)

    x = tf.constant([1.0, 2.0])
    for k, want in [(2, [101.0, 201.0]), (1, [2.0, 3.0]), (0, [99.0, 198.0])]:
        np.testing.assert_array_equal(f(x, tf.constant(k)).numpy(), want)
    assert f.experimental_get_tracing_count() == 1


def test_cond_branch_errors_and_fallbacks() -> None:
    @tf.function
    def mismatch(x):  # noqa: ANN001, ANN202
        return tf.cond(x > 0, lambda: x, lambda: tf.constant(1))

    with pytest.raises(TypeError, match="true_fn and false_fn arguments to tf.cond must have"):
        mismatch(tf.constant(1.0))

    @tf.function
    def guarded(x, i):  # noqa: ANN001, ANN202
        # the untaken branch cannot run on these values (an index out of range): the
        # cond falls back to following the taken branch with a guard
        return tf.cond(i < 3, lambda: tf.gather(x, i), lambda: tf.constant(-1.0))

    x = tf.constant([1.0, 2.0, 3.0])
    assert guarded(x, tf.constant(1)).numpy() == 2.0
    assert guarded(x, tf.constant(7)).numpy() == -1.0

    @tf.function
    def grad(x):  # noqa: ANN001, ANN202
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.cond(x > 0, lambda: x * x, lambda: -3.0 * x)
        return tape.gradient(y, x)

    assert grad(tf.constant(2.0)).numpy() == 4.0
    assert grad(tf.constant(-2.0)).numpy() == -3.0


def test_concrete_function_takes_variables_and_gives_gradients() -> None:
    @tf.function
    def f(x):  # noqa: ANN001, ANN202
        return x * x

    cf = f.get_concrete_function(tf.TensorSpec([], tf.float32))
    x = tf.Variable(3.0)
    assert cf(x).numpy() == 9.0  # a Variable passes as its value, as TF
    with tf.GradientTape() as tape:
        y = cf(x)
    assert tape.gradient(y, x).numpy() == 6.0


# ---- fused elementwise chains -------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7,), (300, 257)])  # one block, and many across threads
def test_fused_chains_give_the_eager_numbers(shape) -> None:  # noqa: ANN001
    def body(x, y, k):  # noqa: ANN001, ANN202
        a = tf.nn.relu(x * 2.0 + y) - tf.sqrt(tf.abs(x)) / 3.0
        b = tf.logical_and(x > y, tf.logical_not(y > 0.5))
        c = (k * 3 + 1) % 7 - k
        return a, b, c

    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=shape).astype(np.float32))
    y = tf.constant(rng.normal(size=shape).astype(np.float32))
    k = tf.constant(rng.integers(-50, 50, size=shape).astype(np.int64))
    f = tf.function(body)
    graph = f.get_concrete_function(x, y, k).graph
    assert graph.num_steps < len(graph.ops)
    for got, want in zip(f(x, y, k), body(x, y, k)):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_fused_chain_inside_an_outer_trace_is_recorded_op_by_op() -> None:
    inner = tf.function(lambda x: tf.exp(x * 2.0 - 1.0))

    @tf.function
    def outer(x):  # noqa: ANN001, ANN202
        return inner(x) + 1.0

    x = tf.constant([0.5, 1.0])
    np.testing.assert_array_equal(outer(x).numpy(), (tf.exp(x * 2.0 - 1.0) + 1.0).numpy())
    np.testing.assert_array_equal(outer(tf.constant([2.0, 0.0])).numpy(),
                                  (tf.exp(tf.constant([2.0, 0.0]) * 2.0 - 1.0) + 1.0).numpy())


def test_break_continue_and_early_return_on_tensors() -> None:
    @tf.function
    def f(x):  # noqa: ANN001, ANN202
        total = tf.constant(0)
        for i in tf.range(10):
            if i == x:
                break
            if i % 2 == 0:
                continue
            total += i
        return total

    def ref(x: int) -> int:
        total = 0
        for i in range(10):
            if i == x:
                break
            if i % 2 == 0:
                continue
            total += i
        return total

    for x in [3, 7, 20, 3, 0]:
        assert f(tf.constant(x)).numpy() == ref(x)

    @tf.function
    def g(x):  # noqa: ANN001, ANN202
        if tf.reduce_sum(x) > 0:
            return x * 2.0
        return -x

    np.testing.assert_array_equal(g(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(g(tf.constant([-5.0, 2.0])).numpy(), [5.0, -2.0])


# ---- TF's function guide, cells that tapeflow used to fail ----------------------------------


def test_signature_shapes_print_as_tf(capsys) -> None:  # noqa: ANN001
    @tf.function(input_signature=(tf.TensorSpec(shape=[None], dtype=tf.int32),))
    def next_collatz(x):  # noqa: ANN001, ANN202
        print("Tracing with", x)
        return tf.where(x % 2 == 0, x // 2, 3 * x + 1)

    np.testing.assert_array_equal(next_collatz(tf.constant([1, 2])).numpy(), [4, 1])
    assert capsys.readouterr().out == (
        'Tracing with Tensor("x:0", shape=(None,), dtype=int32)\n')


def test_concrete_function_flat_call_takes_the_tensors_only() -> None:
    @tf.function
    def f(a, b, k=2):  # noqa: ANN001, ANN202
        return a * b * k

    cf = f.get_concrete_function(tf.constant(1.0), 3)
    assert cf(tf.constant(2.0)).numpy() == 12.0  # b and k frozen at trace time, as TF
    assert cf(tf.constant(2.0), 3).numpy() == 12.0
    with pytest.raises(TypeError, match="Binding inputs to tf.function failed"):
        cf(tf.constant(2.0), 4)


def test_init_scope_runs_eagerly_once() -> None:
    class Model(tf.Module):
        def __init__(self) -> None:
            self.v = tf.Variable(0)
            self.counter = 0

        @tf.function
        def __call__(self):  # noqa: ANN204
            if self.counter == 0:
                with tf.init_scope():
                    self.counter += 1
                    self.v.assign_add(1)
            return self.v

    m = Model()
    assert [int(m().numpy()) for _ in range(3)] == [1, 1, 1]  # TF's guide output
    m.v.assign(5)
    assert m().numpy() == 5  # the graph reads the variable


def test_py_function_as_a_decorator() -> None:
    calls = []

    @tf.py_function(Tout=tf.float32)
    def py_plus(x, y):  # noqa: ANN001, ANN202
        calls.append(1)
        return x + y

    @tf.function
    def wrapper(x, y):  # noqa: ANN001, ANN202
        return py_plus(x, y)

    assert wrapper(tf.constant(1.0), tf.constant(2.0)).numpy() == 3.0
    n = len(calls)
    assert wrapper(tf.constant(2.0), tf.constant(2.0)).numpy() == 4.0
    assert len(calls) == n + 1  # every call runs the Python
    assert tf.numpy_function(Tout=tf.float32)(lambda a: a * 2)(np.float32(3.0)).numpy() == 6.0
