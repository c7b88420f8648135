"""keras.utils data helpers (pad_sequences, normalize, timeseries_dataset_from_array,
split_dataset, image_dataset_from_directory) against Keras 3.15's outputs.

The expected values were produced by real Keras 3.15 / TensorFlow 2.21 with
tests/fixtures/keras_utils/make_reference.py (stored in reference.json beside it); that
script also defines the inputs, which these tests import, so both sides see the same
arrays and image files. Keras is not needed here.
"""

from __future__ import annotations

import importlib.util
import re
import json
import os
import sys
from pathlib import Path
from typing import Any, List

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras

FIXTURES = Path(__file__).parent / "fixtures" / "keras_utils"
REF = json.loads((FIXTURES / "reference.json").read_text())
_spec = importlib.util.spec_from_file_location("keras_utils_reference",
                                               FIXTURES / "make_reference.py")
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)  # type: ignore[union-attr]

# Keras yields uint8 images for interpolation="nearest"; tapeflow has no uint8 and
# yields float32 images with the same values.
_DTYPE_SUBST = {"uint8": "float32"}


def _names(items: List[dict]) -> List[str]:
    return [c["name"] for c in items]


def _by_name(items: List[dict], name: str) -> dict:
    return next(c for c in items if c["name"] == name)


def assert_array(got: Any, ref: dict, atol: float = 1e-4) -> None:
    a = got.numpy() if isinstance(got, tf.Tensor) else np.asarray(got)
    assert str(a.dtype) == _DTYPE_SUBST.get(ref["dtype"], ref["dtype"])
    assert list(a.shape) == ref["shape"]
    expected = np.asarray(ref["data"], dtype="float64").reshape(ref["shape"])
    np.testing.assert_allclose(a.astype("float64"), expected, rtol=0, atol=atol)


def assert_tree(got: Any, ref: Any, atol: float = 1e-4) -> None:
    if isinstance(ref, list):
        assert isinstance(got, (tuple, list)) and len(got) == len(ref)
        for g, r in zip(got, ref):
            assert_tree(g, r, atol)
    elif "dtype" in ref and "data" in ref:
        assert_array(got, ref, atol)
    else:
        assert sorted(got) == sorted(ref)
        for k in ref:
            assert_tree(got[k], ref[k], atol)


def spec_tree(spec: Any) -> Any:
    if isinstance(spec, (tuple, list)):
        return [spec_tree(s) for s in spec]
    if isinstance(spec, dict):
        return {k: spec_tree(v) for k, v in sorted(spec.items())}
    return {"shape": list(spec.shape.as_list()), "dtype": spec.dtype.name}


def ref_spec(ref: Any) -> Any:
    if isinstance(ref, list):
        return [ref_spec(r) for r in ref]
    if "dtype" in ref and "shape" in ref:
        dtype = _DTYPE_SUBST.get(ref["dtype"], ref["dtype"])
        return {"shape": ref["shape"], "dtype": dtype}
    return {k: ref_spec(v) for k, v in ref.items()}


def assert_dataset(ds: Any, ref: dict, atol: float = 1e-4) -> None:
    assert int(ds.cardinality()) == ref["cardinality"]
    assert spec_tree(ds.element_spec) == ref_spec(ref["spec"])
    got = list(ds)
    assert len(got) == len(ref["elements"])
    for g, r in zip(got, ref["elements"]):
        assert_tree(g, r, atol)


def samples(elements: List[Any], batched: bool) -> List[List[np.ndarray]]:
    """Elements (Keras's as JSON, or tapeflow's as Tensors) as per-sample lists of
    float64 arrays."""
    out = []
    for e in elements:
        parts = e if isinstance(e, (list, tuple)) else [e]
        arrays = [np.asarray(p["data"], "float64").reshape(p["shape"])
                  if isinstance(p, dict) else p.numpy().astype("float64") for p in parts]
        if batched:
            out += [[a[i] for a in arrays] for i in range(len(arrays[0]))]
        else:
            out.append(arrays)
    return out


def assert_same_multiset(got: List[List[np.ndarray]], ref: List[List[np.ndarray]],
                         atol: float = 1e-3) -> None:
    assert len(got) == len(ref)
    left = list(got)
    for r in ref:
        for i, g in enumerate(left):
            if all(x.shape == y.shape and np.allclose(x, y, atol=atol)
                   for x, y in zip(g, r)):
                del left[i]
                break
        else:
            raise AssertionError(f"no tapeflow element matches Keras's {r}")


