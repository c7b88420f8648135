"""``keras.datasets`` and ``keras.utils.get_file``, offline.

Every test writes tiny files in Keras's own formats (tests/fixtures/datasets/
make_small_files.py) into a tmp_path KERAS_HOME; the network is never touched (an
autouse fixture makes every download attempt fail as on a machine without network).
The hard-coded IMDB/Reuters results below are real Keras 3.15's output on these very
files (tests/fixtures/datasets/compare_with_keras.py --print-expected, which also
checks every loader, argument combination and dtype against Keras: 40/40 identical).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import os
import pickle
import struct
import tarfile
import urllib.error
import zipfile

import numpy as np
import pytest

from tapeflow import keras
from tapeflow.keras.datasets import (_safe_pickle, boston_housing, california_housing,
                                     cifar10, cifar100, fashion_mnist, imdb, mnist,
                                     reuters)
from tapeflow.keras.utils import file_utils

_spec = importlib.util.spec_from_file_location(
    "make_small_files",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "datasets",
                 "make_small_files.py"))
msf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(msf)

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
HASHED_MODULES = (mnist, cifar10, cifar100, imdb, reuters, boston_housing,
                  california_housing)


class NoNetwork:
    """Stands in for urlretrieve: fails like a machine without network, or serves bytes."""

    def __init__(self, served=None):
        self.calls = []
        self.served = served or {}

    def __call__(self, url, filename, reporthook=None):
        self.calls.append(url)
        if url in self.served:
            with open(filename, "wb") as f:
                f.write(self.served[url])
            if reporthook is not None:
                reporthook(1, len(self.served[url]), len(self.served[url]))
            return filename, None
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


@pytest.fixture(autouse=True)
def net(monkeypatch):
    fake = NoNetwork()
    monkeypatch.setattr(file_utils, "_urlretrieve", fake)
    return fake


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A KERAS_HOME of our own; the tiny files' hashes are not Keras's, so the loaders'
    expected hashes are switched off (tests of the hash check set them explicitly)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    for module in HASHED_MODULES:
        monkeypatch.setattr(module, "_FILE_HASH", None)
    monkeypatch.setattr(imdb, "_WORD_INDEX_HASH", None)
    monkeypatch.setattr(reuters, "_WORD_INDEX_HASH", None)
    return str(tmp_path)


def ds(home, *parts):
    return os.path.join(home, "datasets", *parts)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Evil:
    """Pickles as a call to ``os.system`` that would create ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class EvilEval(Evil):
    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w')",))


# --------------------------------------------------------------------------- get_file

def test_get_file_uses_cached_file_without_download(home, net):
    path = ds(home, "data.bin")
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(b"cached")
    assert keras.utils.get_file("data.bin", origin="https://example.com/x/data.bin") == path
    assert file_utils.get_file(origin="https://example.com/x/data.bin") == path  # fname from URL
    assert net.calls == []


def test_get_file_argument_errors(home):
    with pytest.raises(ValueError, match="origin"):
        file_utils.get_file("a.npz")
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        file_utils.get_file(os.path.join("sub", "a.npz"), origin="https://example.com/a.npz")
    with pytest.raises(ValueError, match="Can't parse the file name"):
        file_utils.get_file(origin="https://example.com/")


def test_get_file_missing_without_network_names_file_url_and_place(home, net):
    url = "https://example.com/files/thing.npz"
    with pytest.raises(file_utils.DownloadError) as info:
        file_utils.get_file("thing.npz", origin=url)
    msg = str(info.value)
    assert msg.startswith(f"URL fetch failure on {url}:")
    assert "'thing.npz'" in msg and url in msg and ds(home, "thing.npz") in msg
    assert "KERAS_HOME" in msg
    assert isinstance(info.value, OSError) and net.calls == [url]
    assert os.listdir(ds(home)) == []  # no partial download left behind


def test_get_file_downloads_and_checks_sha256_and_md5(home, monkeypatch):
    url = "https://example.com/d/payload.txt"
    payload = b"hello datasets"
    monkeypatch.setattr(file_utils, "_urlretrieve", NoNetwork({url: payload}))
    good = hashlib.sha256(payload).hexdigest()
    path = file_utils.get_file("payload.txt", origin=url, file_hash=good)
    with open(path, "rb") as f:
        assert f.read() == payload
    os.remove(path)
    md5 = hashlib.md5(payload).hexdigest()
    assert file_utils.get_file("payload.txt", origin=url, md5_hash=md5) == path
    assert file_utils.validate_file(path, md5) and file_utils.validate_file(path, good)
    assert file_utils.hash_file(path) == good
    os.remove(path)
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected"):
        file_utils.get_file("payload.txt", origin=url, file_hash="0" * 64)
    assert os.listdir(ds(home)) == []  # the bad download is not kept


