"""tf.saved_model.save/load and Keras model.export: round trips of Modules with traced
functions and Variables (behaviour checked against TF 2.21), and hostile folders."""

from __future__ import annotations

import collections
import json
import os

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras


class Scaler(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.v = tf.Variable([1.0, 2.0, 3.0], name="v")
        self.extra = [tf.Variable(2.0), {"b": tf.Variable(-1.0, trainable=False)}]

    @tf.function
    def f(self, x, scale=1.0):  # noqa: ANN001, ANN201
        return x * self.v * scale + self.extra[0]

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def g(self, x):  # noqa: ANN001, ANN201
        return {"out": tf.reduce_sum(x * self.v, axis=1), "n": tf.shape(x)[0]}

    @tf.function
    def step(self, x):  # noqa: ANN001, ANN201
        self.extra[0].assign_add(tf.reduce_sum(x))
        return self.extra[0] + self.extra[1]["b"]


def test_module_round_trip(tmp_path) -> None:  # noqa: ANN001
    m = Scaler()
    x = tf.constant([1.0, 1.0, 1.0])
    want = m.f(x).numpy()
    m.f(x, 2.0)
    tf.saved_model.save(m, str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["constants.npz", "saved_model.json", "variables"]
    loaded = tf.saved_model.load(str(tmp_path))
    np.testing.assert_array_equal(loaded.f(x).numpy(), want)
    np.testing.assert_array_equal(loaded.f(x, 2.0).numpy(), m.f(x, 2.0).numpy())
    np.testing.assert_array_equal(loaded.v.numpy(), [1.0, 2.0, 3.0])
    assert loaded.v.name == "v:0"
    assert loaded.extra[0].numpy() == 2.0
    assert loaded.extra[1]["b"].trainable is False
    # Captured variables are read at every call: assigning the loaded one changes results.
    loaded.v.assign([0.0, 0.0, 1.0])
    np.testing.assert_array_equal(loaded.f(x).numpy(), [2.0, 2.0, 3.0])
    # The input_signature function was traced at save and serves every batch size.
    for b in (1, 4, 9):
        out = loaded.g(np.ones((b, 3), np.float32))
        assert out["n"].numpy() == b
        np.testing.assert_array_equal(out["out"].numpy(), np.ones(b))


def test_loaded_function_assigns_variables(tmp_path) -> None:  # noqa: ANN001
    m = Scaler()
    m.step(tf.constant([1.0]))
    tf.saved_model.save(m, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    assert loaded.extra[0].numpy() == 3.0
    assert loaded.step(tf.constant([2.0])).numpy() == 4.0
    assert loaded.extra[0].numpy() == 5.0
    assert m.extra[0].numpy() == 3.0  # the original is untouched


def test_unmatched_arguments_raise_tfs_error(tmp_path) -> None:  # noqa: ANN001
    m = Scaler()
    m.f(tf.constant([1.0, 1.0, 1.0]))
    tf.saved_model.save(m, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    with pytest.raises(ValueError) as e:
        loaded.f(tf.constant([[1.0, 1.0, 1.0]]))
    assert str(e.value).startswith(
        "Could not find matching concrete function to call loaded from the SavedModel. Got:\n"
        "  Positional arguments (1 total):\n"
        "    * <tf.Tensor 'x:0' shape=(1, 3) dtype=float32>\n")
    assert "Option 1:\n  Positional arguments (2 total):\n    * TensorSpec(shape=(3,), " \
        "dtype=tf.float32, name='x')\n    * 1.0" in str(e.value)
    with pytest.raises(ValueError, match="Could not find matching"):
        loaded.f(tf.constant([1, 1, 1]))


def test_signatures(tmp_path) -> None:  # noqa: ANN001
    m = Scaler()
    tf.saved_model.save(m, str(tmp_path / "auto"))
    loaded = tf.saved_model.load(str(tmp_path / "auto"))
    assert list(loaded.signatures) == ["serving_default"]  # the one input_signature fn
    sig = loaded.signatures["serving_default"]
    out = sig(x=tf.ones([2, 3]))
    assert list(out) == ["n", "out"]
    np.testing.assert_array_equal(out["out"].numpy(), [6.0, 6.0])
    assert sig(tf.ones([2, 3]))["n"].numpy() == 2
    assert repr(sig).startswith("<ConcreteFunction (*, x: TensorSpec(shape=(None, 3), "
                                "dtype=tf.float32, name='x')) -> Dict[['n', ")
    with pytest.raises(TypeError):
        sig(y=tf.ones([2, 3]))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="values")])
    def double(x):  # noqa: ANN001, ANN202
        return x * 2.0

    root = tf.Module()
    root.double = double
    tf.saved_model.save(root, str(tmp_path / "explicit"), signatures={"twice": double})
    loaded = tf.saved_model.load(str(tmp_path / "explicit"))
    assert list(loaded.signatures) == ["twice"]
    out = loaded.signatures["twice"](values=tf.constant([1.0, 2.0]))
    assert list(out) == ["output_0"]
    np.testing.assert_array_equal(out["output_0"].numpy(), [2.0, 4.0])


def test_nested_outputs_and_python_values(tmp_path) -> None:  # noqa: ANN001
    Pair = collections.namedtuple("Pair", ["a", "b"])

    @tf.function
    def f(x):  # noqa: ANN001, ANN202
        return {"pair": Pair(x + 1.0, [x * 2.0, 3]), "none": None, "name": "ok"}

    root = tf.Module()
    root.f = f
    want = f(tf.constant(1.5))
    tf.saved_model.save(root, str(tmp_path))
    got = tf.saved_model.load(str(tmp_path)).f(tf.constant(1.5))
    assert got["none"] is None and got["name"] == "ok"
    assert type(got["pair"]).__name__ == "Pair" and got["pair"]._fields == ("a", "b")
    assert got["pair"].a.numpy() == want["pair"].a.numpy() == 2.5
    assert got["pair"].b[0].numpy() == 3.0 and got["pair"].b[1].numpy() == 3


def test_python_branches_are_saved_as_paths(tmp_path) -> None:  # noqa: ANN001
    @tf.function
    def f(x):  # noqa: ANN001, ANN202
        if tf.reduce_sum(x) > 0:
            return x * 2.0
        return -x

    root = tf.Module()
    root.f = f
    f(tf.constant([1.0, 2.0]))
    tf.saved_model.save(root, str(tmp_path / "one_path"))
    f(tf.constant([-1.0, -2.0]))
    tf.saved_model.save(root, str(tmp_path / "two_paths"))
    both = tf.saved_model.load(str(tmp_path / "two_paths"))
    np.testing.assert_array_equal(both.f(tf.constant([3.0, 1.0])).numpy(), [6.0, 2.0])
    np.testing.assert_array_equal(both.f(tf.constant([-3.0, 1.0])).numpy(), [3.0, -1.0])
    one = tf.saved_model.load(str(tmp_path / "one_path"))
    np.testing.assert_array_equal(one.f(tf.constant([3.0, 1.0])).numpy(), [6.0, 2.0])
    with pytest.raises(ValueError, match="loaded from a SavedModel has graphs for"):
        one.f(tf.constant([-3.0, 1.0]))


def test_shape_dependent_graphs_serve_their_shapes_only(tmp_path) -> None:  # noqa: ANN001
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def f(x):  # noqa: ANN001, ANN202
        return tf.reshape(x, [x.shape[0] * 2])

    root = tf.Module()
    root.f = f
    f(tf.ones([3, 2]))
    tf.saved_model.save(root, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    assert loaded.f(tf.ones([3, 2])).shape == (6,)
    with pytest.raises(ValueError, match=r"not \(\(5, 2\),\)"):
        loaded.f(tf.ones([5, 2]))


def test_what_cannot_be_saved(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="Expected an object of type `Trackable`"):
        tf.saved_model.save(3, str(tmp_path))
    outside = tf.Variable(1.0)

    @tf.function(input_signature=[])
    def uses_untracked():  # noqa: ANN202
        return outside * 2.0

    root = tf.Module()
    root.f = uses_untracked
    with pytest.raises(AssertionError, match="references an 'untracked' resource"):
        tf.saved_model.save(root, str(tmp_path / "a"))

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
    def calls_python(x):  # noqa: ANN001, ANN202
        return tf.py_function(lambda t: t * 2.0, [x], tf.float32)

    root = tf.Module()
    root.f = calls_python
    with pytest.raises(ValueError, match="calls Python"):
        tf.saved_model.save(root, str(tmp_path / "b"))


# ---- Keras model.export ----------------------------------------------------------------------


def _models():  # noqa: ANN202
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                            keras.layers.Dense(2)])
    inp = keras.Input((4,))
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.Dense(5)(inp))
    return [seq, keras.Model(inp, out)]


