"""Hostile ``.keras`` and ``.weights.h5`` files: denial of service by size.

A zip member or an array may declare, or inflate to, far more than the model it is for
can hold. Loading must refuse such files with a ValueError naming the member and the
sizes before the data is read (checked here with tracemalloc: the test's peak stays
far below the declared size), and config parsing must stay linear in the layer count
(checked by counting Python calls, which does not depend on the machine's speed).
Every hostile file is built inside the test and kept small on disk.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import tracemalloc
import zipfile
import zlib
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import numpy as np
import pytest
from numpy.lib import format as npy_format

from tapeflow import keras
from tapeflow.keras.saving import saving_lib

pytestmark = pytest.mark.filterwarnings("ignore:h5py is not installed:UserWarning")

BOMB_MIB = 256  # inflates to 256 MiB of zeros from ~260 KB
LOW_PEAK = 48 << 20  # what a refused load may allocate at most (Python + numpy)


# --------------------------------------------------------------------------------------
# Building files
# --------------------------------------------------------------------------------------
def _zip(members: List[Tuple[str, bytes]], raw: Optional[dict] = None) -> bytes:
    """A zip of stored members, plus ``raw``: name -> (deflate stream, crc, actual
    size, declared size) written as given (the declared size may lie)."""
    out, central = io.BytesIO(), []
    entries = [(n, d, 0, zlib.crc32(d), len(d), len(d)) for n, d in members]
    entries += [(n, s, 8, crc, size, declared)
                for n, (s, crc, size, declared) in (raw or {}).items()]
    for name, data, method, crc, _, declared in entries:
        offset, encoded = out.tell(), name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc,
                              len(data), declared, len(encoded), 0) + encoded + data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method,
                                   0, 0, crc, len(data), declared, len(encoded), 0, 0,
                                   0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                          out.tell() - start, start, 0))
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> Tuple[bytes, int, int]:
    """A raw deflate stream of BOMB_MIB MiB of zeros, its CRC-32 and size: one
    compressed MiB ending in a full flush (so it stands alone) repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    stream = segment * BOMB_MIB + c.flush()
    crc, mib = 0, bytes(1 << 20)
    for _ in range(BOMB_MIB):
        crc = zlib.crc32(mib, crc)
    return stream, crc, BOMB_MIB << 20


def _model(compile: bool = False):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="dense")])
    if compile:
        model.compile(optimizer="adam", loss="mse")
    return model


def _members(weights_format: str = "npz") -> dict:
    data = saving_lib.model_to_bytes(_model(), weights_format)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _h5_bytes(build: Callable) -> bytes:
    h5py = pytest.importorskip("h5py")
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        build(f)
    return buf.getvalue()


def _npy(shape: tuple, dtype: str = "<f4", data: bytes = b"") -> bytes:
    """An .npy member: a header declaring ``shape``, then ``data`` (maybe none)."""
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False,
                                            "shape": shape})
    return buf.getvalue() + data


BIAS = _npy((1,), data=bytes(4))  # the Dense layer's bias, zeros


def _npz(arrays: dict) -> bytes:
    return _zip([(k + ".npy", v) for k, v in arrays.items()])