def raises_like(ref: dict, root: str = ""):
    err = {"ValueError": ValueError, "TypeError": TypeError}[ref["error"]]
    message = ref["message"].replace("<ROOT>", root)
    return pytest.raises(err, match="^" + re.escape(message) + "$")


# ---------------------------------------------------------------------------------
# pad_sequences
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(cases.PAD_CASES))
def test_pad_sequences_matches_keras(name):
    case, ref = _by_name(cases.PAD_CASES, name), REF["pad_sequences"][name]
    if "error" in ref:
        with raises_like(ref):
            keras.utils.pad_sequences(case["seqs"], **case["kw"])
    else:
        assert_array(keras.utils.pad_sequences(case["seqs"], **case["kw"]), ref, atol=0)


def test_pad_sequences_object_dtype_and_errors():
    out = keras.utils.pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>")
    assert out.tolist() == [["<pad>", "a"], ["b", "c"]]
    with pytest.raises(ValueError, match="must be iterable"):
        keras.utils.pad_sequences(iter([[1]]))


# ---------------------------------------------------------------------------------
# normalize
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(cases.NORMALIZE_CASES))
def test_normalize_numpy_matches_keras(name):
    case, ref = _by_name(cases.NORMALIZE_CASES, name), REF["normalize"][name]
    x = np.array(case["x"], case["dtype"])
    if "error" in ref:
        with raises_like(ref):
            keras.utils.normalize(x, **case["kw"])
    else:
        out = keras.utils.normalize(x, **case["kw"])
        assert isinstance(out, np.ndarray)
        assert_array(out, ref, atol=1e-5)


@pytest.mark.parametrize("name", _names(cases.NORMALIZE_TENSOR_CASES))
def test_normalize_tensor_matches_keras_ops(name):
    case, ref = _by_name(cases.NORMALIZE_TENSOR_CASES, name), REF["normalize"][name]
    x = tf.constant(np.array(case["x"], "float32"))
    if "error" in ref:
        with raises_like(ref):
            keras.utils.normalize(x, **case["kw"])
    else:
        out = keras.utils.normalize(x, **case["kw"])
        assert isinstance(out, tf.Tensor)
        assert_array(out, ref, atol=1e-5)


def test_normalize_list_and_matrix_norm_follow_keras_ops():
    out = keras.utils.normalize([[3.0, 4.0]])
    assert isinstance(out, tf.Tensor)
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8]], atol=1e-6)
    m = tf.constant([[3.0, 4.0], [1.0, 1.0]])
    # Keras: [[0.57735026, 0.76980036], [0.19245009, 0.19245009]] and the 1-norm.
    np.testing.assert_allclose(keras.utils.normalize(m, axis=None).numpy(),
                               [[0.57735026, 0.76980036], [0.19245009, 0.19245009]],
                               atol=1e-6)
    np.testing.assert_allclose(keras.utils.normalize(m, axis=None, order=1).numpy(),
                               [[0.6, 0.8], [0.2, 0.2]], atol=1e-6)
    with pytest.raises(ValueError, match=r"Invalid `ord` argument for matrix norm. "
                                         r"Received: ord=3"):
        keras.utils.normalize(m, axis=None, order=3)
    ints = keras.utils.normalize(tf.constant([[3, 4]]), order=1)  # Keras: float32
    assert ints.dtype == tf.float32
    np.testing.assert_allclose(ints.numpy(), [[3 / 7, 4 / 7]], atol=1e-6)


# ---------------------------------------------------------------------------------
# timeseries_dataset_from_array
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(cases.TIMESERIES_CASES))
def test_timeseries_dataset_matches_keras(name):
    case, ref = _by_name(cases.TIMESERIES_CASES, name), REF["timeseries"][name]
    data, targets = cases.timeseries_inputs(case["in"])
    if "error" in ref:
        with raises_like(ref):
            keras.utils.timeseries_dataset_from_array(data, targets, **case["kw"])
        return
    ds = keras.utils.timeseries_dataset_from_array(data, targets, **case["kw"])
    if not case["kw"].get("shuffle"):
        assert_dataset(ds, ref, atol=0)
        return
    # Shuffled: Keras's start positions are permuted by NumPy (reproduced), then a
    # seeded tf.data shuffle buffer reorders the windows (tapeflow's RNG differs).
    assert int(ds.cardinality()) == ref["cardinality"]
    assert spec_tree(ds.element_spec) == ref_spec(ref["spec"])
    got = list(ds)
    assert [len(b[0]) for b in got] == [r[0]["shape"][0] for r in ref["elements"]]
    assert_same_multiset(samples(got, True), samples(ref["elements"], True), atol=0)


