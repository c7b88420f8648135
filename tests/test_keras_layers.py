"""Keras layers: lifecycle, weights, naming and the built-in layers, as Keras 3."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras


class SimpleDense(keras.layers.Layer):
    """The chapter's layer, verbatim."""

    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        self.seen_shape = input_shape
        input_dim = input_shape[-1]
        self.W = self.add_weight(shape=(input_dim, self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        y = tf.matmul(inputs, self.W) + self.b
        if self.activation is not None:
            y = self.activation(y)
        return y


def test_simple_dense_builds_on_first_call_with_a_plain_tuple() -> None:
    layer = SimpleDense(units=32, activation=tf.nn.relu)
    assert not layer.built
    out = layer(tf.ones(shape=(2, 784)))
    assert out.shape == (2, 32)
    assert layer.built and layer.seen_shape == (2, 784) and type(layer.seen_shape) is tuple
    assert [w.name for w in layer.weights] == ["variable", "variable_1"]
    assert layer.weights[0].path.endswith("/variable")
    # random_normal has stddev 0.05, as Keras.
    assert 0.03 < float(np.std(layer.W.numpy())) < 0.07
    np.testing.assert_array_equal(layer.b.numpy(), np.zeros(32, np.float32))
    np.testing.assert_allclose(out.numpy(), np.maximum(np.ones((2, 784)) @ layer.W.numpy(), 0),
                               rtol=1e-5, atol=1e-6)


def test_auto_names_are_snake_case_and_uniquified() -> None:
    a, b = keras.layers.Dense(2), keras.layers.Dense(2)
    assert a.name.startswith("dense") and b.name != a.name
    assert SimpleDense(1).name.startswith("simple_dense")


def test_dense_weights_names_paths_and_initializers() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1")])
    assert model.built
    k, b = model.layers[0].weights
    assert (k.name, b.name) == ("kernel", "bias")
    assert k.path == f"{model.name}/d1/kernel"
    limit = np.sqrt(6 / (4 + 3))  # glorot_uniform
    assert np.all(np.abs(k.numpy()) <= limit)
    np.testing.assert_array_equal(b.numpy(), np.zeros(3, np.float32))


def test_weights_trainable_first_and_nested_tracking() -> None:
    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = [keras.layers.Dense(2), keras.layers.BatchNormalization()]

        def call(self, x, training=None):
            return self.inner[1](self.inner[0](x), training=training)

    block = Block()
    block(np.ones((4, 3), np.float32))
    names = [w.name for w in block.weights]
    assert names == ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"]
    assert len(block.trainable_weights) == 4 and len(block.non_trainable_weights) == 2
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 6


def test_get_set_weights_round_trip_and_shape_errors() -> None:
    layer = keras.layers.Dense(2)
    layer(np.ones((1, 3), np.float32))
    w = [np.arange(6, dtype=np.float32).reshape(3, 2), np.array([1, 2], np.float32)]
    layer.set_weights(w)
    for got, want in zip(layer.get_weights(), w):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="not compatible"):
        layer.set_weights([np.ones((2, 2)), np.ones(2)])
    with pytest.raises(ValueError, match="expecting 2 weights"):
        layer.set_weights([np.ones((3, 2))])


def test_calling_on_a_python_list_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Only input tensors may be passed"):
        keras.layers.Dense(2)([[1.0, 2.0]])


def test_dense_rejects_bad_units() -> None:
    with pytest.raises(ValueError, match="units=0"):
        keras.layers.Dense(0)


def test_dropout_only_when_training() -> None:
    layer = keras.layers.Dropout(0.5)
    x = np.ones((200, 50), np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    y = layer(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.4 < (y == 0).mean() < 0.6


def test_flatten_reshape_concatenate_add_activation() -> None:
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(keras.layers.Flatten()(x).numpy(), x.reshape(2, 12))
    np.testing.assert_array_equal(keras.layers.Reshape((4, 3))(x).numpy(), x.reshape(2, 4, 3))
    np.testing.assert_array_equal(keras.layers.Concatenate()([x, x]).numpy(),
                                  np.concatenate([x, x], -1))
    np.testing.assert_array_equal(keras.layers.Add()([x, x]).numpy(), 2 * x)
    np.testing.assert_allclose(keras.layers.Activation("sigmoid")(x).numpy(),
                               1 / (1 + np.exp(-x)), rtol=1e-6)


def test_embedding_gathers_rows_and_trains() -> None:
    emb = keras.layers.Embedding(10, 4)
    ids = np.array([[1, 2], [3, 1]])
    out = emb(ids)
    assert out.shape == (2, 2, 4)
    np.testing.assert_array_equal(out.numpy()[0, 0], emb.embeddings.numpy()[1])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(emb(ids))
    g = tape.gradient(loss, emb.embeddings).numpy()
    np.testing.assert_array_equal(g[:, 0], [0, 2, 1, 1, 0, 0, 0, 0, 0, 0])


def test_batch_normalization_training_and_inference() -> None:
    bn = keras.layers.BatchNormalization(momentum=0.5)
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(256, 3)).astype(np.float32)
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(y.std(0), 1, atol=1e-2)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean(0), rtol=1e-4)
    inf = bn(x, training=False).numpy()
    expected = (x - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(inf, expected, rtol=1e-4, atol=1e-5)


def test_normalization_adapt() -> None:
    data = np.array([[0.0, 10.0], [2.0, 30.0]], np.float32)
    norm = keras.layers.Normalization()
    norm.adapt(data)
    np.testing.assert_allclose(norm(data).numpy(), [[-1, -1], [1, 1]], rtol=1e-6)


def test_regularizers_add_losses() -> None:
    layer = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.l2(0.1),
                               kernel_initializer="ones")
    layer(np.ones((1, 3), np.float32))
    (reg,) = layer.losses
    assert float(reg) == pytest.approx(0.1 * 6)


def test_add_loss_is_collected_per_call() -> None:
    class WithLoss(keras.layers.Layer):
        def call(self, x):
            self.add_loss(tf.reduce_sum(x))
            return x

    layer = WithLoss()
    layer(np.ones((2, 2), np.float32))
    layer(np.ones((2, 2), np.float32))
    assert [float(v) for v in layer.losses] == [4.0]


def test_get_config_from_config_round_trip() -> None:
    layer = keras.layers.Dense(5, activation="relu", use_bias=False, name="dd")
    cfg = layer.get_config()
    assert cfg["units"] == 5 and cfg["activation"] == "relu" and cfg["name"] == "dd"
    assert cfg["kernel_initializer"]["class_name"] == "GlorotUniform"
    clone = keras.layers.Dense.from_config(cfg)
    assert (clone.units, clone.use_bias, clone.name) == (5, False, "dd")


def test_compute_output_shape() -> None:
    assert keras.layers.Dense(7).compute_output_shape((None, 3)) == (None, 7)


def test_activations_by_name() -> None:
    x = np.linspace(-3, 3, 13).astype(np.float32)
    for name, ref in [("relu", np.maximum(x, 0)), ("linear", x), ("tanh", np.tanh(x)),
                      ("softplus", np.log1p(np.exp(x))), ("elu", np.where(x > 0, x, np.expm1(x))),
                      ("swish", x / (1 + np.exp(-x))), ("leaky_relu", np.where(x > 0, x, 0.2 * x))]:
        np.testing.assert_allclose(keras.activations.get(name)(x).numpy(), ref, rtol=1e-5,
                                   atol=1e-6)
    with pytest.raises(ValueError):
        keras.activations.get("nope")


def test_set_random_seed_makes_initialisation_repeat() -> None:
    def weights():
        keras.utils.set_random_seed(42)
        layer = keras.layers.Dense(3)
        layer(np.ones((1, 2), np.float32))
        return layer.kernel.numpy()

    np.testing.assert_array_equal(weights(), weights())


def test_dense_checks_its_input_spec_with_keras_words():
    d = keras.layers.Dense(3, name="dense_spec")
    d.build((None, 4))
    assert d.built  # build() called directly marks the layer built, as Keras
    with pytest.raises(ValueError) as info:
        d(np.zeros((2, 5), "float32"))
    assert str(info.value) == (
        "Input 0 with name 'None' of layer 'dense_spec' is incompatible with the layer: "
        "expected axis -1 of input shape to have value 4, but received input with shape "
        "(2, 5)")
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        d(np.zeros((4,), "float32"))
    assert repr(d.input_spec) == "InputSpec(min_ndim=2, axes={-1: 4})"


def test_dense_takes_integer_and_bool_inputs_as_floats():
    d = keras.layers.Dense(2, kernel_initializer="ones")
    for x in (np.ones((1, 3), np.uint8), np.ones((1, 3), bool), tf.ones((1, 3), tf.int32)):
        out = d(x)
        assert out.dtype == tf.float32
        np.testing.assert_array_equal(out.numpy(), [[3.0, 3.0]])


def test_activation_layers_match_numpy_and_keras_configs(tmp_path):
    x = np.linspace(-3, 3, 24, dtype="float32").reshape(4, 6)
    relu = keras.layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5)
    np.testing.assert_allclose(relu(x).numpy(), np.minimum(
        np.where(x > 0.5, x, (x - 0.5) * 0.1), 2.0), rtol=1e-6)
    np.testing.assert_allclose(keras.layers.LeakyReLU()(x).numpy(),
                               np.where(x > 0, x, 0.3 * x), rtol=1e-6)
    with pytest.warns(UserWarning, match="`alpha` is deprecated"):
        assert keras.layers.LeakyReLU(alpha=0.2).negative_slope == 0.2
    np.testing.assert_allclose(keras.layers.ELU(0.5)(x).numpy(),
                               np.where(x > 0, x, 0.5 * np.expm1(x)), rtol=1e-6, atol=1e-7)
    e = np.exp(x - x.max(-1, keepdims=True))
    np.testing.assert_allclose(keras.layers.Softmax()(x).numpy(), e / e.sum(-1, keepdims=True),
                               rtol=1e-6)
    mask = np.array([[True] * 3 + [False] * 3] * 4)
    masked = keras.layers.Softmax()(x, mask=mask).numpy()
    assert np.all(masked[:, 3:] == 0) and np.allclose(masked.sum(-1), 1.0)
    prelu = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25))
    np.testing.assert_allclose(prelu(x).numpy(), np.where(x > 0, x, 0.25 * x), rtol=1e-6)
    assert [w.name for w in prelu.weights] == ["alpha"] and prelu.alpha.shape == (6,)
    with pytest.raises(ValueError, match="negative_slope of a ReLU layer"):
        keras.layers.ReLU(negative_slope=-1.0)
    # Config keys as Keras 3.15 writes them; a .keras round trip keeps the numbers.
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4), keras.layers.LeakyReLU(0.1),
                          keras.layers.ReLU(6.0), keras.layers.ELU(0.5),
                          keras.layers.PReLU(), keras.layers.Softmax()])
    layers = m.get_config()["layers"][1:]
    assert [("build_config" in l) for l in layers] == [True, False, False, False, True, False]
    assert sorted(layers[4]["config"]) == ["alpha_constraint", "alpha_initializer",
                                           "alpha_regularizer", "dtype", "name",
                                           "shared_axes", "trainable"]
    m.save(tmp_path / "act.keras")
    again = keras.models.load_model(tmp_path / "act.keras")
    np.testing.assert_array_equal(again.predict(x, verbose=0), m.predict(x, verbose=0))


