"""Keras saving: the .keras format (zip of metadata.json, config.json and
model.weights.h5), .weights.h5 files, load_model, and interop with files made by real
Keras 3.15 (tests/fixtures/keras, made by make_fixtures.py in the oracle venv; the
tapeflow -> Keras direction is checked by hand with check_in_keras.py).

Hostile files must raise ValueError and write nothing anywhere."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from tapeflow import keras

FIXTURES = Path(__file__).parent / "fixtures" / "keras"

# Without h5py, model.save writes model.weights.npz and says so once per save.
pytestmark = pytest.mark.filterwarnings("ignore:h5py is not installed:UserWarning")


@pytest.fixture(params=["h5", "npz"])
def weights_format(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with HDF5 weights (needs h5py) and with h5py made unimportable
    (weights as model.weights.npz inside the archive)."""
    if request.param == "h5":
        pytest.importorskip("h5py")
    else:
        monkeypatch.setitem(sys.modules, "h5py", None)
    return request.param


def _fixture(name: str, suffix: str) -> np.ndarray:
    return np.load(FIXTURES / f"{name}_{suffix}.npy")


def _files(root: Path) -> set:
    return {p.relative_to(root) for p in root.rglob("*")}


def _weights_equal(a, b) -> None:
    assert len(a.weights) == len(b.weights)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa.numpy(), wb.numpy())


def _optimizer_state_equal(a, b, by_name: bool = True) -> None:
    """Same optimizer variables: matched by name for a model and its loaded copy (a
    loaded optimizer is built in Keras's variable order, which may differ from the
    order training built it in), else by position."""
    va, vb = a.optimizer.variables, b.optimizer.variables
    assert len(va) == len(vb)
    if by_name:
        lookup = {v.name: v for v in vb}
        assert sorted(lookup) == sorted(v.name for v in va)
        vb = [lookup[v.name] for v in va]
    for x, y in zip(va, vb):
        np.testing.assert_array_equal(y.numpy(), x.numpy(), err_msg=x.name)


# --------------------------------------------------------------------------------------
# Models used by several tests
# --------------------------------------------------------------------------------------
def _seq_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.BatchNormalization(),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss=keras.losses.MeanSquaredError(),
                  metrics=["mae", keras.metrics.BinaryAccuracy(threshold=0.3)])
    return model


def _branchy_functional():
    """Called in an order (short branch first) that differs from Keras's layer order
    (by depth): exercises the Keras-ordered group names and optimizer slots."""
    inp = keras.Input((6,), name="features")
    short = keras.layers.Dense(2, name="short")(inp)
    h = keras.layers.Dense(5, name="long_a")(inp)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.Activation("tanh")(h)
    h = keras.layers.Dense(4, name="long_b")(h)
    merged = keras.layers.Concatenate()([short, h])
    out = keras.layers.Dense(3, activation="softmax", name="probs")(merged)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _seq_data(n: int = 16):
    rng = np.random.default_rng(0)
    return (rng.normal(size=(n, 4)).astype("float32"),
            rng.normal(size=(n, 1)).astype("float32"))


def _fn_data(n: int = 12):
    rng = np.random.default_rng(1)
    return (rng.normal(size=(n, 6)).astype("float32"),
            np.eye(3, dtype="float32")[rng.integers(0, 3, n)])


# --------------------------------------------------------------------------------------
# Files made by real Keras 3.15
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["seq_adam", "functional", "embed_bn", "uncompiled"])
def test_keras_made_files_predict_identically(name: str) -> None:
    pytest.importorskip("h5py")
    model = keras.models.load_model(FIXTURES / f"{name}.keras")
    pred = model.predict(_fixture(name, "x"), verbose=0)
    np.testing.assert_allclose(pred, _fixture(name, "pred"), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,atol", [
    ("seq_adam", 1e-6), ("functional", 1e-6),
    # Keras's TF backend updates RMSprop's state for an Embedding from sparse
    # per-occurrence gradients; the result differs at the 1e-5 level. Without the saved
    # optimizer state the difference would be ~4e-2.
    ("embed_bn", 2e-4)])
def test_keras_made_files_resume_training_identically(name: str, atol: float) -> None:
    """The optimizer state loads: one more step matches Keras's own next step."""
    pytest.importorskip("h5py")
    model = keras.models.load_model(FIXTURES / f"{name}.keras")
    model.train_on_batch(_fixture(name, "x"), _fixture(name, "y"))
    np.testing.assert_allclose(model.predict(_fixture(name, "x"), verbose=0),
                               _fixture(name, "next"), atol=atol)