def test_get_file_stale_cached_file_is_kept_when_redownload_fails(home, capsys):
    path = ds(home, "old.bin")
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(b"stale")
    with pytest.raises(file_utils.DownloadError) as info:
        file_utils.get_file("old.bin", origin="https://example.com/old.bin",
                            file_hash="0" * 64)
    assert "does not match" in capsys.readouterr().out
    msg = str(info.value)
    assert path in msg and sha256(path) in msg and "0" * 64 in msg
    with open(path, "rb") as f:
        assert f.read() == b"stale"


def test_get_file_force_download_and_cache_dir(tmp_path, monkeypatch):
    url = "https://example.com/f.txt"
    monkeypatch.setattr(file_utils, "_urlretrieve", NoNetwork({url: b"new"}))
    target = tmp_path / "mycache" / "sub" / "f.txt"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"old")
    got = file_utils.get_file("f.txt", origin=url, cache_dir=str(tmp_path / "mycache"),
                              cache_subdir="sub")
    assert got == str(target) and target.read_bytes() == b"old"
    got = file_utils.get_file("f.txt", origin=url, cache_dir=str(tmp_path / "mycache"),
                              cache_subdir="sub", force_download=True)
    assert target.read_bytes() == b"new"
    absolute = tmp_path / "elsewhere"
    got = file_utils.get_file("f.txt", origin=url, cache_subdir=str(absolute),
                              cache_dir=str(tmp_path / "mycache"))
    assert got == str(absolute / "f.txt")


def test_keras_home_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert file_utils.keras_home() == str(tmp_path / "kh")
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert file_utils.keras_home() == str(tmp_path / ".keras")


def _tar_bytes(members, mode="w:gz"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_get_file_extract_names_as_keras(home):
    os.makedirs(ds(home), exist_ok=True)
    archive = _tar_bytes({"inner/a.txt": b"A"})
    # fname without a dot: stored as <fname>_archive, extracted into <fname>/
    with open(ds(home, "pack_archive"), "wb") as f:
        f.write(archive)
    out = file_utils.get_file("pack", origin="https://example.com/pack.tar.gz", extract=True)
    assert out == ds(home, "pack")
    with open(os.path.join(out, "inner", "a.txt"), "rb") as f:
        assert f.read() == b"A"
    # fname with a dot: stored under that name, extracted into <stem>_extracted/
    with open(ds(home, "other.tar.gz"), "wb") as f:
        f.write(archive)
    out = file_utils.get_file("other.tar.gz", origin="https://example.com/o.tgz", untar=True)
    assert out == ds(home, "other_extracted")
    assert os.path.isfile(os.path.join(out, "inner", "a.txt"))
    # zip, and no fname: named after the URL
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("z.txt", "Z")
    with open(ds(home, "z.zip_archive"), "wb") as f:
        f.write(buf.getvalue())
    out = file_utils.get_file(origin="https://example.com/z.zip", extract=True)
    assert out == ds(home, "z.zip") and os.path.isfile(os.path.join(out, "z.txt"))


def test_extract_archive_skips_members_outside_the_folder(tmp_path):
    archive = tmp_path / "bad.tar"
    archive.write_bytes(_tar_bytes({"../escape.txt": b"x", "ok.txt": b"y"}, mode="w"))
    with pytest.warns(UserWarning, match="Skipping invalid path"):
        assert file_utils.extract_archive(str(archive), str(tmp_path / "out"))
    assert (tmp_path / "out" / "ok.txt").exists()
    assert not (tmp_path / "escape.txt").exists()
    assert not file_utils.extract_archive(str(archive), str(tmp_path / "o2"), None)


# --------------------------------------------------------------------------- mnist

def test_mnist_reads_keras_npz(home):
    arrays = msf.write_mnist(home)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    for got, key in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"),
                     (y_test, "y_test")):
        assert got.dtype == np.uint8 and got.shape == arrays[key].shape
        np.testing.assert_array_equal(got, arrays[key])
    assert x_train.shape == (6, 28, 28) and y_test.shape == (4,)
    msf.write_mnist(home, name="other.npz", seed=9)
    (x2, _), _ = mnist.load_data(path="other.npz")
    np.testing.assert_array_equal(x2, msf.mnist_arrays(seed=9)["x_train"])


def test_mnist_hash_checked_as_keras(home, monkeypatch):
    msf.write_mnist(home)
    monkeypatch.setattr(mnist, "_FILE_HASH", sha256(ds(home, "mnist.npz")))
    mnist.load_data()
    monkeypatch.setattr(mnist, "_FILE_HASH", "1" * 64)
    with pytest.raises(file_utils.DownloadError, match="1111111111"):
        mnist.load_data()