@pytest.mark.parametrize("which", [0, 1])
def test_keras_export(tmp_path, capsys, which) -> None:  # noqa: ANN001
    model = _models()[which]
    model.export(str(tmp_path))
    printed = capsys.readouterr().out
    assert printed.startswith(
        f"Saved artifact at '{tmp_path}'. The following endpoints are available:\n\n"
        "* Endpoint 'serve'\n"
        "  args_0 (POSITIONAL_ONLY): TensorSpec(shape=(None, 4), dtype=tf.float32, "
        "name='keras_tensor')\nOutput Type:\n  TensorSpec(shape=(None, 2), dtype=tf.float32, "
        "name=None)\nCaptures:\n")
    assert printed.count("dtype=tf.resource") == len(model.variables)
    loaded = tf.saved_model.load(str(tmp_path))
    assert sorted(loaded.signatures) == ["serve", "serving_default"]
    assert len(loaded.variables) == len(model.variables)
    x = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    want = model.predict(x, verbose=0)
    np.testing.assert_allclose(loaded.serve(x).numpy(), want, rtol=1e-6, atol=1e-6)
    out = loaded.signatures["serving_default"](keras_tensor=x[:3])
    np.testing.assert_allclose(out["output_0"].numpy(), want[:3], rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="Unrecognized format"):
        model.export(str(tmp_path / "x"), format="onnx_something")