def test_timeseries_accepts_tensors_and_rejects_grain():
    data = tf.constant(np.arange(12, dtype="float32").reshape(6, 2))
    ds = keras.utils.timeseries_dataset_from_array(data, None, sequence_length=4,
                                                   batch_size=None)
    assert ds.element_spec == tf.TensorSpec((None, 2), tf.float32)
    assert [w.numpy()[0, 0] for w in ds] == [0.0, 2.0, 4.0]
    with pytest.raises(NotImplementedError, match="grain"):
        keras.utils.timeseries_dataset_from_array(data, None, 2, format="grain")
    with pytest.raises(ValueError, match='`format` should be either "tf" or "grain"'):
        keras.utils.timeseries_dataset_from_array(data, None, 2, format="np")


def test_timeseries_targets_too_short_after_start_index_fail_when_iterated():
    # Keras counts windows against len(targets), not len(targets) - start_index: TF's
    # gather then fails while iterating.
    ds = keras.utils.timeseries_dataset_from_array(np.arange(10.0), np.arange(6.0), 2,
                                                   start_index=4, batch_size=None)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in"):
        list(ds)


# ---------------------------------------------------------------------------------
# split_dataset
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(cases.SPLIT_CASES))
def test_split_dataset_matches_keras(name):
    case, ref = _by_name(cases.SPLIT_CASES, name), REF["split"][name]
    dataset = cases.split_input(case["in"], tf)
    if "error" in ref:
        with raises_like(ref):
            keras.utils.split_dataset(dataset, **case["kw"])
        return
    left, right = keras.utils.split_dataset(dataset, **case["kw"])
    assert_dataset(left, ref["left"], atol=0)
    assert_dataset(right, ref["right"], atol=0)


def test_split_dataset_leaves_pythons_global_random_alone_and_rejects_torch():
    import random

    random.seed(5)
    expected = random.random()
    random.seed(5)
    keras.utils.split_dataset(np.arange(10), left_size=3, shuffle=True, seed=1)
    assert random.random() == expected
    with pytest.raises(NotImplementedError, match="torch"):
        keras.utils.split_dataset(np.arange(10), left_size=3, preferred_backend="torch")


def test_split_dataset_of_a_timeseries_dataset_rebatches():
    ds = keras.utils.timeseries_dataset_from_array(np.arange(10), None, 3, batch_size=4)
    left, right = keras.utils.split_dataset(ds, left_size=5)
    assert [b.shape[0] for b in left] == [4, 1] and [b.shape[0] for b in right] == [3]
    np.testing.assert_array_equal(next(iter(right)).numpy()[:, 0], [5, 6, 7])


# ---------------------------------------------------------------------------------
# image_dataset_from_directory
# ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def image_root(tmp_path_factory):
    pytest.importorskip("PIL")
    root = str(tmp_path_factory.mktemp("images") / "imgs")
    cases.build_image_tree(root)
    return root


def _check_images(ds_or_list: Any, ref: dict, root: str, shuffled: bool,
                  atol: float = 1e-3) -> None:
    sets = ds_or_list if isinstance(ds_or_list, list) else [ds_or_list]
    assert isinstance(ds_or_list, list) == ref["is_list"]
    assert len(sets) == len(ref["datasets"])
    for i, (ds, r) in enumerate(zip(sets, ref["datasets"])):
        assert ds.class_names == r["class_names"]
        assert [os.path.relpath(p, root).replace(os.sep, "/") for p in ds.file_paths] \
            == r["file_paths"]
        # With subset="both", only the training set (the first) is shuffled.
        if shuffled and i == 0:
            assert int(ds.cardinality()) == r["cardinality"]
            assert spec_tree(ds.element_spec) == ref_spec(r["spec"])
            batched = r["spec"][0]["shape"][0] is None if isinstance(r["spec"], list) \
                else r["spec"]["shape"][0] is None
            assert_same_multiset(samples(list(ds), batched),
                                 samples(r["elements"], batched), atol=atol)
        else:
            assert_dataset(ds, r, atol=atol)