def test_keras_made_compile_settings() -> None:
    pytest.importorskip("h5py")
    seq = keras.models.load_model(FIXTURES / "seq_adam.keras")
    assert isinstance(seq, keras.Sequential) and seq.compiled
    assert isinstance(seq.optimizer, keras.optimizers.Adam)
    assert seq.optimizer.learning_rate.numpy() == pytest.approx(0.01)
    assert int(seq.optimizer.iterations.numpy()) == 1
    assert seq.loss == "mse"
    assert [layer.name for layer in seq.layers] == ["dense", "dense_1"]

    fn = keras.models.load_model(FIXTURES / "functional.keras")
    assert isinstance(fn.optimizer, keras.optimizers.SGD)
    assert fn.optimizer.momentum == pytest.approx(0.9)
    assert int(fn.optimizer.iterations.numpy()) == 4
    assert fn.layers[0].name == "features"

    emb = keras.models.load_model(FIXTURES / "embed_bn.keras")
    assert isinstance(emb.optimizer, keras.optimizers.RMSprop)
    assert isinstance(emb.loss, keras.losses.BinaryCrossentropy)
    x, y = _fixture("embed_bn", "x"), _fixture("embed_bn", "y")
    logs = emb.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "binary_accuracy"}

    plain = keras.models.load_model(FIXTURES / "seq_adam.keras", compile=False)
    assert not plain.compiled and plain.optimizer is None
    np.testing.assert_allclose(plain.predict(_fixture("seq_adam", "x"), verbose=0),
                               _fixture("seq_adam", "pred"), rtol=1e-5, atol=1e-6)


def test_keras_made_weights_file_loads_into_tapeflow_model() -> None:
    pytest.importorskip("h5py")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.load_weights(FIXTURES / "seq_adam.weights.h5")
    np.testing.assert_allclose(model.predict(_fixture("seq_adam", "x"), verbose=0),
                               _fixture("seq_adam", "pred"), rtol=1e-5, atol=1e-6)
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    other.load_weights(FIXTURES / "seq_adam.keras")  # weights straight from a .keras file
    _weights_equal(model, other)


