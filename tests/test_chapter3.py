"""The tutorial chapter (shared/seed/chapter3-notes.txt) runs on tapeflow with only the
import changed, and prints what TensorFlow prints.

Each code block of the chapter is executed as a notebook cell (``import tapeflow as
tf`` instead of ``import tensorflow as tf``; a trailing expression is displayed with
its ``repr``, as Jupyter does). matplotlib lines and the Keras part are left out (Keras
is not implemented yet). Where the chapter draws random numbers, the tests set seeds
first so that the output is TF 2.21's exact output (recorded with real TensorFlow; the
tests do not import it).
"""

from __future__ import annotations

import ast
import textwrap

import numpy as np
import pytest

import tapeflow as tf


def run_cell(code: str, ns: dict) -> None:
    """Runs a notebook cell: statements, then displays the last expression's repr."""
    code = textwrap.dedent(code).replace("import tensorflow as tf", "import tapeflow as tf")
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        tree.body = tree.body[:-1]
        exec(compile(tree, "<cell>", "exec"), ns)  # noqa: S102
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)  # noqa: S307
        if value is not None:
            print(repr(value))
    else:
        exec(compile(tree, "<cell>", "exec"), ns)  # noqa: S102


@pytest.fixture
def ns():
    namespace: dict = {}
    yield namespace
    tf.random.set_seed(None)


class Notebook:
    """nb(code) runs one cell in the shared namespace ``nb.ns`` and returns what it
    printed."""

    def __init__(self, ns: dict, capsys) -> None:
        self.ns = ns
        self._capsys = capsys

    def __call__(self, code: str) -> str:
        self._capsys.readouterr()
        run_cell(code, self.ns)
        return self._capsys.readouterr().out


@pytest.fixture
def cell(ns, capsys):
    return Notebook(ns, capsys)


# ---- tensors: constants, random, immutability ------------------------------------------
def test_ones_and_zeros(cell):
    out = cell("""
        import tensorflow as tf
        x = tf.ones(shape=(2,1))
        print(x)
        """)
    assert out == "tf.Tensor(\n[[1.]\n [1.]], shape=(2, 1), dtype=float32)\n"
    out = cell("""
        x = tf.zeros(shape=(2,1))
        print(x)
        """)
    assert out == "tf.Tensor(\n[[0.]\n [0.]], shape=(2, 1), dtype=float32)\n"


def test_random_tensors_print_as_tf(cell):
    cell("import tensorflow as tf\ntf.random.set_seed(5)")
    out = cell("""
        x = tf.random.normal(shape=(3,1), mean=0, stddev=1)
        print(x)
        """)
    # TF 2.21 after tf.random.set_seed(5)
    assert out == ("tf.Tensor(\n[[-0.18030666]\n [-0.95028627]\n [-0.03964049]], "
                   "shape=(3, 1), dtype=float32)\n")
    out = cell("""
        x = tf.random.uniform(shape=(3,1), minval=0, maxval=1)
        print(x)
        """)
    assert out == ("tf.Tensor(\n[[0.7017075 ]\n [0.04336786]\n [0.5604572 ]], "
                   "shape=(3, 1), dtype=float32)\n")


def test_random_tensors_unseeded(cell):
    out = cell("""
        import tensorflow as tf
        x = tf.random.uniform(shape=(3,1), minval=0, maxval=1)
        print(x)
        """)
    assert out.startswith("tf.Tensor(\n[[") and out.endswith(
        "]], shape=(3, 1), dtype=float32)\n")
    x = np.asarray(cell.ns["x"])
    assert x.shape == (3, 1) and np.all((x >= 0) & (x < 1))


def test_numpy_arrays_are_assignable(cell):
    out = cell("""
        import numpy as np
        x = np.ones(shape=(2,2))
        x[0,0] = 0
        print(x)
        """)
    assert out == "[[0. 1.]\n [1. 1.]]\n"