def test_mnist_missing_file_message(home):
    with pytest.raises(file_utils.DownloadError) as info:
        mnist.load_data()
    msg = str(info.value)
    assert ORIGIN + "mnist.npz" in msg and ds(home, "mnist.npz") in msg
    assert "'mnist.npz'" in msg


def test_mnist_hostile_files(home):
    path = ds(home, "mnist.npz")
    msf.write_mnist(home)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(ValueError, match="mnist.npz"):
        mnist.load_data()
    arrays = msf.mnist_arrays()
    msf.write_npz(path, {k: v for k, v in arrays.items() if k != "y_test"})
    with pytest.raises(ValueError, match="no array named 'y_test'"):
        mnist.load_data()
    msf.write_npz(path, dict(arrays, x_train=arrays["x_train"].astype("float32")))
    with pytest.raises(ValueError, match="x has dtype float32, expected uint8"):
        mnist.load_data()
    msf.write_npz(path, dict(arrays, y_train=arrays["y_train"][:3]))
    with pytest.raises(ValueError, match="6 samples but y has 3"):
        mnist.load_data()
    msf.write_npz(path, dict(arrays, y_train=msf.object_array([[1]] * 6)))
    with pytest.raises(ValueError, match="object"):
        mnist.load_data()
    with open(path, "wb") as f:
        f.write(b"not a zip at all")
    with pytest.raises(ValueError, match="not a valid .npz"):
        mnist.load_data()


# --------------------------------------------------------------------------- fashion

def test_fashion_mnist_reads_gz_idx_files(home):
    arrays = msf.write_fashion_mnist(home)
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(x_test, arrays["x_test"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_train.dtype == y_test.dtype == np.uint8 and x_test.shape == (3, 28, 28)
    x_train[0, 0, 0] = 1  # writable (Keras's are read-only views)


def test_fashion_mnist_missing_and_hostile(home):
    with pytest.raises(file_utils.DownloadError) as info:
        fashion_mnist.load_data()
    assert ds(home, "fashion-mnist", "train-labels-idx1-ubyte.gz") in str(info.value)
    assert "t10k-images-idx3-ubyte.gz" in str(info.value)  # all four are listed
    msf.write_fashion_mnist(home)
    images = ds(home, "fashion-mnist", "train-images-idx3-ubyte.gz")
    with gzip.open(images, "rb") as f:
        raw = f.read()
    for bad, match in ((raw[:-5], "truncated"), (raw + b"\0", "data after"),
                       (struct.pack(">I", 2049) + raw[4:], "magic number"),
                       (raw[:4] + struct.pack(">I", 4) + raw[8:-784], "expected \\(5, 28, 28\\)")):
        with gzip.open(images, "wb") as f:
            f.write(bad)
        with pytest.raises(ValueError, match=match):
            fashion_mnist.load_data()
    with open(images, "wb") as f:
        f.write(b"\x1f\x8b garbage")
    with pytest.raises(ValueError, match="not a readable gzip"):
        fashion_mnist.load_data()


# --------------------------------------------------------------------------- cifar

def _expected_cifar(batches, names, key="labels"):
    data = np.concatenate([batches[n][b"data"] for n in names])
    labels = sum((batches[n][key.encode()] for n in names), [])
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), np.array(labels)[:, None]


@pytest.mark.parametrize("layout", ["keras3", "keras2", "archive"])
def test_cifar10_layouts(home, layout):
    batches = msf.write_cifar10(home, layout=layout)
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    ex, ey = _expected_cifar(batches, [f"data_batch_{i}" for i in range(1, 6)])
    np.testing.assert_array_equal(x_train, ex)
    np.testing.assert_array_equal(y_train, ey)
    tx, ty = _expected_cifar(batches, ["test_batch"])
    np.testing.assert_array_equal(x_test, tx)
    np.testing.assert_array_equal(y_test, ty)
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1)
    assert x_train.dtype == x_test.dtype == y_train.dtype == y_test.dtype == np.uint8
    if layout == "archive":  # extracted where Keras 3 extracts it
        assert os.path.isfile(ds(home, "cifar-10-batches-py-target", "cifar-10-batches-py",
                                 "test_batch"))


def test_cifar100_label_modes(home):
    batches = msf.write_cifar100(home)
    for mode in ("fine", "coarse"):
        (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=mode)
        ex, ey = _expected_cifar(batches, ["train"], f"{mode}_labels")
        np.testing.assert_array_equal(x_train, ex)
        np.testing.assert_array_equal(y_train, ey)
        tx, ty = _expected_cifar(batches, ["test"], f"{mode}_labels")
        np.testing.assert_array_equal(x_test, tx)
        np.testing.assert_array_equal(y_test, ty)
        assert y_train.dtype == y_test.dtype == np.int64  # as Keras (CIFAR-10's are uint8)
        assert x_train.dtype == np.uint8 and y_test.shape == (3, 1)
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


