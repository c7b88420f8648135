"""keras.callbacks.TensorBoard: the event files read back with TensorBoard's own
EventAccumulator (run directories, tags, steps, values and plugins as Keras 3 writes
them on the TF backend)."""

from __future__ import annotations

import io
import json
import sys
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)
from tensorboard.plugins.histogram.summary_v2 import histogram_pb  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

from tapeflow import keras  # noqa: E402
from tapeflow.keras import callbacks_tensorboard  # noqa: E402

# 20 samples in batches of 8: 3 batches an epoch, so the global batch count runs 1..3,
# 4..6 over two epochs and optimizer.iterations is 3, 6 at the epochs' ends.
N, BATCH, EPOCHS = 20, 8, 2


def _data() -> Tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 3)).astype("float32")
    y = (x.sum(1) > 0).astype("float32")[:, None]
    return x, y, x[:8], y[:8]


def _model() -> Any:
    keras.utils.set_random_seed(0)
    # Explicit names: weight paths (and so tags) must not depend on earlier tests.
    model = keras.Sequential([keras.Input((3,), name="input_layer"),
                              keras.layers.Dense(4, activation="relu", name="dense"),
                              keras.layers.Dense(1, activation="sigmoid", name="dense_1")],
                             name="seq")
    model.compile(keras.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
    return model


def _read(run_dir: Any) -> Tuple[Dict[str, List[Tuple[int, np.ndarray]]], Dict[str, str]]:
    """{tag: [(step, value), ...]} and {tag: plugin name} of a run directory."""
    acc = EventAccumulator(str(run_dir), size_guidance={"tensors": 0})
    acc.Reload()
    tags = acc.Tags()["tensors"]
    values = {t: [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(t)]
              for t in tags}
    plugins = {t: acc.SummaryMetadata(t).plugin_data.plugin_name for t in tags}
    return values, plugins


def _steps(series: List[Tuple[int, np.ndarray]]) -> List[int]:
    return [step for step, _ in series]


def _scalars(series: List[Tuple[int, np.ndarray]]) -> List[float]:
    return [float(v) for _, v in series]


def _f32(values: List[float]) -> List[float]:
    return [float(np.float32(v)) for v in values]


def _run_dirs(log_dir: Any) -> List[str]:
    return sorted(str(p.parent.relative_to(log_dir)) for p in log_dir.rglob("events.out.*"))


def test_epoch_scalars_histograms_and_graph(tmp_path) -> None:
    x, y, xv, yv = _data()
    model = _model()
    tb = keras.callbacks.TensorBoard(tmp_path, histogram_freq=1)
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0,
                        validation_data=(xv, yv), callbacks=[tb]).history
    assert _run_dirs(tmp_path) == ["train", "validation"]

    train, plugins = _read(tmp_path / "train")
    weights = ["seq/dense/kernel", "seq/dense/bias", "seq/dense_1/kernel", "seq/dense_1/bias"]
    assert sorted(train) == sorted(["keras", "epoch_loss", "epoch_accuracy",
                                    "epoch_learning_rate"]
                                   + [f"{w}/histogram" for w in weights])
    for metric in ("loss", "accuracy"):
        assert _steps(train[f"epoch_{metric}"]) == [0, 1]
        assert _scalars(train[f"epoch_{metric}"]) == _f32(history[metric])
    assert _scalars(train["epoch_learning_rate"]) == _f32([0.1, 0.1])
    assert plugins["epoch_loss"] == "scalars" and train["epoch_loss"][0][1].dtype == np.float32

    # Histograms: [30, 3] float64 buckets for the histograms plugin, one per epoch,
    # equal to tensorboard's own numpy bucketing of the final weights.
    for path, variable in zip(weights, model.weights):
        series = train[f"{path}/histogram"]
        assert plugins[f"{path}/histogram"] == "histograms"
        assert _steps(series) == [0, 1]
        buckets = series[-1][1]
        expected = tensor_util.make_ndarray(
            histogram_pb("t", np.asarray(variable)).value[0].tensor)
        assert buckets.dtype == np.float64 and buckets.shape == (30, 3)
        np.testing.assert_array_equal(buckets, expected)
        assert buckets[:, 2].sum() == np.asarray(variable).size

    # The conceptual graph: the model's Keras config under "keras" at step 0.
    assert plugins["keras"] == "graph_keras_model" and _steps(train["keras"]) == [0]
    config = json.loads(train["keras"][0][1].item())
    assert config["class_name"] == "Sequential" and config["config"]["name"] == "seq"
    from tensorboard.plugins.graph import keras_util
    graph = keras_util.keras_model_to_graph_def(config)
    assert [n.name for n in graph.node] == ["seq/input_layer", "seq/dense", "seq/dense_1"]

    val, _ = _read(tmp_path / "validation")
    assert sorted(val) == ["epoch_accuracy", "epoch_loss", "evaluation_accuracy_vs_iterations",
                           "evaluation_loss_vs_iterations"]
    for metric in ("loss", "accuracy"):
        assert _steps(val[f"epoch_{metric}"]) == [0, 1]
        assert _scalars(val[f"epoch_{metric}"]) == _f32(history[f"val_{metric}"])
        # at optimizer.iterations after each epoch's training
        assert _steps(val[f"evaluation_{metric}_vs_iterations"]) == [3, 6]
        assert _scalars(val[f"evaluation_{metric}_vs_iterations"]) == _f32(
            history[f"val_{metric}"])