def test_tensors_are_not_assignable(cell):
    cell("import tensorflow as tf")
    with pytest.raises(TypeError, match="object does not support item assignment"):
        cell("""
            x = tf.ones(shape=(2,2))
            x[0,0] = 0
            """)
    # The message names the type as TF's does ('...EagerTensor' there).
    with pytest.raises(TypeError, match=r"^'[\w.]+' object does not support item "
                                        r"assignment$"):
        cell("x[0,0] = 0")
    np.testing.assert_array_equal(cell.ns["x"], np.ones((2, 2)))


# ---- variables ---------------------------------------------------------------------------
def test_variable_cells(cell):
    cell("import tensorflow as tf\ntf.random.set_seed(5)")
    out = cell("""
        v = tf.Variable(initial_value=tf.random.normal(shape=(3,1)))
        print(v)
        """)
    # TF 2.21 after tf.random.set_seed(5)
    assert out == ("<tf.Variable 'Variable:0' shape=(3, 1) dtype=float32, numpy=\n"
                   "array([[-0.18030666],\n       [-0.95028627],\n       [-0.03964049]], "
                   "dtype=float32)>\n")
    out = cell("v.assign(tf.ones((3,1)))")
    assert out == ("<tf.Variable 'UnreadVariable' shape=(3, 1) dtype=float32, numpy=\n"
                   "array([[1.],\n       [1.],\n       [1.]], dtype=float32)>\n")
    out = cell("v[0,0].assign(3)")
    assert out == ("<tf.Variable 'UnreadVariable' shape=(3, 1) dtype=float32, numpy=\n"
                   "array([[3.],\n       [1.],\n       [1.]], dtype=float32)>\n")
    out = cell("v.assign_add(tf.ones((3,1)))")
    assert out == ("<tf.Variable 'UnreadVariable' shape=(3, 1) dtype=float32, numpy=\n"
                   "array([[4.],\n       [2.],\n       [2.]], dtype=float32)>\n")
    out = cell("print(v)")
    assert out == ("<tf.Variable 'Variable:0' shape=(3, 1) dtype=float32, numpy=\n"
                   "array([[4.],\n       [2.],\n       [2.]], dtype=float32)>\n")


# ---- GradientTape ------------------------------------------------------------------------
def test_gradient_tape_with_variable(cell):
    out = cell("""
        import tensorflow as tf
        input_var = tf.Variable(initial_value=3.)
        with tf.GradientTape() as tape:
            result = tf.square(input_var)
        gradient = tape.gradient(result, input_var)
        print(gradient)
        """)
    assert out == "tf.Tensor(6.0, shape=(), dtype=float32)\n"


def test_gradient_tape_with_constant(cell):
    out = cell("""
        import tensorflow as tf
        input_const = tf.constant(3.)
        with tf.GradientTape() as tape:
            # 상수 텐서의 경우 tape.watch()를 호출하여 추적한다는 것을 수동으로 알려주어야 함.
            tape.watch(input_const)
            result = tf.square(input_const)
        gradient = tape.gradient(result, input_const)
        print(gradient)
        """)
    assert out == "tf.Tensor(6.0, shape=(), dtype=float32)\n"


def test_unwatched_constant_has_no_gradient(cell):
    out = cell("""
        import tensorflow as tf
        c = tf.constant(3.)
        with tf.GradientTape() as tape:
            r = tf.square(c)
        print(tape.gradient(r, c))
        """)
    assert out == "None\n"


def test_nested_tapes_second_derivative(cell):
    out = cell("""
        import tensorflow as tf
        time = tf.Variable(2.)
        with tf.GradientTape() as outer_tape:
            with tf.GradientTape() as inner_tape:
                position = 4.9 * time ** 2
            speed = inner_tape.gradient(position, time)
        acceleration = outer_tape.gradient(speed, time)
        print(speed, acceleration)
        """)
    assert out == ("tf.Tensor(19.6, shape=(), dtype=float32) "
                   "tf.Tensor(9.8, shape=(), dtype=float32)\n")
    speed, acc = cell.ns["speed"], cell.ns["acceleration"]
    assert speed.dtype == tf.float32 and acc.dtype == tf.float32
    np.testing.assert_allclose(float(speed), 19.6, rtol=1e-6)
    np.testing.assert_allclose(float(acc), 9.8, rtol=1e-6)