def test_cifar_missing_message(home):
    with pytest.raises(file_utils.DownloadError) as info:
        cifar10.load_data()
    msg = str(info.value)
    assert "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in msg
    assert ds(home, "cifar-10-batches-py-target_archive") in msg
    assert ds(home, "cifar-10-batches-py-target", "cifar-10-batches-py") in msg
    assert ds(home, "cifar-10-batches-py") in msg and "data_batch_5" in msg
    with pytest.raises(file_utils.DownloadError, match="cifar-100-python.tar.gz"):
        cifar100.load_data()


def _write_cifar10_batch(home, name, payload: bytes):
    msf.write_cifar10(home)
    path = ds(home, "cifar-10-batches-py-target", "cifar-10-batches-py", name)
    with open(path, "wb") as f:
        f.write(payload)
    return path


def test_cifar_refuses_pickles_naming_other_globals(home, tmp_path):
    marker = tmp_path / "pwned"
    for evil in (Evil(marker), EvilEval(marker)):
        batch = {b"data": np.zeros((1, 3072), np.uint8), b"labels": [evil]}
        path = _write_cifar10_batch(home, "data_batch_2", msf.py2_pickle(batch))
        with pytest.raises(_safe_pickle.UnsafePickleError, match="data_batch_2") as info:
            cifar10.load_data()
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, pickle.UnpicklingError)
        assert ("system" in str(info.value)) or ("eval" in str(info.value))
        assert not marker.exists() and path
    # Python 3's protocol-2 pickles write bytes through _codecs.encode: refused too (as Keras).
    _write_cifar10_batch(home, "test_batch",
                         pickle.dumps({b"data": np.zeros((1, 3072), np.uint8),
                                       b"labels": [1]}, protocol=2))
    with pytest.raises(_safe_pickle.UnsafePickleError, match="_codecs.encode"):
        cifar10.load_data()


@pytest.mark.parametrize("batch,match", [
    ({b"data": np.zeros((2, 3072), np.float32), b"labels": [1, 2]}, "uint8 array"),
    ({b"data": np.zeros((2, 100), np.uint8), b"labels": [1, 2]}, r"\(n, 3072\)"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1]}, "2 integer labels"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1, 10]}, r"outside \[0, 10\)"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1, "x"]}, "integer labels"),
    ({b"labels": [1]}, "no 'data'"),
    ([1, 2, 3], "not a dict"),
])
def test_cifar_malformed_batches(home, batch, match):
    _write_cifar10_batch(home, "data_batch_1", msf.py2_pickle(batch))
    with pytest.raises(ValueError, match=match):
        cifar10.load_data()


def test_cifar_truncated_batch(home):
    good = msf.py2_pickle({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1, 2]})
    path = _write_cifar10_batch(home, "data_batch_3", good[:-100])
    with pytest.raises(ValueError, match="data_batch_3") as info:
        cifar10.load_data()
    assert path in str(info.value)


# --------------------------------------------------------------------------- imdb

# Real Keras 3.15 on msf.write_imdb's file (see the module docstring).
IMDB_DEFAULT = (
    [[1, 31, 12, 15, 27, 21, 25, 24, 10, 28], [1, 6, 18, 6, 10, 31],
     [1, 26, 7, 16, 23, 14, 8, 20], [1, 18, 17, 6, 7, 22], [1, 23, 18, 19, 17, 17, 2],
     [1, 8, 10, 20, 19], [1, 29, 14, 29, 28, 30, 25, 26, 13], [1, 11]],
    [0, 0, 0, 0, 1, 0, 0, 1],
    [[1, 8, 19, 18, 19, 27], [1, 16, 7, 18, 10, 16, 29, 21, 2, 24],
     [1, 11, 18, 23, 31, 17, 11, 22], [1, 29, 25], [1, 8, 2, 5], [1, 19]],
    [0, 1, 0, 1, 0, 0])