def test_batch_update_freq_and_steps_per_second(tmp_path) -> None:
    x, y, _, _ = _data()
    batch_logs: List[Dict[str, float]] = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batch_logs.append(dict(logs)))
    tb = keras.callbacks.TensorBoard(tmp_path, update_freq="batch", write_graph=False,
                                     write_steps_per_second=True)
    history = _model().fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0,
                           callbacks=[tb, record]).history
    assert _run_dirs(tmp_path) == ["train"]  # no validation data: no validation run
    train, _ = _read(tmp_path / "train")
    assert sorted(train) == ["batch_accuracy", "batch_loss", "batch_steps_per_second",
                             "epoch_accuracy", "epoch_learning_rate", "epoch_loss",
                             "epoch_steps_per_second"]
    for metric in ("loss", "accuracy"):
        assert _steps(train[f"batch_{metric}"]) == [1, 2, 3, 4, 5, 6]  # global batch count
        assert _scalars(train[f"batch_{metric}"]) == _f32([b[metric] for b in batch_logs])
        assert _scalars(train[f"epoch_{metric}"]) == _f32(history[metric])
    assert _steps(train["batch_steps_per_second"]) == [1, 2, 3, 4, 5, 6]
    assert _steps(train["epoch_steps_per_second"]) == [0, 1]
    assert min(_scalars(train["batch_steps_per_second"])
               + _scalars(train["epoch_steps_per_second"])) > 0


def test_int_update_freq_writes_every_nth_batch_and_every_epoch(tmp_path) -> None:
    x, y, xv, yv = _data()
    tb = keras.callbacks.TensorBoard(tmp_path, update_freq=2, write_graph=False)
    history = _model().fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0,
                           validation_data=(xv, yv), callbacks=[tb]).history
    train, _ = _read(tmp_path / "train")
    assert _steps(train["batch_loss"]) == [2, 4, 6]
    # Every epoch, also when the global batch count is not a multiple of update_freq
    # (where Keras's leaked record_if drops them).
    assert _scalars(train["epoch_loss"]) == _f32(history["loss"])
    val, _ = _read(tmp_path / "validation")
    assert _scalars(val["epoch_loss"]) == _f32(history["val_loss"])


def test_evaluate_with_the_callback_and_a_second_fit(tmp_path) -> None:
    x, y, xv, yv = _data()
    model = _model()
    tb = keras.callbacks.TensorBoard(tmp_path, write_graph=False, update_freq="batch")
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[tb])
    result = model.evaluate(xv, yv, verbose=0, callbacks=[tb], return_dict=True)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[tb])
    val, _ = _read(tmp_path / "validation")
    assert sorted(val) == ["evaluation_accuracy_vs_iterations", "evaluation_loss_vs_iterations"]
    assert _steps(val["evaluation_loss_vs_iterations"]) == [3]
    assert _scalars(val["evaluation_loss_vs_iterations"]) == _f32([result["loss"]])
    train, _ = _read(tmp_path / "train")
    # As Keras: each fit counts batches from 1 again, so both fits log steps 1..3.
    assert _steps(train["batch_loss"]) == [1, 2, 3, 1, 2, 3]