def _refused(data: bytes, match: str, **kwargs) -> int:
    """Loads ``data`` as a .keras file expecting ValueError(match); returns the
    peak bytes traced while it ran."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=match):
            keras.models.load_model(io.BytesIO(data), **kwargs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------------------
# Zip members: declared sizes, and decompression that stops at the cap
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("member", ["model.weights.h5", "model.weights.npz"])
def test_deflate_bomb_weights_are_refused_unread(bomb, member):
    stream, crc, size = bomb
    members = {k: v for k, v in _members().items() if not k.startswith("model.weights")}
    data = _zip(list(members.items()), {member: (stream, crc, size, size)})
    assert len(data) < 300_000
    peak = _refused(data, rf"member '{member}' declares {size} bytes uncompressed "
                          r"\(\d+ stored\), more than the \d+ bytes that the model's "
                          r"2 variables of 12 bytes allow")
    assert peak < LOW_PEAK


def test_deflate_bomb_config_is_refused_unread(bomb, monkeypatch):
    stream, crc, size = bomb
    monkeypatch.setattr(saving_lib, "_MAX_CONFIG_BYTES", 16 << 20)
    members = {k: v for k, v in _members().items() if k != "config.json"}
    data = _zip(list(members.items()), {"config.json": (stream, crc, size, size)})
    peak = _refused(data, rf"member 'config.json' declares {size} bytes uncompressed "
                          rf"\(\d+ stored\), more than the {16 << 20} bytes allowed")
    assert peak < LOW_PEAK


def test_bomb_declaring_a_small_size_reads_only_that(bomb):
    """Python's zipfile stops at the declared size; the CRC then fails."""
    stream, crc, _ = bomb
    members = {k: v for k, v in _members().items() if not k.startswith("model.weights")}
    data = _zip(list(members.items()), {"model.weights.npz": (stream, crc, 0, 4096)})
    peak = _refused(data, r"damaged: cannot read model.weights.npz: Bad CRC-32")
    assert peak < LOW_PEAK


class _EndlessZeros(io.RawIOBase):
    """A member reader that yields zeros for ever, whatever was declared."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        b[:] = bytes(len(b))
        self.served += len(b)
        return len(b)


def test_decompression_stops_past_the_cap_whatever_is_declared(monkeypatch):
    archive = saving_lib.Archive(_zip(list(_members().items())), "x.keras")
    stream = _EndlessZeros()
    monkeypatch.setattr(archive.zip, "open", lambda info: io.BufferedReader(stream))
    cap = 5 << 20
    match = (rf"x.keras: member 'config.json' decompresses to more than the {cap} "
             r"bytes allowed here \(it declares \d+\); refusing to read further")
    with pytest.raises(ValueError, match=match):
        archive.read("config.json", cap, "allowed here")
    assert stream.served <= cap + (2 << 20)


def test_weights_member_larger_than_the_model_can_hold():
    """Not a bomb (stored, not compressed), but 4 MiB for a model of 12 bytes."""
    members = _members()
    members["model.weights.npz"] = _npz({
        "layers/dense/vars/0": _npy((2, 1), data=bytes(8)),
        "layers/dense/vars/1": _npy((1,), data=bytes(4)),
        "padding": _npy((1 << 20,), data=bytes(4 << 20))})
    _refused(_zip(list(members.items())),
             r"member 'model.weights.npz' declares \d+ bytes uncompressed")


def test_a_compiled_model_allows_for_its_optimizer_state(tmp_path: Path):
    model = _model(compile=True)
    x = np.ones((4, 2), "float32")
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    for compile in (True, False):
        loaded = keras.models.load_model(tmp_path / "m.keras", compile=compile)
        np.testing.assert_array_equal(loaded.predict(x, verbose=0),
                                      model.predict(x, verbose=0))


# --------------------------------------------------------------------------------------
# Arrays: shapes and dtypes are checked before the data is read
# --------------------------------------------------------------------------------------
HUGE = (1 << 28,)  # 1 GiB of float32


def _huge_fill_value_h5(f) -> None:
    """A 1 GiB dataset never written: HDF5 stores nothing and reads the fill value."""
    f.create_dataset("layers/dense/vars/0", shape=HUGE, dtype="f4", chunks=(1 << 16,),
                     compression="gzip")
    f["layers/dense/vars/1"] = np.zeros((1,), "f4")


def test_hdf5_fill_value_dataset_is_refused_before_reading():
    members = _members()
    del members["model.weights.npz"]
    members["model.weights.h5"] = _h5_bytes(_huge_fill_value_h5)
    data = _zip(list(members.items()))
    assert len(data) < 100_000
    peak = _refused(data, r"Weight 'layers/dense/vars/0' has shape \(268435456,\), but "
                          r"the model's variable '.*' has shape \(2, 1\)")
    assert peak < LOW_PEAK


def test_weights_h5_file_fill_value_dataset_is_refused(tmp_path: Path):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(_h5_bytes(_huge_fill_value_h5))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"has shape \(268435456,\), but"):
            _model().load_weights(path)
        assert tracemalloc.get_traced_memory()[1] < LOW_PEAK
    finally:
        tracemalloc.stop()


@keras.saving.register_keras_serializable(package="hostile")
class OwnLoader(keras.layers.Layer):
    """A layer that reads its store itself: only the byte budget guards it."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(2,), initializer="zeros")

    def call(self, x):
        return x * self.w

    def load_own_variables(self, store):
        self.w.assign(store["0"])