IMDB_CASES = [
    ({}, IMDB_DEFAULT),
    ({"num_words": 20, "skip_top": 5}, (
        [[2, 2, 12, 15, 2, 2, 2, 2, 10, 2], [2, 6, 18, 6, 10, 2], [2, 2, 7, 16, 2, 14, 8, 2],
         [2, 18, 17, 6, 7, 2], [2, 2, 18, 19, 17, 17, 2], [2, 8, 10, 2, 19],
         [2, 2, 14, 2, 2, 2, 2, 2, 13], [2, 11]],
        [0, 0, 0, 0, 1, 0, 0, 1],
        [[2, 8, 19, 18, 19, 2], [2, 16, 7, 18, 10, 16, 2, 2, 2, 2],
         [2, 11, 18, 2, 2, 17, 11, 2], [2, 2, 2], [2, 8, 2, 5], [2, 19]],
        [0, 1, 0, 1, 0, 0])),
    ({"maxlen": 7}, (
        [[1, 6, 18, 6, 10, 31], [1, 18, 17, 6, 7, 22], [1, 8, 10, 20, 19], [1, 11]],
        [0, 0, 0, 1],
        [[1, 8, 19, 18, 19, 27], [1, 29, 25], [1, 8, 2, 5], [1, 19]],
        [0, 1, 0, 0])),
    ({"seed": 7}, (
        [[1, 8, 10, 20, 19], [1, 11], [1, 18, 17, 6, 7, 22], [1, 26, 7, 16, 23, 14, 8, 20],
         [1, 6, 18, 6, 10, 31], [1, 31, 12, 15, 27, 21, 25, 24, 10, 28],
         [1, 29, 14, 29, 28, 30, 25, 26, 13], [1, 23, 18, 19, 17, 17, 2]],
        [0, 1, 0, 0, 0, 0, 0, 1],
        [[1, 11, 18, 23, 31, 17, 11, 22], [1, 19], [1, 16, 7, 18, 10, 16, 29, 21, 2, 24],
         [1, 8, 19, 18, 19, 27], [1, 29, 25], [1, 8, 2, 5]],
        [0, 0, 1, 0, 1, 0])),
    ({"oov_char": None, "num_words": 15}, (
        [[1, 12, 10], [1, 6, 6, 10], [1, 7, 14, 8], [1, 6, 7], [1], [1, 8, 10], [1, 14, 13],
         [1, 11]],
        [0, 0, 0, 0, 1, 0, 0, 1],
        [[1, 8], [1, 7, 10], [1, 11, 11], [1], [1, 8, 5], [1]],
        [0, 1, 0, 1, 0, 0])),
    ({"start_char": None, "index_from": 0}, (
        [[28, 9, 12, 24, 18, 22, 21, 7, 25], [3, 15, 3, 7, 28], [23, 4, 13, 20, 11, 5, 17],
         [15, 14, 3, 4, 19], [20, 15, 16, 14, 14, 2], [5, 7, 17, 16],
         [26, 11, 26, 25, 27, 22, 23, 10], [8]],
        [0, 0, 0, 0, 1, 0, 0, 1],
        [[5, 16, 15, 16, 24], [13, 4, 15, 7, 13, 26, 18, 2, 21], [8, 15, 20, 28, 14, 8, 19],
         [26, 22], [5, 2, 2], [16]],
        [0, 1, 0, 1, 0, 0])),
    ({"start_char": 9, "oov_char": 4, "index_from": 10, "num_words": 30}, (
        [[9, 4, 19, 22, 4, 28, 4, 4, 17, 4], [9, 13, 25, 13, 17, 4], [9, 4, 14, 23, 4, 21, 15, 27],
         [9, 25, 24, 13, 14, 29], [9, 4, 25, 26, 24, 24, 4], [9, 15, 17, 27, 26],
         [9, 4, 21, 4, 4, 4, 4, 4, 20], [9, 18]],
        [0, 0, 0, 0, 1, 0, 0, 1],
        [[9, 15, 26, 25, 26, 4], [9, 23, 14, 25, 17, 23, 4, 28, 4, 4],
         [9, 18, 25, 4, 4, 24, 18, 29], [9, 4, 4], [9, 15, 4, 12], [9, 26]],
        [0, 1, 0, 1, 0, 0])),
    ({"maxlen": 5, "num_words": 10, "seed": 0}, (
        [[1, 2]], [1], [[1, 2, 2], [1, 8, 2, 5], [1, 2]], [1, 0, 0])),
]


def _check_sequences(result, expected):
    (x_train, y_train), (x_test, y_test) = result
    for got, want in ((x_train, expected[0]), (x_test, expected[2])):
        # Keras builds x with np.array(list_of_lists, dtype="object"): equal-length
        # sequences (here: a single one) give a 2-D object array, as in Keras.
        assert got.dtype == object and got.shape == np.array(want, dtype=object).shape
        if got.ndim == 1:
            assert [type(s) for s in got] == [list] * len(want)
        assert all(type(w) is int for s in got for w in s)
        assert got.tolist() == want
    for got, want in ((y_train, expected[1]), (y_test, expected[3])):
        assert got.dtype == np.int64 and got.tolist() == want


@pytest.mark.parametrize("kwargs,expected", IMDB_CASES)
def test_imdb_matches_keras(home, kwargs, expected):
    msf.write_imdb(home)
    _check_sequences(keras.datasets.imdb.load_data(**kwargs), expected)