# --------------------------------------------------------------------------------------
# The format tapeflow writes
# --------------------------------------------------------------------------------------
def test_keras_file_layout(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    model = _seq_model()
    model.fit(*_seq_data(), epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["metadata.json", "config.json",
                                               "model.weights.h5"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        meta = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
        weights = zf.read("model.weights.h5")
    assert meta["keras_version"] == keras.__version__ == "3.15.0"
    assert len(meta["date_saved"]) == 19 and meta["date_saved"][10] == "@"
    assert {k: config[k] for k in ("module", "class_name", "registered_name")} == {
        "module": "keras", "class_name": "Sequential", "registered_name": None}
    assert config["build_config"] == {"input_shape": [None, 4]}
    layers = config["config"]["layers"]
    assert [entry["class_name"] for entry in layers] == [
        "InputLayer", "Dense", "BatchNormalization", "Dense"]
    assert layers[1] == {**layers[1], "module": "keras.layers", "registered_name": None,
                         "build_config": {"input_shape": [None, 4]}}
    cc = config["compile_config"]
    assert cc["optimizer"]["class_name"] == "Adam"
    assert cc["optimizer"]["module"] == "keras.optimizers"
    assert cc["loss"]["class_name"] == "MeanSquaredError"
    assert cc["metrics"][0] == "mae"
    assert cc["metrics"][1]["config"]["threshold"] == 0.3
    with h5py.File(io.BytesIO(weights), "r") as f:
        assert sorted(f["layers"].keys()) == ["batch_normalization", "dense", "dense_1"]
        assert f["layers/dense/vars"].attrs["name"] == model.layers[0].name
        assert f["layers/dense/vars/0"].shape == (4, 8)
        assert f["layers/dense_1/vars/0"].shape == (8, 1)
        bn = f["layers/batch_normalization/vars"]
        assert sorted(bn.keys()) == ["0", "1", "2", "3"]  # gamma, beta, mean, variance
        np.testing.assert_array_equal(bn["2"][()], model.layers[1].moving_mean.numpy())
        assert f["optimizer/vars"].attrs["name"] == model.optimizer.name
        assert f["optimizer/vars/0"].dtype == np.int64 and f["optimizer/vars/0"][()] == 1
        assert len(f["optimizer/vars"]) == 2 + 2 * 6
        assert f["vars"].attrs["name"] == model.name


def test_group_names_follow_keras_layer_order(tmp_path: Path) -> None:
    """A functional model's layers are numbered in Keras's order (by graph depth),
    not in call order, and its optimizer slots follow the same order."""
    h5py = pytest.importorskip("h5py")
    model = _branchy_functional()
    model.fit(*_fn_data(), epochs=1, batch_size=6, verbose=0)
    model.save(tmp_path / "f.keras")
    with zipfile.ZipFile(tmp_path / "f.keras") as zf:
        names = [e["name"] for e in json.loads(zf.read("config.json"))["config"]["layers"]]
        weights = zf.read("model.weights.h5")
    assert names[:2] == ["features", "long_a"] and names[4:6] == ["short", "long_b"]
    assert names[2].startswith("batch_normalization") and names[-1] == "probs"
    with h5py.File(io.BytesIO(weights), "r") as f:
        assert [f[f"layers/{g}/vars"].attrs["name"] for g in
                ("dense", "dense_1", "dense_2", "dense_3")] == [
            "long_a", "short", "long_b", "probs"]
        assert f["optimizer/vars/2"].shape == (6, 5)  # long_a's kernel slots come first
        assert f["optimizer/vars/10"].shape == (6, 2)


def test_paths_of_nested_layers_match_keras(tmp_path: Path) -> None:
    """Attributes, lists and dicts of layers give Keras's paths (read off a file Keras
    3.15 wrote for the same classes)."""
    h5py = pytest.importorskip("h5py")

    class Block(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.ds = [keras.layers.Dense(2), keras.layers.Dense(2)]
            self.d = {"a": keras.layers.Dense(2)}
            self._priv = keras.layers.Dense(2)
            self.zz = keras.layers.Dense(2)

        def call(self, x):
            return self.zz(self._priv(self.d["a"](self.ds[1](self.ds[0](x)))))

    class Sub(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.b = Block()
            self.out = keras.layers.Dense(1)

        def call(self, x):
            return self.out(self.b(x))

    model = Sub()
    model(np.zeros((1, 3), "float32"))
    model.compile("adam", "mse")
    model.save(tmp_path / "sub.keras")
    with zipfile.ZipFile(tmp_path / "sub.keras") as zf:
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            groups = []
            f.visititems(lambda n, o: groups.append(n) if n.endswith("/vars") or
                         n == "vars" else None)
    assert sorted(groups) == sorted([
        "b/_priv/vars", "b/d/dense/vars", "b/ds/dense/vars", "b/ds/dense_1/vars",
        "b/vars", "b/zz/vars", "layers/dense/vars", "optimizer/vars", "vars"])


# --------------------------------------------------------------------------------------
# Round trips in tapeflow
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,data", [(_seq_model, _seq_data), (_branchy_functional,
                                                                  _fn_data)])
def test_round_trip_resumes_training_identically(tmp_path: Path, make, data, weights_format: str) -> None:
    keras.utils.set_random_seed(0)
    x, y = data()
    model = make()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, shuffle=False)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    _weights_equal(model, loaded)
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
    assert type(loaded.loss) is type(model.loss)
    for _ in range(3):
        la = model.train_on_batch(x, y)
        lb = loaded.train_on_batch(x, y)
        np.testing.assert_allclose(lb, la, rtol=1e-6)
    _weights_equal(model, loaded)
    state = {v.name: v.numpy() for v in model.optimizer.variables}
    for v in loaded.optimizer.variables:
        np.testing.assert_array_equal(v.numpy(), state[v.name])


def test_round_trip_embedding_dropout_flatten_int_inputs(tmp_path: Path, weights_format: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 20, size=(10, 5)).astype("int32")
    y = rng.integers(0, 2, size=(10, 1)).astype("float32")
    inp = keras.Input((5,), dtype="int32")
    h = keras.layers.Flatten()(keras.layers.Embedding(20, 4)(inp))
    h = keras.layers.Dropout(0.5)(keras.layers.Dense(6, activation="relu")(h))
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=5, verbose=0)
    model.save(tmp_path / "e.keras")
    loaded = keras.models.load_model(tmp_path / "e.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    _optimizer_state_equal(model, loaded)
    assert loaded.layers[0].dtype == "int32"


def test_round_trip_nested_sequential_and_merges(tmp_path: Path, weights_format: str) -> None:
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    i = keras.Input((3,))
    a, b = inner(i), keras.layers.Dense(2)(i)
    model = keras.Model(i, [keras.layers.Concatenate()([a, b]), keras.layers.Add()([a, b])])
    model.save(tmp_path / "n.keras")
    loaded = keras.models.load_model(tmp_path / "n.keras")
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    for p, q in zip(model.predict(x, verbose=0), loaded.predict(x, verbose=0)):
        np.testing.assert_array_equal(p, q)
    assert not loaded.compiled


def test_save_weights_load_weights(tmp_path: Path) -> None:
    pytest.importorskip("h5py")
    x, y = _seq_data()
    model = _seq_model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    other = _seq_model()
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        other.load_weights(tmp_path / "w.weights.h5")  # as Keras: optimizer not built yet
    _weights_equal(model, other)
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    other.fit(x, y, epochs=1, batch_size=8, verbose=0)  # builds the optimizer
    other.load_weights(tmp_path / "w.weights.h5")  # now its state loads too
    _optimizer_state_equal(model, other, by_name=False)
    unbuilt = keras.Sequential([keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.load_weights(tmp_path / "w.weights.h5")
    wrong = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="shape"):
        wrong.load_weights(tmp_path / "w.weights.h5")


def test_file_objects_and_saving_aliases(weights_format: str) -> None:
    x, y = _seq_data()
    model = _seq_model()
    model.fit(x, y, epochs=1, verbose=0)
    buf = io.BytesIO()
    keras.saving.save_model(model, buf)
    buf.seek(0)
    loaded = keras.saving.load_model(buf)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert keras.models.save_model is keras.saving.save_model
    assert keras.models.load_model is keras.saving.load_model


# --------------------------------------------------------------------------------------
# Custom objects
# --------------------------------------------------------------------------------------
class _Scale(keras.layers.Layer):
    def __init__(self, k: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        self.k = k

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="random_normal",
                                 name="w")

    def call(self, x):
        return x * self.w * self.k

    def get_config(self):
        return {**super().get_config(), "k": self.k}


def test_custom_layer_via_custom_objects_and_registration(tmp_path: Path, weights_format: str) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3), _Scale(3.0)])
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    model.save(tmp_path / "c.keras")
    with pytest.raises(ValueError, match="_Scale"):
        keras.models.load_model(tmp_path / "c.keras")
    loaded = keras.models.load_model(tmp_path / "c.keras", custom_objects={"_Scale": _Scale})
    assert loaded.layers[1].k == 3.0
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))

    @keras.saving.register_keras_serializable(package="TestSaving")
    class Shift(keras.layers.Layer):
        def __init__(self, by: float = 1.0, **kwargs):
            super().__init__(**kwargs)
            self.by = by

        def call(self, x):
            return x + self.by

        def get_config(self):
            return {**super().get_config(), "by": self.by}

    assert keras.saving.get_registered_name(Shift) == "TestSaving>Shift"
    reg = keras.Sequential([keras.Input((3,)), Shift(0.5), keras.layers.Dense(2)])
    reg.save(tmp_path / "r.keras")
    loaded = keras.models.load_model(tmp_path / "r.keras")
    assert isinstance(loaded.layers[0], Shift) and loaded.layers[0].by == 0.5
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), reg.predict(x, verbose=0))