# ---- the linear classifier -------------------------------------------------------------
DATA_CELLS = [
    """
    import numpy as np
    import tensorflow as tf
    np.random.seed(1337)
    tf.random.set_seed(42)
    """,
    """
    num_samples_per_class = 1000
    negative_samples = np.random.multivariate_normal(
        mean=[0, 3],
        cov=[[1, 0.5],[0.5, 1]],
        size=num_samples_per_class)
    positive_samples = np.random.multivariate_normal(
        mean=[3, 0],
        cov=[[1, 0.5], [0.5, 1]],
        size=num_samples_per_class)
    """,
    """
    inputs = np.vstack((negative_samples, positive_samples)).astype(np.float32)
    """,
    """
    targets = np.vstack((np.zeros((num_samples_per_class, 1), dtype="float32"),
                         np.ones((num_samples_per_class, 1), dtype="float32")))
    print(targets)
    """,
    """
    input_dim = 2
    output_dim = 1
    W = tf.Variable(initial_value=tf.random.uniform(shape=(input_dim, output_dim)))
    b = tf.Variable(initial_value=tf.zeros(shape=(output_dim,)))
    """,
    """
    def model(inputs):
        return tf.matmul(inputs, W) + b
    """,
    """
    def square_loss(targets, predictions):
        per_sample_losses = tf.square(targets - predictions)
        return tf.reduce_mean(per_sample_losses)
    """,
    """
    learning_rate = 0.1

    def training_step(inputs, targets):
        with tf.GradientTape() as tape:
            predictions = model(inputs)
            loss = square_loss(targets, predictions)
        grad_loss_wrt_W, grad_loss_wrt_b = tape.gradient(loss, [W, b])
        W.assign_sub(grad_loss_wrt_W * learning_rate)
        b.assign_sub(grad_loss_wrt_b * learning_rate)
        return loss
    """,
]

TRAIN_CELL = """
for step in range(40):
    loss = training_step(inputs, targets)
    print(f'{step}번째 스텝의 손실: {loss:.4f}')
"""

# TF 2.21 with np.random.seed(1337) and tf.random.set_seed(42): the initial W and the
# loss of each step.
TF_W0 = [[0.6645621061325073], [0.44100677967071533]]
TF_LOSSES = [
    2.2270312309265137, 0.3627808690071106, 0.14748992025852203, 0.11637713015079498,
    0.10655634850263596, 0.09964378923177719, 0.0935283750295639, 0.08793441206216812,
    0.08279596269130707, 0.07807347178459167, 0.07373303920030594, 0.06974370032548904,
    0.06607703864574432, 0.06270696967840195, 0.05960950627923012, 0.05676259472966194,
    0.05414595827460289, 0.05174097791314125, 0.04953053221106529, 0.047498881816864014,
    0.04563158005475998, 0.04391530901193619, 0.042337868362665176, 0.040888022631406784,
    0.03955545648932457, 0.03833068162202835, 0.03720496967434883, 0.03617032244801521,
    0.03521936014294624, 0.034345321357250214, 0.03354198485612869, 0.03280362859368324,
    0.032124992460012436, 0.031501248478889465, 0.03092796355485916, 0.030401047319173813,
    0.029916755855083466, 0.029471633955836296, 0.02906251884996891, 0.02868649922311306,
]
TF_PRINTED = "".join(f"{i}번째 스텝의 손실: {loss:.4f}\n" for i, loss in enumerate(TF_LOSSES))
TF_W_FINAL = [[0.18372439], [-0.11724436]]
TF_B_FINAL = [0.37346798]


@pytest.fixture
def trained(cell, ns):
    outs = [cell(c) for c in DATA_CELLS]
    return ns, outs


def test_data_cells(trained):
    ns, outs = trained
    assert outs[3] == "[[0.]\n [0.]\n [0.]\n ...\n [1.]\n [1.]\n [1.]]\n"
    assert ns["inputs"].shape == (2000, 2) and ns["inputs"].dtype == np.float32
    W, b = ns["W"], ns["b"]
    assert W.shape == (2, 1) and b.shape == (1,)
    np.testing.assert_allclose(W.numpy(), np.float32(TF_W0), rtol=1e-6)
    np.testing.assert_array_equal(b.numpy(), [0.0])