def test_batch_normalization_training_is_the_composite_formula() -> None:
    """BatchNormalization in training over the last axis runs one fused op: the same
    outputs, moving statistics and gradients as Keras's formula (numpy, float64)."""
    rng = np.random.default_rng(7)
    x = rng.normal(2.0, 3.0, size=(4, 5, 5, 3))
    for center, scale in ((True, True), (False, True), (True, False)):
        bn = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3, center=center,
                                             scale=scale, dtype="float64")
        bn.build(x.shape)
        if scale:
            bn.gamma.assign(rng.normal(size=3))
        if center:
            bn.beta.assign(rng.normal(size=3))
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = bn(xt, training=True)
            loss = tf.reduce_sum(y * tf.constant(np.arange(y.shape.num_elements(),
                                                           dtype=np.float64).reshape(y.shape)))
        grads = tape.gradient(loss, [xt] + bn.trainable_weights)
        mean, var = x.mean((0, 1, 2)), x.var((0, 1, 2))
        gamma = bn.gamma.numpy() if scale else 1.0
        beta = bn.beta.numpy() if center else 0.0
        np.testing.assert_allclose(y.numpy(), (x - mean) / np.sqrt(var + 1e-3) * gamma + beta,
                                   rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-12)
        np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-12)
        # the composite's gradients, by the same tape on tf ops
        with tf.GradientTape() as tape2:
            tape2.watch(xt)
            ws = [tf.constant(w.numpy()) for w in bn.trainable_weights]
            for w in ws:
                tape2.watch(w)
            m, v = tf.nn.moments(xt, [0, 1, 2])
            ref = (xt - m) * tf.math.rsqrt(v + 1e-3)
            if scale:
                ref = ref * ws[0]
            if center:
                ref = ref + ws[-1]
            loss2 = tf.reduce_sum(ref * tf.constant(np.arange(ref.shape.num_elements(),
                                                               dtype=np.float64).reshape(ref.shape)))
        for got, want in zip(grads, tape2.gradient(loss2, [xt] + ws)):
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-8, atol=1e-8)