def test_custom_loader_reads_within_the_models_budget():
    model = keras.Sequential([keras.Input((2,)), OwnLoader(name="own")])
    members = {k: v for k, v in _members().items() if not k.startswith("model.weights")}
    members["config.json"] = json.dumps(saving_lib.serialize_layer(model)).encode()
    members["model.weights.h5"] = _h5_bytes(lambda f: f.create_dataset(
        "layers/own_loader/vars/0", shape=HUGE, dtype="f4", chunks=(1 << 16,),
        compression="gzip"))
    peak = _refused(_zip(list(members.items())),
                    r"weight 'layers/own_loader/vars/0' declares 1073741824 bytes "
                    r"\(shape \(268435456,\), float32\), more than the \d+ bytes left "
                    r"of what the model's 1 variables of 8 bytes allow")
    assert peak < LOW_PEAK


def test_npz_header_declaring_a_huge_array_is_refused_unread():
    members = _members()
    members["model.weights.npz"] = _npz({"layers/dense/vars/0": _npy(HUGE),
                                         "layers/dense/vars/1": BIAS})
    peak = _refused(_zip(list(members.items())),
                    r"Weight 'layers/dense/vars/0' has shape \(268435456,\), but")
    assert peak < LOW_PEAK


@pytest.mark.parametrize("weights_format", ["h5", "npz"])
def test_shapes_that_disagree(weights_format):
    if weights_format == "h5":
        pytest.importorskip("h5py")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="dense")])
    members = _members(weights_format)
    with zipfile.ZipFile(io.BytesIO(saving_lib.model_to_bytes(model, weights_format))) \
            as zf:
        wrong = {n: zf.read(n) for n in zf.namelist() if n.startswith("model.weights")}
    members.update(wrong)
    _refused(_zip(list(members.items())),
             r"Weight 'layers/dense/vars/0' has shape \(3, 1\), but the model's "
             r"variable '.*' has shape \(2, 1\)")


def test_non_numeric_npz_array_is_refused():
    members = _members()
    members["model.weights.npz"] = _npz({"layers/dense/vars/0": _npy((2, 1), "|O"),
                                         "layers/dense/vars/1": BIAS})
    _refused(_zip(list(members.items())), "dtype object")


# --------------------------------------------------------------------------------------
# Missing files and members, unsafe names
# --------------------------------------------------------------------------------------
def test_missing_file(tmp_path: Path):
    with pytest.raises(ValueError, match="File not found"):
        keras.models.load_model(tmp_path / "nothing.keras")
    with pytest.raises(ValueError, match="File not found"):
        _model().load_weights(tmp_path / "nothing.weights.h5")


def test_missing_members():
    members = _members()
    _refused(_zip([(k, v) for k, v in members.items() if k != "config.json"]),
             "it has no config.json")
    _refused(_zip([(k, v) for k, v in members.items() if k != "model.weights.npz"]),
             "expected a model.weights.h5 or model.weights.npz file")
    members["model.weights.npz"] = _npz({"layers/dense/vars/1": BIAS,
                                         "layers/dense/vars/x": BIAS})
    _refused(_zip(list(members.items())),
             r"The weights file has no 'layers/dense/vars/0' for the model's variable")


@pytest.mark.parametrize("evil", ["..\\evil.txt", "C:/evil.txt", "a/../../evil.txt",
                                  "/etc/evil", ""])
def test_member_names_escaping_the_archive(evil):
    members = _members()
    _refused(_zip(list(members.items()) + [(evil, b"x")]), "unsafe member name")