def test_keras_export_needs_a_built_model(tmp_path) -> None:  # noqa: ANN001
    model = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="has not yet been built"):
        model.export(str(tmp_path))


# ---- hostile folders -------------------------------------------------------------------------


@pytest.fixture()
def saved(tmp_path):  # noqa: ANN001, ANN201
    m = Scaler()
    m.f(tf.constant([1.0, 1.0, 1.0]))
    path = tmp_path / "model"
    tf.saved_model.save(m, str(path))
    return path


def _edit(path, change) -> None:  # noqa: ANN001
    meta = json.loads((path / "saved_model.json").read_text())
    change(meta)
    (path / "saved_model.json").write_text(json.dumps(meta))


def _first_graph(meta):  # noqa: ANN001, ANN202
    return meta["functions"][0]["concrete"][0]["graphs"][0]["graph"]


def test_missing_folder_and_files(tmp_path, saved) -> None:  # noqa: ANN001
    with pytest.raises(OSError, match="SavedModel file does not exist at"):
        tf.saved_model.load(str(tmp_path / "nothing"))
    os.remove(saved / "constants.npz")
    with pytest.raises(OSError, match="constants.npz"):
        tf.saved_model.load(str(saved))


def test_missing_variables(saved) -> None:  # noqa: ANN001
    os.remove(saved / "variables" / "variables.data-00000-of-00001")
    with pytest.raises(tf.errors.NotFoundError):
        tf.saved_model.load(str(saved))


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(format="other"), "is not a tapeflow-saved-model file"),
    (lambda m: _first_graph(m)["nodes"][0].update(op="os.system"), "unknown op 'os.system'"),
    (lambda m: _first_graph(m)["nodes"][0].update(inputs=[10**6]), "out of range"),
    (lambda m: _first_graph(m)["nodes"][0].update(inputs=["x"]), "must be a list of ints"),
    (lambda m: _first_graph(m)["nodes"][0]["attrs"].update(bogus={"a": 1}),
     "must be a number, string or list"),
    (lambda m: _first_graph(m).update(num_slots=2**40), "out of range"),
    (lambda m: _first_graph(m)["constants"][0].__setitem__(1, "../../etc/passwd"),
     "has no readable member"),
    (lambda m: m["nodes"][0]["children"].update(v=999), "is not a node index"),
    (lambda m: m["functions"][0]["concrete"][0]["graphs"][0].update(variables=[0, 0]),
     "is not a variable node"),
    (lambda m: m["functions"][0]["concrete"][0]["graphs"][0].update(shapes=[[5]]),
     "does not fit the signature"),
    (lambda m: next(n for n in m["nodes"] if n["kind"] == "variable")["variable"].update(
        shape=[7]), "the saved value has shape"),
    (lambda m: m["functions"][0]["concrete"][0]["key"][0][1].update(tensor=[[3], "str"]),
     "unknown dtype"),
])
def test_corrupt_metadata_gets_clear_errors(saved, change, message) -> None:  # noqa: ANN001
    _edit(saved, change)
    with pytest.raises(ValueError, match=message):
        tf.saved_model.load(str(saved))


def test_not_json(saved) -> None:  # noqa: ANN001
    (saved / "saved_model.json").write_bytes(b"\x80\x04 pickle?")
    with pytest.raises(ValueError, match="is not a valid tapeflow SavedModel"):
        tf.saved_model.load(str(saved))


def test_links_out_of_the_folder_are_refused(tmp_path, saved) -> None:  # noqa: ANN001
    target = tmp_path / "elsewhere.npz"
    os.replace(saved / "constants.npz", target)
    os.symlink(target, saved / "constants.npz")
    with pytest.raises(ValueError, match="outside the SavedModel folder"):
        tf.saved_model.load(str(saved))


def test_shapes_that_disagree_fail_at_run_with_the_node(saved) -> None:  # noqa: ANN001
    # A graph whose constant has another shape than traced: the run names the node.
    import zipfile

    with np.load(saved / "constants.npz") as z:
        arrays = {k: z[k] for k in z.files}
    key = _first_graph(json.loads((saved / "saved_model.json").read_text()))["constants"][0][1]
    arrays[key] = np.ones((5,), arrays[key].dtype)
    with open(saved / "constants.npz", "wb") as f:
        np.savez(f, **arrays)
    assert zipfile.is_zipfile(saved / "constants.npz")
    loaded = tf.saved_model.load(str(saved))
    with pytest.raises(tf.errors.InvalidArgumentError, match="while running node"):
        loaded.f(tf.constant([1.0, 1.0, 1.0]))


def test_cond_saves_both_branches_from_one_trace(tmp_path) -> None:  # noqa: ANN001
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):  # noqa: ANN001, ANN202
        return tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: tf.abs(x) + 1.0)

    root = tf.Module()
    root.f = f
    tf.saved_model.save(root, str(tmp_path))  # traced once, at save, on zeros
    loaded = tf.saved_model.load(str(tmp_path))
    np.testing.assert_array_equal(loaded.f(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(loaded.f(tf.constant([-1.0, -2.0, 0.5])).numpy(),
                                  [2.0, 3.0, 1.5])
