"""tapeflow.onnx.export: the files pass onnx's checker and onnxruntime reproduces
tapeflow's outputs (skipped, with the reason, when onnx/onnxruntime are absent; the test
extras install them, so CI runs these)."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras

onnx = pytest.importorskip("onnx", reason="needs the optional onnx package (pip install onnx)")
ort = pytest.importorskip("onnxruntime",
                          reason="needs the optional onnxruntime package (pip install onnxruntime)")


def _session(path):  # noqa: ANN001, ANN202
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == 8 and model.opset_import[0].version == 17
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_chapter_linear_classifier(tmp_path) -> None:  # noqa: ANN001
    # The book's chapter-3 model: predictions = inputs @ W + b, as a tf.function.
    W = tf.Variable(tf.random.uniform(shape=(2, 1)), name="W")
    b = tf.Variable(tf.zeros(shape=(1,)), name="b")

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def model(inputs):  # noqa: ANN001, ANN202
        return tf.matmul(inputs, W) + b

    path = tf.onnx.export(model, tmp_path / "linear.onnx")
    sess = _session(path)
    assert [i.name for i in sess.get_inputs()] == ["inputs"]
    assert sess.get_inputs()[0].shape[1] == 2 and not isinstance(sess.get_inputs()[0].shape[0],
                                                                  int)
    x = np.random.default_rng(1).normal(size=(9, 2)).astype(np.float32)
    got = sess.run(None, {"inputs": x})[0]
    np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-6, atol=1e-6)


def test_digits_mlp(tmp_path) -> None:  # noqa: ANN001
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 64)).astype(np.float32)
    y = rng.integers(0, 10, size=256)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    path = tf.onnx.export(model, tmp_path / "mlp.onnx")
    sess = _session(path)
    got = sess.run(None, {"input": x[:37]})[0]
    np.testing.assert_allclose(got, model.predict(x[:37], verbose=0), rtol=1e-5, atol=1e-6)


def test_op_families(tmp_path) -> None:  # noqa: ANN001
    @tf.function(input_signature=[tf.TensorSpec([4, 6], tf.float32),
                                  tf.TensorSpec([3], tf.int32)])
    def f(x, idx):  # noqa: ANN001, ANN202
        a = tf.transpose(x)[1:5:2, ::-1] * 2.0 - tf.sqrt(tf.abs(x[0, :4]))[None, :4][:, :4]
        r = tf.reduce_sum(x, axis=1, keepdims=True) + tf.reduce_max(x, axis=0)
        m = tf.reduce_mean(tf.square(x)) + tf.reduce_logsumexp(x)
        g = tf.gather(x, idx, axis=1)
        c = tf.concat([tf.pad(x, [[1, 0], [0, 2]], constant_values=-1.0)[:4, :6], x], axis=0)
        s = tf.stack([tf.math.cumsum(x, axis=1), tf.nn.softmax(x), tf.exp(-x)], axis=-1)
        o = tf.one_hot(idx, 5) + tf.cast(tf.argmax(x, axis=1)[:3], tf.float32)[:, None]
        w = tf.where(x > 0, tf.math.log1p(tf.abs(x)), tf.math.floormod(x, 0.7))
        t = tf.tile(tf.reshape(x, [2, 12]), [2, 1]) @ tf.ones([12, 3])
        n = tf.cast(tf.shape(x), tf.float32) + tf.cast(tf.size(x), tf.float32)
        return a, r, m, g, c, s, o, w, t, n, tf.reduce_any(x > 1.0, axis=0)

    x = np.random.default_rng(3).normal(size=(4, 6)).astype(np.float32)
    idx = np.array([5, 0, 2], np.int32)
    want = f(x, idx)
    sess = _session(tf.onnx.export(f, tmp_path / "ops.onnx"))
    got = sess.run(None, {"x": x, "idx": idx})
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-5, atol=1e-6)


def test_what_does_not_export(tmp_path) -> None:  # noqa: ANN001
    v = tf.Variable(1.0)

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def step(x):  # noqa: ANN001, ANN202
        v.assign_add(x)
        return v * 2.0

    with pytest.raises(NotImplementedError, match="'AssignVariableOp'.*assigns a Variable"):
        tf.onnx.export(step, tmp_path / "a.onnx")

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
    def noisy(x):  # noqa: ANN001, ANN202
        return x + tf.random.normal([2])

    with pytest.raises(NotImplementedError, match="'random_normal'"):
        tf.onnx.export(noisy, tmp_path / "b.onnx")
    with pytest.raises(TypeError, match="expects a ConcreteFunction"):
        tf.onnx.export(lambda x: x, tmp_path / "c.onnx")
    with pytest.raises(ValueError, match="opset 17 only"):
        tf.onnx.export(noisy, tmp_path / "d.onnx", opset=13)


def test_cond_becomes_if(tmp_path) -> None:  # noqa: ANN001
    scale = tf.Variable(3.0, name="scale")

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def f(x):  # noqa: ANN001, ANN202
        s = tf.reduce_sum(x)
        y = tf.cond(s > 0, lambda: x * scale, lambda: tf.cond(s < -5.0, lambda: -x,
                                                               lambda: x + 1.0))
        return tf.nn.relu(y)

    sess = _session(tf.onnx.export(f, tmp_path / "cond.onnx"))
    for x in ([[1.0, 2.0]], [[-1.0, -2.0], [0.5, 0.1]], [[-4.0, -3.0]]):
        x = np.array(x, np.float32)
        np.testing.assert_allclose(sess.run(None, {"x": x})[0], f(x).numpy(), rtol=1e-6)