def test_imdb_arguments(home):
    arrays = msf.write_imdb(home)
    # The un-shuffled file content, shifted: index_from, start_char.
    raw = sorted(tuple(s) for s in arrays["x_train"])
    top = max(max(s) for s in list(arrays["x_train"]) + list(arrays["x_test"]))
    (x, _), _ = imdb.load_data(start_char=None, index_from=0)
    # Without num_words the bound is the largest index, which becomes oov_char (Keras).
    assert sorted(tuple(s) for s in x) == sorted(tuple(w if w < top else 2 for w in s)
                                                 for s in raw)
    (x, _), _ = imdb.load_data(num_words=1000)
    assert sorted(tuple(s[1:]) for s in x) == [tuple(w + 3 for w in s) for s in raw]
    (x, _), _ = imdb.load_data(skip_top=10, num_words=20, oov_char=None)
    assert all(10 <= w < 20 for s in x for w in s)
    (x, _), (xt, _) = imdb.load_data(maxlen=6)
    assert all(len(s) < 6 for s in list(x) + list(xt))
    # Extra keyword arguments are accepted and ignored, as Keras 3.
    _check_sequences(imdb.load_data(nb_words=3), IMDB_DEFAULT)
    with pytest.raises(ValueError, match="no sequence was kept"):
        imdb.load_data(maxlen=2)


def test_imdb_word_index(home):
    msf.write_word_index(home, "imdb_word_index.json")
    assert keras.datasets.imdb.get_word_index() == msf.WORD_INDEX
    with open(ds(home, "imdb_word_index.json"), "w") as f:
        f.write("[1, 2")
    with pytest.raises(ValueError, match="imdb_word_index.json"):
        imdb.get_word_index()
    with open(ds(home, "imdb_word_index.json"), "w") as f:
        f.write('{"a": "b"}')
    with pytest.raises(ValueError, match="not a word index"):
        imdb.get_word_index()


def test_imdb_word_index_missing_message(home):
    with pytest.raises(file_utils.DownloadError) as info:
        imdb.get_word_index()
    assert ORIGIN + "imdb_word_index.json" in str(info.value)
    assert ds(home, "imdb_word_index.json") in str(info.value)


def _evil_npz(path, evil_item, old_names=True):
    arrays = msf.imdb_arrays()
    x = msf.object_array([[1, 2], [3]])
    x[1] = evil_item
    msf.write_npz(path, dict(arrays, x_train=x, y_train=np.array([0, 1])),
                  old_numpy_names=old_names)


@pytest.mark.parametrize("evil_cls", [Evil, EvilEval])
def test_imdb_refuses_pickles_naming_other_globals(home, tmp_path, evil_cls):
    marker = tmp_path / "pwned"
    os.makedirs(ds(home), exist_ok=True)
    _evil_npz(ds(home, "imdb.npz"), evil_cls(marker))
    with pytest.raises(_safe_pickle.UnsafePickleError) as info:
        imdb.load_data()
    msg = str(info.value)
    assert "imdb.npz" in msg and "x_train" in msg and "nothing from the file was run" in msg
    assert ("posix.system" in msg) or ("builtins.eval" in msg)
    assert not marker.exists()


def test_imdb_hostile_files(home):
    path = ds(home, "imdb.npz")
    arrays = msf.write_imdb(home)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:-200])
    with pytest.raises(ValueError, match="imdb.npz"):
        imdb.load_data()
    msf.write_npz(path, dict(arrays, y_train=arrays["y_train"][:5]))
    with pytest.raises(ValueError, match="8 sequences but y has 5"):
        imdb.load_data()
    msf.write_npz(path, dict(arrays, x_train=msf.object_array([[1, "a"]] * 8)))
    with pytest.raises(ValueError, match="other than integers"):
        imdb.load_data()
    msf.write_npz(path, dict(arrays, y_test=arrays["y_test"].astype("float64")))
    with pytest.raises(ValueError, match="1-D integer labels"):
        imdb.load_data()
    msf.write_npz(path, {"x": arrays["x_train"]})
    with pytest.raises(ValueError, match="no array named"):
        imdb.load_data()
    # The .npy header and the pickle disagree on the shape.
    x = msf.npy_bytes(arrays["x_train"]).replace(b"(8,)", b"(9,)")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x_train.npy", x)
        for k in ("y_train", "x_test", "y_test"):
            zf.writestr(k + ".npy", msf.npy_bytes(arrays[k]))
    with pytest.raises(ValueError, match=r"header says shape \(9,\)"):
        imdb.load_data()


# --------------------------------------------------------------------------- reuters