def test_subclassed_model_with_build_config(tmp_path: Path, weights_format: str) -> None:

    @keras.saving.register_keras_serializable(package="TestSaving")
    class Net(keras.Model):
        def __init__(self, units: int = 3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.hidden = keras.layers.Dense(units, activation="relu")
            self.head = keras.layers.Dense(1)

        def call(self, x):
            return self.head(self.hidden(x))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

        def get_build_config(self):
            return {"input_shape": [None, 4]}

    x, y = _seq_data()
    model = Net(5)
    model.compile(keras.optimizers.SGD(0.1, momentum=0.5), "mse")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "net.keras")
    loaded = keras.models.load_model(tmp_path / "net.keras")
    assert isinstance(loaded, Net) and loaded.units == 5
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    _optimizer_state_equal(model, loaded, by_name=False)


# --------------------------------------------------------------------------------------
# File names and arguments (Keras 3.15's messages)
# --------------------------------------------------------------------------------------
def test_extension_errors(tmp_path: Path) -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"Invalid filepath extension for saving\. Please "
                       r"add either a `\.keras` extension .* Received: filepath=.*m\."):
        model.save(tmp_path / "m")
    with pytest.raises(ValueError, match="legacy HDF5"):
        model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"The filename must end in `\.weights\.h5`\. "
                       r"Received: filepath=.*w\.h5"):
        model.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="File format not supported"):
        keras.models.load_model(tmp_path / "m.txt")
    with pytest.raises(ValueError, match="File not found"):
        keras.models.load_model(tmp_path / "missing.keras")
    assert _files(tmp_path) == set()
    (tmp_path / "exists.keras").write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "exists.keras", overwrite=False)
    assert (tmp_path / "exists.keras").read_bytes() == b"keep me"