def test_write_images_as_keras_lays_them_out(tmp_path) -> None:
    image_module = pytest.importorskip("PIL.Image")
    x, y, _, _ = _data()
    model = _model()
    tb = keras.callbacks.TensorBoard(tmp_path, histogram_freq=1, write_images=True,
                                     write_graph=False)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[tb])
    train, plugins = _read(tmp_path / "train")
    # (3, 4) kernel: 3 rows x 4 columns; biases and the (4, 1) kernel: a 1-wide column;
    # the (1,) bias squeezes to a scalar and gets no image, as in Keras.
    expected = {"seq/dense/kernel": (4, 3), "seq/dense/bias": (1, 4),
                "seq/dense_1/kernel": (1, 4)}
    assert sorted(t for t in train if t.endswith("/image")) == sorted(
        f"{k}/image" for k in expected)
    for (path, (width, height)), variable in zip(expected.items(), model.weights):
        (step, strings), = train[f"{path}/image"]
        assert step == 0 and plugins[f"{path}/image"] == "images"
        assert (strings[0], strings[1]) == (str(width).encode(), str(height).encode())
        pixels = np.asarray(image_module.open(io.BytesIO(strings[2])))
        w = np.asarray(variable)
        w = w if w.ndim == 2 and w.shape[0] <= w.shape[1] else w.reshape(-1, 1)
        # tf.summary.image's float conversion: x * 255.5, saturated to [0, 255]
        np.testing.assert_array_equal(pixels, np.clip(w * 255.5, 0, 255).astype(np.uint8))


@pytest.mark.parametrize("data", [np.arange(7.0), np.full((2, 3), 0.25), np.zeros(0),
                                  np.random.default_rng(1).normal(size=(50, 40))])
def test_histogram_buckets_match_tensorboard(data: np.ndarray) -> None:
    expected = tensor_util.make_ndarray(histogram_pb("t", data).value[0].tensor)
    np.testing.assert_array_equal(callbacks_tensorboard._histogram_buckets(data), expected)


def test_nonfinite_weights_get_no_histogram() -> None:
    assert callbacks_tensorboard._histogram_buckets(np.array([0.0, np.nan])) is None
    assert callbacks_tensorboard._histogram_buckets(np.array([0.0, np.inf])) is None


def test_arguments_and_unsupported_features(tmp_path) -> None:
    tb = keras.callbacks.TensorBoard()
    assert (tb.log_dir, tb.histogram_freq, tb.write_graph, tb.write_images,
            tb.write_steps_per_second, tb.update_freq, tb.embeddings_freq,
            tb.embeddings_metadata) == ("logs", 0, True, False, False, "epoch", 0, None)
    assert keras.callbacks.TensorBoard(tmp_path, update_freq="batch").update_freq == 1
    with pytest.warns(UserWarning, match="profiling is not supported"):
        keras.callbacks.TensorBoard(tmp_path, profile_batch=(2, 4))
    with pytest.warns(UserWarning, match="embedding visualization .* not supported"):
        keras.callbacks.TensorBoard(tmp_path, embeddings_freq=1)
    for bad in (-1, (5, 2), "a,b", 1.5):
        with pytest.raises(ValueError, match="profile_batch must be"):
            keras.callbacks.TensorBoard(tmp_path, profile_batch=bad)
    for bad in (0, "step", -3):
        with pytest.raises(ValueError, match="update_freq must be"):
            keras.callbacks.TensorBoard(tmp_path, update_freq=bad)
    assert not (tmp_path / "train").exists()  # nothing is written before a model is set


def test_missing_tensorboard_is_a_clear_import_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(callbacks_tensorboard, "_TB", None)
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(ImportError, match="pip install tensorboard"):
        keras.callbacks.TensorBoard(tmp_path)