REUTERS_CASES = [
    ({}, (
        [[1, 2, 39, 35, 22, 29, 41, 39, 14, 21], [1, 11, 20], [1, 32, 23, 11, 2, 25, 34],
         [1, 35], [1, 9, 34, 12, 5], [1, 4, 31, 8, 31], [1, 6, 27],
         [1, 21, 41, 6, 14, 33, 23, 27, 26, 9, 37], [1, 11, 29, 31, 16, 14, 26, 34, 23, 9, 28]],
        [6, 31, 39, 36, 45, 24, 28, 18, 38],
        [[1, 30, 23, 9, 23], [1, 11], [1, 32, 34, 8, 15, 21, 12, 41, 19, 13]],
        [1, 14, 37])),
    ({"test_split": 0.5}, (
        [[1, 2, 39, 35, 22, 29, 41, 39, 14, 21], [1, 11, 20], [1, 32, 23, 11, 2, 25, 34],
         [1, 35], [1, 9, 34, 12, 5], [1, 4, 31, 8, 31]],
        [6, 31, 39, 36, 45, 24],
        [[1, 6, 27], [1, 21, 41, 6, 14, 33, 23, 27, 26, 9, 37],
         [1, 11, 29, 31, 16, 14, 26, 34, 23, 9, 28], [1, 30, 23, 9, 23], [1, 11],
         [1, 32, 34, 8, 15, 21, 12, 41, 19, 13]],
        [28, 18, 38, 1, 14, 37])),
    ({"maxlen": 6}, (
        [[1, 11, 20], [1, 2], [1, 9, 34, 12, 5], [1, 4, 31, 8, 31], [1, 6, 27]],
        [31, 36, 45, 24, 28],
        [[1, 30, 23, 9, 23], [1, 11]],
        [1, 14])),
    ({"num_words": 20, "skip_top": 4}, (
        [[2, 2, 2, 2, 2, 2, 2, 2, 14, 2], [2, 11, 2], [2, 2, 2, 11, 2, 2, 2], [2, 2],
         [2, 9, 2, 12, 5], [2, 4, 2, 8, 2], [2, 6, 2], [2, 2, 2, 6, 14, 2, 2, 2, 2, 9, 2],
         [2, 11, 2, 2, 16, 14, 2, 2, 2, 9, 2]],
        [6, 31, 39, 36, 45, 24, 28, 18, 38],
        [[2, 2, 2, 9, 2], [2, 11], [2, 2, 2, 8, 15, 2, 12, 2, 19, 13]],
        [1, 14, 37])),
    ({"maxlen": 6, "test_split": 0.25, "seed": 3, "start_char": None, "index_from": 0,
      "num_words": 30, "oov_char": None}, (
        [[6, 9, 2], [8], [3, 24], [1, 28, 5, 28], [8, 17]],
        [45, 14, 28, 24, 31],
        [[], [27, 20, 6, 20]],
        [36, 1])),
]


@pytest.mark.parametrize("kwargs,expected", REUTERS_CASES)
def test_reuters_matches_keras(home, kwargs, expected):
    msf.write_reuters(home)  # written with numpy 2's global names (imdb: numpy 1's)
    _check_sequences(keras.datasets.reuters.load_data(**kwargs), expected)


def test_reuters_test_split_zero_and_names(home):
    msf.write_reuters(home)
    (x, y), (xt, yt) = reuters.load_data(test_split=0.0)
    assert x.shape == (12,) and xt.shape == (0,) and yt.shape == (0,)
    names = reuters.get_label_names()
    assert isinstance(names, tuple) and len(names) == 46
    assert names[:4] == ("cocoa", "grain", "veg-oil", "earn") and names[-1] == "lead"
    index = msf.write_word_index(home, "reuters_word_index.json", {"said": 1, "mln": 2})
    assert reuters.get_word_index() == index


def test_reuters_refuses_evil_pickle(home, tmp_path):
    marker = tmp_path / "pwned"
    os.makedirs(ds(home), exist_ok=True)
    x = msf.object_array([[1, 2], [3]])
    x[0] = Evil(marker)
    msf.write_npz(ds(home, "reuters.npz"), {"x": x, "y": np.array([1, 2])},
                  old_numpy_names=False)
    with pytest.raises(_safe_pickle.UnsafePickleError, match="reuters.npz"):
        reuters.load_data()
    assert not marker.exists()


# --------------------------------------------------------------------------- housing

def _split(arrays, test_split, seed, limit=None):
    x, y = arrays["x"][:limit], arrays["y"][:limit]
    idx = np.arange(len(x))
    np.random.RandomState(seed).shuffle(idx)
    cut = int(len(x) * (1 - test_split))
    return x[idx][:cut], y[idx][:cut], x[idx][cut:], y[idx][cut:]