# --------------------------------------------------------------------------------------
# Damaged and hostile files
# --------------------------------------------------------------------------------------
def _good_archive() -> dict:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    buf = io.BytesIO()
    model.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _write_zip(path: Path, members: dict) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)


def _assert_refused(tmp_path: Path, path: Path, match: str) -> None:
    before = _files(tmp_path.parent)
    with pytest.raises(ValueError, match=match):
        keras.models.load_model(path)
    assert _files(tmp_path.parent) == before  # nothing written anywhere


@pytest.mark.parametrize("evil", ["../evil.txt", "a/../../evil.txt", "/tmp/evil.txt"])
def test_refuses_members_escaping_the_archive(tmp_path: Path, evil: str, weights_format: str) -> None:
    members = _good_archive()
    members[evil] = b"pwned"
    path = tmp_path / "evil.keras"
    _write_zip(path, members)
    _assert_refused(tmp_path, path, "unsafe member name")
    assert not (tmp_path.parent / "evil.txt").exists()


def test_refuses_non_zip_and_truncated_files(tmp_path: Path, weights_format: str) -> None:
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"definitely not a zip file" * 10)
    _assert_refused(tmp_path, bad, "not a readable zip archive")
    good = tmp_path / "good.keras"
    _write_zip(good, _good_archive())
    data = good.read_bytes()
    for cut in (len(data) // 2, len(data) - 30):
        bad.write_bytes(data[:cut])
        _assert_refused(tmp_path, bad, "valid .keras file|damaged")


def test_refuses_bad_configs(tmp_path: Path, weights_format: str) -> None:
    members = _good_archive()
    config = json.loads(members["config.json"])
    path = tmp_path / "c.keras"

    def refused(cfg, match):
        _write_zip(path, {**members, "config.json": json.dumps(cfg).encode()})
        _assert_refused(tmp_path, path, match)

    unknown = json.loads(json.dumps(config))
    unknown["config"]["layers"][1]["class_name"] = "EvilLayer"
    refused(unknown, "EvilLayer")
    importer = json.loads(json.dumps(config))
    importer["config"]["layers"][1].update(module="os", class_name="system",
                                           registered_name=None)
    refused(importer, "'system'")
    lam = json.loads(json.dumps(config))
    lam["config"]["layers"][1]["config"]["activation"] = {
        "class_name": "__lambda__", "config": {"value": ["ZXZpbA==", None, None]}}
    refused(lam, "lambda")
    with pytest.raises(ValueError, match="lambda"):  # tapeflow never runs code from a file
        keras.models.load_model(path, safe_mode=False)
    lambda_layer = json.loads(json.dumps(config))
    lambda_layer["config"]["layers"][1].update(class_name="Lambda", config={
        "function": {"class_name": "__lambda__", "config": {}}})
    refused(lambda_layer, "lambda|Lambda")
    refused({"class_name": "Sequential", "module": "keras", "config": {}}, "layers")
    _write_zip(path, {**members, "config.json": b"{not json"})
    _assert_refused(tmp_path, path, "not valid JSON")
    _write_zip(path, {k: v for k, v in members.items() if not k.startswith("model.weights")})
    _assert_refused(tmp_path, path, "model.weights.h5")


def test_refuses_hostile_hdf5(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    members = _good_archive()
    path = tmp_path / "h.keras"
    _write_zip(path, {**members, "model.weights.h5": b"\x89HDF\r\n\x1a\n garbage"})
    _assert_refused(tmp_path, path, "HDF5")
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.create_group("layers/dense/vars")
        f["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/x")
        f["layers/dense/vars/1"] = np.zeros((1,), "float32")
    _write_zip(path, {**members, "model.weights.h5": buf.getvalue()})
    _assert_refused(tmp_path, path, "ExternalLink")
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f["layers/dense/vars/0"] = np.array([b"a", b"b"], dtype=object)
        f["layers/dense/vars/1"] = np.zeros((1,), "float32")
    _write_zip(path, {**members, "model.weights.h5": buf.getvalue()})
    _assert_refused(tmp_path, path, "dtype")


# --------------------------------------------------------------------------------------
# Without h5py: weights as model.weights.npz inside the archive
# --------------------------------------------------------------------------------------
def test_npz_fallback_without_h5py(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = _fn_data()
    model = _branchy_functional()
    model.fit(x, y, epochs=1, batch_size=6, verbose=0)
    monkeypatch.setitem(sys.modules, "h5py", None)  # `import h5py` now fails
    with pytest.warns(UserWarning, match="h5py is not installed"):
        model.save(tmp_path / "n.keras")
    with zipfile.ZipFile(tmp_path / "n.keras") as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.npz"]
        with np.load(io.BytesIO(zf.read("model.weights.npz")), allow_pickle=False) as npz:
            keys = set(npz.files)
    assert {"layers/dense/vars/0", "layers/dense_1/vars/1", "optimizer/vars/0"} <= keys
    loaded = keras.models.load_model(tmp_path / "n.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    _optimizer_state_equal(model, loaded)
    with pytest.raises(ImportError, match="pip install h5py"):
        model.save_weights(tmp_path / "w.weights.h5")
    if (FIXTURES / "seq_adam.keras").exists():
        with pytest.raises(ImportError, match="pip install h5py"):
            keras.models.load_model(FIXTURES / "seq_adam.keras")
    monkeypatch.undo()  # h5py importable again (if installed): npz still loads
    if importlib.util.find_spec("h5py") is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = keras.models.load_model(tmp_path / "n.keras")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_subclassed_model_round_trip_uses_the_recorded_build_shape(tmp_path) -> None:
    """A registered subclassed model reloads without defining get_build_config."""
    import numpy as np

    from tapeflow import keras

    @keras.saving.register_keras_serializable(package="roundtrip")
    class TwoLayer(keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.hidden = keras.layers.Dense(units, activation="relu")
            self.out = keras.layers.Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    model = TwoLayer()
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    before = model.predict(x, verbose=0)
    path = tmp_path / "sub.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-6)


def test_every_exported_keras_class_is_in_the_builtin_registry() -> None:
    """Saving finds Keras's classes in the registry their namespaces fill on import, so a
    layer, loss, metric or optimizer added without registering it would save under its
    Python module and not load in Keras: each public class must be there."""
    import inspect

    from tapeflow.keras import initializers, losses, metrics, optimizers
    from tapeflow.keras.utils.registry import BUILTINS, builtin_kind

    for kind, module, base in (("layer", keras.layers, keras.layers.Layer),
                               ("optimizer", optimizers, optimizers.Optimizer),
                               ("loss", losses, losses.Loss),
                               ("metric", metrics, metrics.Metric),
                               ("schedule", optimizers.schedules,
                                optimizers.schedules.LearningRateSchedule)):
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isclass(obj) or not issubclass(obj, base):
                continue
            assert BUILTINS[kind].get(obj.__name__) is obj, (kind, name)
            assert builtin_kind(obj) == kind
    assert BUILTINS["initializer"]["GlorotUniform"] is initializers.GlorotUniform
    for model_class in (keras.Sequential, keras.Model):
        assert builtin_kind(model_class) == "layer"


def test_a_subclass_of_a_builtin_saves_as_a_custom_class(tmp_path) -> None:
    from tapeflow.keras.utils.registry import builtin_kind

    @keras.saving.register_keras_serializable(package="RegistryTest")
    class WideDense(keras.layers.Dense):
        pass

    assert builtin_kind(WideDense) is None
    model = keras.Sequential([keras.Input((3,)), WideDense(2)])
    config = keras.saving.serialize_keras_object(model)
    entry = config["config"]["layers"][1]
    assert entry["registered_name"] == "RegistryTest>WideDense"
    assert entry["module"] != "keras.layers"
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.layers[0]) is WideDense
    x = np.ones((1, 3), np.float32)
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    again = keras.Sequential.from_config(model.get_config())
    assert type(again.layers[0]) is WideDense