def test_tf_initializer_classes() -> None:
    """tf.random_normal_initializer & co. (the custom-layers guide's
    ``w_init = tf.random_normal_initializer(); w_init(shape=(2, 3), dtype="float32")``)."""
    w = tf.random_normal_initializer()(shape=(200, 30), dtype="float32")
    assert w.dtype == tf.float32 and abs(float(tf.math.reduce_std(w)) - 0.05) < 0.005
    assert tf.random_normal_initializer().get_config() == {"mean": 0.0, "stddev": 0.05,
                                                           "seed": None}
    u = tf.random_uniform_initializer(-1.0, 1.0)(shape=(1000,))
    assert float(tf.reduce_min(u)) >= -1.0 and float(tf.reduce_max(u)) < 1.0
    np.testing.assert_array_equal(tf.zeros_initializer()(shape=(2,)).numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(tf.ones_initializer()(shape=(2,), dtype="float64").numpy(),
                                  [1.0, 1.0])
    np.testing.assert_array_equal(tf.constant_initializer([1, 2])(shape=(3, 2)).numpy(),
                                  [[1.0, 2.0]] * 3)
    assert tf.constant_initializer(3)(shape=(2,)).numpy().tolist() == [3.0, 3.0]


def test_normalization_of_integer_inputs() -> None:
    """The preprocessing guide adapts and applies Normalization to uint8 CIFAR pixels:
    integer inputs are normalised in float32, as Keras."""
    x = np.random.default_rng(2).integers(0, 256, size=(50, 12)).astype(np.uint8)
    layer = keras.layers.Normalization()
    layer.adapt(x)
    y = layer(x)
    assert y.dtype == tf.float32
    np.testing.assert_allclose(y.numpy(), (x - x.mean(0)) / x.std(0), rtol=1e-4, atol=1e-4)