def test_training_loop_prints_tf_losses(trained, cell):
    ns, _ = trained
    out = cell(TRAIN_CELL)
    lines = out.splitlines()
    assert len(lines) == 40
    assert lines[0] == "0번째 스텝의 손실: 2.2270"
    assert lines[39] == "39번째 스텝의 손실: 0.0287"
    assert out == TF_PRINTED


def test_training_loop_matches_tf_numbers(trained):
    ns, _ = trained
    losses = []
    for _ in range(40):
        loss = ns["training_step"](ns["inputs"], ns["targets"])
        assert isinstance(loss, tf.Tensor) and loss.shape == () and loss.dtype == tf.float32
        losses.append(float(loss))
    np.testing.assert_allclose(losses, TF_LOSSES, rtol=2e-5)
    assert all(a > b for a, b in zip(losses, losses[1:]))  # decreases every step
    assert 0.02 < losses[-1] < 0.035
    np.testing.assert_allclose(ns["W"].numpy(), TF_W_FINAL, rtol=1e-4)
    np.testing.assert_allclose(ns["b"].numpy(), TF_B_FINAL, rtol=1e-4)


def test_predictions_and_decision_line(trained, cell):
    ns, _ = trained
    for _ in range(40):
        ns["training_step"](ns["inputs"], ns["targets"])
    cell("predictions = model(inputs)")
    pred = ns["predictions"]
    assert isinstance(pred, tf.Tensor) and pred.shape == (2000, 1)
    np.testing.assert_allclose(pred[:3].numpy(),
                               [[0.13599958], [0.30437475], [0.31250042]], rtol=1e-5)
    # What the chapter passes to plt.scatter(c=...): a bool tensor numpy can read.
    mask = pred[:, 0] > 0.5
    assert mask.dtype == tf.bool and mask.shape == (2000,)
    assert np.asarray(mask).sum() == 998  # TF 2.21
    accuracy = np.mean(np.asarray(mask) == (ns["targets"][:, 0] > 0.5))
    assert accuracy > 0.99
    # Columns of the inputs, as the scatter plots index them.
    assert ns["inputs"][:, 0].shape == (2000,)

    cell("""
        x = np.linspace(-1, 4, 100)
        y = -W[0] / W[1] * x + (0.5 - b) / W[1]
        """)
    y = ns["y"]
    assert isinstance(y, tf.Tensor) and y.dtype == tf.float32 and y.shape == (100,)
    w = ns["W"].numpy()[:, 0].astype(np.float64)
    bb = float(ns["b"].numpy()[0])
    x = np.linspace(-1, 4, 100)
    np.testing.assert_allclose(y.numpy(), -w[0] / w[1] * x + (0.5 - bb) / w[1],
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(y.numpy()[:3], [-2.6462374, -2.5670948, -2.4879525],
                               rtol=1e-5)


def test_training_without_tf_seed_converges(cell, ns):
    """The chapter as written sets no seed: any initial W reaches ~0.03 by step 40."""
    for c in DATA_CELLS:
        cell(c.replace("tf.random.set_seed(42)", "tf.random.set_seed(None)"))
    out = cell(TRAIN_CELL)
    lines = out.splitlines()
    assert [line.split("번째")[0] for line in lines] == [str(i) for i in range(40)]
    final = float(lines[-1].rsplit(" ", 1)[1])
    assert 0.02 < final < 0.04


def test_dense_layer_computation_without_keras(cell):
    """The SimpleDense layer's math (Keras itself is not implemented yet)."""
    out = cell("""
        import tensorflow as tf
        W = tf.Variable(tf.random.normal(shape=(784, 32), stddev=0.05))
        b = tf.Variable(tf.zeros(shape=(32,)))
        input_tensor = tf.ones(shape=(2, 784))
        output_tensor = tf.nn.relu(tf.matmul(input_tensor, W) + b)
        print(output_tensor.shape)
        """)
    assert out == "(2, 32)\n"