@pytest.mark.parametrize("name", _names(cases.IMAGE_CASES))
def test_image_dataset_matches_keras(name, image_root, capsys):
    case, ref = _by_name(cases.IMAGE_CASES, name), REF["images"][name]
    if "error" in ref:
        with raises_like(ref, image_root):
            keras.utils.image_dataset_from_directory(image_root, **case["kw"])
        assert capsys.readouterr().out == ref["printed"]
        return
    ds = keras.utils.image_dataset_from_directory(image_root, **case["kw"])
    assert capsys.readouterr().out == ref["printed"]
    _check_images(ds, ref, image_root, shuffled=case["kw"].get("shuffle", True))


@pytest.mark.parametrize("group,builder,items", [
    ("formats", "build_format_tree", "FORMAT_CASES"),
    ("empty", "build_empty_tree", "EMPTY_CASES"),
    ("links", "build_link_tree", "LINK_CASES"),
])
def test_image_dataset_formats_empty_folders_and_links_match_keras(group, builder, items,
                                                                   tmp_path, capsys):
    pytest.importorskip("PIL")
    root = str(tmp_path / "imgs")
    getattr(cases, builder)(root)
    for case in getattr(cases, items):
        ref = REF[group][case["name"]]
        if "error" in ref:
            with raises_like(ref, root):
                keras.utils.image_dataset_from_directory(root, **case["kw"])
            assert capsys.readouterr().out == ref["printed"]
            continue
        ds = keras.utils.image_dataset_from_directory(root, **case["kw"])
        assert capsys.readouterr().out == ref["printed"]
        if group != "formats":
            _check_images(ds, ref, root, shuffled=False)
            continue
        # JPEG pixels depend on the decoder's DCT (libjpeg settings differ from TF's).
        r = ref["datasets"][0]
        assert ds.file_paths == [os.path.join(root, p) for p in r["file_paths"]]
        images = np.concatenate([b[0].numpy() for b in ds])
        expected = np.concatenate([np.asarray(e[0]["data"]) for e in r["elements"]])
        for path, got, want in zip(r["file_paths"], images, expected):
            tol = 12.0 if path.endswith((".jpg", ".jpeg")) else 1e-3
            np.testing.assert_allclose(got, want, atol=tol, err_msg=path)


def test_image_dataset_decoding_errors_are_raised_while_iterating(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    os.makedirs(tmp_path / "a")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "a" / "x.gif")
    ds = keras.utils.image_dataset_from_directory(str(tmp_path), color_mode="grayscale",
                                                  image_size=(2, 2), verbose=False)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="channels must be 0 or 3 for GIF, got 1"):
        list(ds)
    (tmp_path / "a" / "x.gif").write_bytes(b"not an image")
    ds = keras.utils.image_dataset_from_directory(str(tmp_path), image_size=(2, 2),
                                                  verbose=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unknown image file format"):
        list(ds)


def test_image_dataset_trains_a_model(image_root, capsys):
    ds = keras.utils.image_dataset_from_directory(image_root, image_size=(4, 4),
                                                  batch_size=4, seed=0)
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(3)])
    model.compile(optimizer="sgd",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(ds, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])


def test_image_dataset_without_pillow_asks_for_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        keras.utils.image_dataset_from_directory(str(tmp_path))


def test_text_and_audio_datasets_are_not_implemented(tmp_path):
    with pytest.raises(NotImplementedError, match="string dtype"):
        keras.utils.text_dataset_from_directory(str(tmp_path))
    with pytest.raises(NotImplementedError, match="audio"):
        keras.utils.audio_dataset_from_directory(str(tmp_path))


def test_image_dataset_format_argument():
    with pytest.raises(NotImplementedError, match="grain"):
        keras.utils.image_dataset_from_directory("unused", format="grain")
    with pytest.raises(ValueError, match='`format` should be either "tf" or "grain". '
                                         "Received: format=np"):
        keras.utils.image_dataset_from_directory("unused", format="np")