# --------------------------------------------------------------------------------------
# Config parsing is linear in the layer count
# --------------------------------------------------------------------------------------
def _python_calls(fn: Callable) -> int:
    calls = [0]

    def profile(frame, event, arg):
        if event == "call":
            calls[0] += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls[0]


def _sequential_file(n: int, weights_format: str) -> bytes:
    layers = [keras.layers.Dense(2) for _ in range(n)]
    model = keras.Sequential([keras.Input((2,))] + layers)
    return saving_lib.model_to_bytes(model, weights_format)


def _reversed_functional_file(n: int) -> Tuple[bytes, object]:
    """A chain of n Dense layers whose config lists the layers last first (legal, as
    Keras replays calls once their inputs exist, but the worst order to replay)."""
    x = inp = keras.Input((2,))
    for _ in range(n):
        x = keras.layers.Dense(2)(x)
    model = keras.Model(inp, x)
    data = saving_lib.model_to_bytes(model, "npz")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {k: zf.read(k) for k in zf.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"].reverse()
    members["config.json"] = json.dumps(config).encode()
    return _zip(list(members.items())), model


def _load(data: bytes) -> Callable:
    return lambda: keras.models.load_model(io.BytesIO(data))


@pytest.mark.parametrize("weights_format", ["h5", "npz"])
def test_sequential_config_loads_in_linear_time(weights_format):
    """4x the layers, about 4x the Python calls (4.0x; it was 5.7x at these sizes)."""
    if weights_format == "h5":
        pytest.importorskip("h5py")
    small, large = (_python_calls(_load(_sequential_file(n, weights_format)))
                    for n in (100, 400))
    assert large / small < 4.4


def test_functional_config_in_reverse_order_loads_in_linear_time():
    """The old replay rescanned every layer per pass, one pass per layer here (5.4x
    the calls for 4x the layers; now 3.9x)."""
    counts = []
    for n in (60, 240):
        data, model = _reversed_functional_file(n)
        counts.append(_python_calls(_load(data)))
    assert counts[1] / counts[0] < 4.4
    x = np.random.default_rng(0).normal(size=(3, 2)).astype("float32")
    loaded = keras.models.load_model(io.BytesIO(data))
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def test_functional_replay_order_with_a_shared_layer():
    """A shared layer's second call waits for a later layer: replayed as Keras does
    (same outputs), the config listing the layers in any order."""
    inp = keras.Input((3,), name="inp")
    shared = keras.layers.Dense(3, name="shared")
    a = shared(inp)
    b = keras.layers.Dense(3, name="mid")(a)
    c = shared(b)
    out = keras.layers.Add(name="add")([a, c])
    model = keras.Model(inp, out)
    data = saving_lib.model_to_bytes(model, "npz")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {k: zf.read(k) for k in zf.namelist()}
    x = np.random.default_rng(1).normal(size=(2, 3)).astype("float32")
    config = json.loads(members["config.json"])
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [0, 3, 2, 1], [2, 0, 3, 1]):
        shuffled = json.loads(json.dumps(config))
        shuffled["config"]["layers"] = [config["config"]["layers"][i] for i in order]
        members["config.json"] = json.dumps(shuffled).encode()
        loaded = keras.models.load_model(io.BytesIO(_zip(list(members.items()))))
        np.testing.assert_allclose(loaded.predict(x, verbose=0),
                                   model.predict(x, verbose=0), rtol=1e-6)


def test_unbuilt_model_too_small_for_its_weights_says_why():
    """A subclassed model saved without a build config has no variables when loaded:
    its weights file is then 'too large', and the message says the model is unbuilt."""

    @keras.saving.register_keras_serializable(package="hostile")
    class Unbuilt(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(600)

        def call(self, x):
            return self.dense(x)

        def get_build_config(self):
            return None

    model = Unbuilt()
    model(np.ones((1, 600), "float32"))  # 1.4 MB of weights, over the 1 MiB floor
    with pytest.raises(ValueError, match=r"(?s)declares \d+ bytes.*0 variables of 0 "
                                         r"bytes.*is not built after loading"):
        keras.models.load_model(io.BytesIO(saving_lib.model_to_bytes(model, "npz")))