@pytest.mark.parametrize("test_split,seed", [(0.2, 113), (0.5, 3), (0.0, 1)])
def test_boston_housing(home, test_split, seed):
    arrays = msf.write_boston(home)
    (x, y), (xt, yt) = keras.datasets.boston_housing.load_data(test_split=test_split,
                                                               seed=seed)
    for got, want in zip((x, y, xt, yt), _split(arrays, test_split, seed)):
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, want)
    assert x.shape == (int(11 * (1 - test_split)), 13)


def test_california_housing_versions(home):
    arrays = msf.write_california(home)
    (x, y), (xt, yt) = keras.datasets.california_housing.load_data()
    assert x.shape == (488, 8) and xt.shape == (122, 8) and x.dtype == np.float32
    for got, want in zip((x, y, xt, yt), _split(arrays, 0.2, 113)):
        np.testing.assert_array_equal(got, want)
    (x, y), (xt, yt) = california_housing.load_data(version="small", test_split=0.3, seed=5)
    assert len(x) + len(xt) == 600
    for got, want in zip((x, y, xt, yt), _split(arrays, 0.3, 5, limit=600)):
        np.testing.assert_array_equal(got, want)


def test_housing_argument_and_file_errors(home):
    with pytest.raises(ValueError, match="Invalid `test_split`"):
        boston_housing.load_data(test_split=1.0)
    with pytest.raises(ValueError, match="Invalid `test_split`"):
        california_housing.load_data(test_split=-0.1)
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version="medium")
    with pytest.raises(file_utils.DownloadError, match="boston_housing.npz"):
        boston_housing.load_data()
    os.makedirs(ds(home), exist_ok=True)
    msf.write_npz(ds(home, "boston_housing.npz"), {"x": np.zeros(5), "y": np.zeros(5)})
    with pytest.raises(ValueError, match="expected 2 dimension"):
        boston_housing.load_data()
    msf.write_npz(ds(home, "california_housing.npz"),
                  {"x": np.zeros((4, 8)), "y": np.array(list("abcd"))})
    with pytest.raises(ValueError, match="not numeric"):
        california_housing.load_data()


# --------------------------------------------------------------------------- unpickler

def _load(payload: bytes, encoding="ASCII"):
    return _safe_pickle.load_pickle(io.BytesIO(payload), "test.pkl", encoding=encoding)


def test_restricted_unpickler_reads_numpy_arrays_both_spellings():
    arr = np.arange(12, dtype=">i4").reshape(3, 4)
    for numpy1_names in (True, False):
        data = pickle.dumps({"a": [np.asfortranarray(arr), 3], b"k": b"v"}, protocol=3)
        if numpy1_names:
            data = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
        got = _load(data)
        np.testing.assert_array_equal(got["a"][0], arr)
        assert got["a"][0].dtype == np.dtype(">i4") and got["a"][0].flags.f_contiguous
        assert got["a"][1] == 3 and got[b"k"] == b"v"
        got["a"][0][0, 0] = 5  # writable


@pytest.mark.parametrize("payload,match", [
    (b"cposix\nsystem\n(S'touch x'\ntR.", "posix.system"),
    (b"cbuiltins\neval\n(S'1'\ntR.", "builtins.eval"),
    (b"cnumpy\nndarray\n(K\x01tR.", "not callable|TypeError"),  # only _reconstruct may use it
    (b"cnumpy.core.multiarray\n_reconstruct\n(cbuiltins\nobject\n", "builtins.object"),
    (b"\x80\x02P0\n.", "persistent id"),
    (b"\x80\x02\x82\x01.", "extension|readable"),
    (b"\x80\x02]q\x00(K\x01K\x02", "not a readable pickle"),  # truncated
    (b"\x80\x02G?\xf0\x00\x00\x00\x00\x00\x00.", "unexpected value of type float"),
])
def test_restricted_unpickler_refuses(payload, match):
    with pytest.raises(ValueError, match=match):
        _load(payload)


def test_restricted_unpickler_checks_array_pieces():
    good = pickle.dumps(np.zeros((2, 2), np.uint8), protocol=3)
    # Data shorter than the shape says: refused before any allocation of that size.
    huge = good.replace(b"K\x02K\x02\x86", b"J\x00\x00\x00\x40J\x00\x00\x00\x40\x86")
    with pytest.raises(ValueError, match="needs"):
        _load(huge)
    structured = pickle.dumps(np.zeros(2, dtype=[("a", "i4")]), protocol=3)
    with pytest.raises(ValueError, match="dtype"):
        _load(structured)
    strings = pickle.dumps(np.array(["ab"]), protocol=3)
    with pytest.raises(ValueError, match="unsupported dtype"):
        _load(strings)
    obj = pickle.dumps(np.array([[1], [2, 3]], dtype=object), protocol=3)
    got = _load(obj)
    assert got.dtype == object and got.tolist() == [[1], [2, 3]]
