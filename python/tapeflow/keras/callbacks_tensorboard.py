"""``keras.callbacks.TensorBoard``: TensorBoard event files from ``fit``/``evaluate``.

The files are written with the ``tensorboard`` package's own record writer and protos
(``pip install tensorboard``); TensorFlow is never imported.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import struct
import time
import types
import warnings
import weakref
import zlib
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from tapeflow.keras.callbacks import Callback

# Buffered events reach the file at least this often (seconds), as with TF's writer.
_FLUSH_SECS = 120.0
# tf.summary.histogram's default number of buckets.
_HISTOGRAM_BUCKETS = 30
# tf.summary.image's default max_outputs.
_MAX_IMAGES = 3

_TB: Optional[types.SimpleNamespace] = None
_FILE_UIDS = itertools.count()


def _tensorboard() -> types.SimpleNamespace:
    """The pieces of the ``tensorboard`` package the callback uses (imported once).

    Only modules that never import TensorFlow: the protos, the TFRecord writer,
    ``tensor_util`` and the plugins' metadata helpers.
    """
    global _TB
    if _TB is None:
        try:
            from tensorboard.compat.proto import event_pb2, summary_pb2
            from tensorboard.plugins.graph import metadata as graph_metadata
            from tensorboard.plugins.histogram import metadata as histogram_metadata
            from tensorboard.plugins.image import metadata as image_metadata
            from tensorboard.plugins.scalar import metadata as scalar_metadata
            from tensorboard.summary.writer.record_writer import RecordWriter
            from tensorboard.util import tensor_util
        except ImportError as exc:
            raise ImportError(
                "keras.callbacks.TensorBoard writes its event files with the `tensorboard` "
                f"package, which could not be imported ({exc}): `pip install tensorboard`."
            ) from exc
        _TB = types.SimpleNamespace(
            event_pb2=event_pb2, summary_pb2=summary_pb2, RecordWriter=RecordWriter,
            make_tensor_proto=tensor_util.make_tensor_proto,
            scalar_metadata=scalar_metadata.create_summary_metadata(
                display_name=None, description=None),
            histogram_metadata=histogram_metadata.create_summary_metadata(
                display_name=None, description=None),
            image_metadata=image_metadata.create_summary_metadata(
                display_name=None, description=None),
            keras_model_metadata=summary_pb2.SummaryMetadata(
                plugin_data=summary_pb2.SummaryMetadata.PluginData(
                    plugin_name=graph_metadata.PLUGIN_NAME_KERAS_MODEL, content=b"1")))
    return _TB


class _EventFile:
    """One event file (a TFRecord file of ``Event`` protos) in a run directory, named
    as TF 2's summary writer names its files."""

    def __init__(self, directory: str) -> None:
        self._tb = _tensorboard()
        os.makedirs(directory, exist_ok=True)
        while True:
            name = "events.out.tfevents.%010d.%s.%d.%d.v2" % (
                time.time(), socket.gethostname(), os.getpid(), next(_FILE_UIDS))
            self.path = os.path.join(directory, name)
            try:
                self._file = open(self.path, "xb")
                break
            except FileExistsError:
                continue
        # Closed (so flushed) when dropped or at exit, even if never closed explicitly.
        weakref.finalize(self, self._file.close)
        self._records = self._tb.RecordWriter(self._file)
        self._last_flush = time.monotonic()
        pb2 = self._tb.event_pb2
        self._write(pb2.Event(wall_time=time.time(), file_version="brain.Event:2",
                              source_metadata=pb2.SourceMetadata(
                                  writer="tapeflow.keras.callbacks.TensorBoard")))
        self.flush()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def _write(self, event: Any) -> None:
        self._records.write(event.SerializeToString())
        if time.monotonic() - self._last_flush > _FLUSH_SECS:
            self.flush()

    def add(self, tag: str, tensor: Any, metadata: Any, step: int) -> None:
        """One summary value: ``tensor`` (a TensorProto) under ``tag`` at ``step``."""
        event = self._tb.event_pb2.Event(wall_time=time.time(), step=int(step))
        event.summary.value.add(tag=tag, tensor=tensor, metadata=metadata)
        self._write(event)

    def scalar(self, tag: str, value: Any, step: int) -> None:
        """As ``tf.summary.scalar``: a float32 scalar tensor for the scalars plugin."""
        data = np.asarray(value, dtype=np.float32)
        if data.ndim != 0:
            raise ValueError(f"TensorBoard: the value logged as {tag!r} is not a scalar "
                             f"(shape {data.shape}).")
        self.add(tag, self._tb.make_tensor_proto(data), self._tb.scalar_metadata, step)

    def histogram(self, tag: str, buckets: np.ndarray, step: int) -> None:
        """As ``tf.summary.histogram``: a ``[k, 3]`` float64 tensor of buckets."""
        self.add(tag, self._tb.make_tensor_proto(buckets.astype(np.float64)),
                 self._tb.histogram_metadata, step)

    def image(self, tag: str, images: np.ndarray, step: int) -> None:
        """As ``tf.summary.image``: ``[width, height, png, ...]`` strings for the images
        plugin, from uint8 ``images`` of shape ``(n, height, width, channels)``."""
        pngs = [_png(im) for im in images[:_MAX_IMAGES]]
        strings = np.array([str(images.shape[2]).encode(), str(images.shape[1]).encode()]
                           + pngs, dtype=object)
        self.add(tag, self._tb.make_tensor_proto(strings), self._tb.image_metadata, step)

    def keras_model(self, tag: str, config_json: str, step: int) -> None:
        """As Keras's ``keras_model_summary``: the model config as a JSON string tensor
        for the graphs plugin's conceptual graph."""
        self.add(tag, self._tb.make_tensor_proto(config_json.encode("utf-8")),
                 self._tb.keras_model_metadata, step)

    def flush(self) -> None:
        if not self._file.closed:
            self._records.flush()
            self._last_flush = time.monotonic()

    def close(self) -> None:
        if not self._file.closed:
            self._records.flush()
            self._records.close()


def _histogram_buckets(values: np.ndarray,
                       bucket_count: int = _HISTOGRAM_BUCKETS) -> Optional[np.ndarray]:
    """``tf.summary.histogram``'s buckets, ``[bucket_count, 3]`` rows of
    ``(left, right, count)``: equal-width buckets from min to max, the last one closed;
    all edges equal to the value when all values are equal; zeros for no data.
    ``None`` when the values are not all finite (TF's buckets would be meaningless)."""
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    if data.size == 0:
        return np.zeros((bucket_count, 3))
    lo, hi = data.min(), data.max()
    span = hi - lo
    if not np.isfinite(span):
        return None
    counts = np.zeros(bucket_count)
    if span == 0:
        left = right = np.full(bucket_count, hi)
        counts[-1] = data.size
    else:
        index = np.floor((data - lo) / (span / bucket_count)).astype(np.int64)
        counts = np.bincount(np.minimum(index, bucket_count - 1),
                             minlength=bucket_count).astype(np.float64)
        edges = np.linspace(lo, hi, bucket_count + 1)
        edges[-1] = hi
        left, right = edges[:-1], edges[1:]
    return np.stack([left, right, counts], axis=1)


def _weight_images(weight: np.ndarray) -> Optional[np.ndarray]:
    """A weight laid out as Keras lays it out for ``write_images`` (biases as a column,
    kernels wide rather than tall, 3-D kernels one image per output channel), as uint8
    pixels the way ``tf.summary.image`` converts floats (``x * 255.5``, saturated to
    [0, 255], truncated); ``None`` where Keras writes no image."""
    w = np.squeeze(np.asarray(weight))
    if w.dtype not in (np.float16, np.float32, np.float64):
        w = w.astype(np.float32)
    if w.ndim == 1:
        w = w.reshape(1, w.shape[0], 1, 1)
    elif w.ndim == 2:
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:  # channels_last: each kernel of the last axis becomes one image
        w = np.transpose(w, (2, 0, 1))
        w = w.reshape(w.shape + (1,))
    if w.ndim != 4 or w.shape[-1] not in (1, 3, 4):
        return None
    w = np.nan_to_num(w * w.dtype.type(255.5), nan=0.0)  # in the weight's precision, as TF
    return np.clip(w, 0, 255).astype(np.uint8)


def _png(pixels: np.ndarray) -> bytes:
    """An 8-bit grayscale, RGB or RGBA PNG of ``pixels`` (``(height, width, channels)``
    uint8)."""
    height, width, channels = pixels.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    rows = np.concatenate([np.zeros((height, 1), np.uint8),
                           pixels.reshape(height, width * channels)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes())) + chunk(b"IEND", b""))


def _numpy(value: Any) -> np.ndarray:
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _parse_profile_batch(profile_batch: Any) -> Tuple[int, int]:
    """Keras's accepted forms: an int, ``"start,stop"`` or a pair; checked as Keras."""
    message = ("profile_batch must be a non-negative integer or 2-tuple of positive "
               "integers. A pair of positive integers signifies a range of batches to "
               f"profile. Found: {profile_batch}")
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
        if len(value) == 1:
            value = value[0]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        start = stop = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        start, stop = (int(v) for v in value)
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


class TensorBoard(Callback):
    """Writes TensorBoard logs: metric curves, weight histograms and images, and the
    model's conceptual graph.

    Mirrors Keras 3.15's ``keras.callbacks.TensorBoard`` as it runs on the TensorFlow
    backend: the same run directories (``log_dir/train`` and ``log_dir/validation``,
    each created on its first write), the same tags, steps and summary formats
    (TF 2 summary tensors: float32 scalars for the scalars plugin, ``[30, 3]`` float64
    buckets for the histograms plugin, PNG strings for the images plugin, the model's
    JSON config for the graphs plugin), so ``tensorboard --logdir log_dir`` shows them
    as it shows Keras's:

    * ``train/``: ``epoch_<metric>`` for each training log at step ``epoch``, plus
      ``epoch_learning_rate`` (the optimizer's rate) and, with
      ``write_steps_per_second``, ``epoch_steps_per_second``. With ``update_freq``
      ``"batch"`` or an int ``N``, ``batch_<metric>`` (and ``batch_steps_per_second``)
      every ``N``-th batch, at the global batch count (1 for the first batch of a
      ``fit``). With ``histogram_freq`` ``N``, every ``N``-th epoch a histogram of each
      weight of each layer, tagged ``<weight.path>/histogram`` (e.g.
      ``sequential/dense/kernel/histogram``), and with ``write_images`` an
      ``<weight.path>/image`` laid out as Keras lays it out. With ``write_graph``, the
      model's config under the tag ``keras`` at step 0 (Sequential and functional
      models only), written when the callback is attached to the model.
    * ``validation/``: ``epoch_<metric>`` for the ``val_<metric>`` logs (prefix
      dropped) at step ``epoch``, and ``evaluation_<metric>_vs_iterations`` at step
      ``optimizer.iterations`` for each validation run and each ``model.evaluate``
      given this callback.

    Differences from Keras:

    * The event files are written with the ``tensorboard`` package's own record writer,
      without TensorFlow; ``log_dir`` must be a local path (no ``gs://`` and such).
    * ``write_graph`` writes only the conceptual (Keras config) graph; tapeflow has no
      TF ``GraphDef``, so no op-level graph is written (Keras 3.15 on the TF backend
      was seen to write none either).
    * With an int ``update_freq`` Keras leaves its ``record_if`` condition of the last
      batch in force, so it drops an epoch's ``epoch_*`` scalars and histograms (and
      ``evaluation_*``) whenever the global batch count (test batch count) at that
      point is not a multiple of ``update_freq``; tapeflow writes them every epoch, as
      documented.
    * tapeflow's ``fit`` runs validation without the ``on_test_*`` hooks, so the
      ``evaluation_*_vs_iterations`` scalars of a validation run are written at the end
      of the epoch, from the ``val_*`` logs (the same values, at the same step).
    * Batch-level summaries from inside the model (``tf.summary.*`` in ``call`` or
      ``train_step``) do not exist: tapeflow has no ``tf.summary``.
    * ``profile_batch`` and ``embeddings_freq``/``embeddings_metadata`` are accepted
      (``profile_batch`` checked as Keras checks it) but not supported: asking for them
      warns, and no profile, projector config or embedding checkpoint is written.
    * A weight that holds NaN or inf gets no histogram at that epoch (with a warning),
      where TF would write meaningless buckets.

    Args:
        log_dir: Directory for the run directories and their event files.
        histogram_freq: Every how many epochs to write weight histograms (0: never).
        write_graph: Whether to write the model's conceptual graph.
        write_images: Whether to write weights as images (with the histograms).
        write_steps_per_second: Whether to log training steps per second.
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or an int ``N`` (every
            ``N`` batches): how often batch-level metrics are written.
        profile_batch: Not supported (0 disables, as in Keras).
        embeddings_freq: Not supported (0 disables, as in Keras).
        embeddings_metadata: Not supported.

    Raises:
        ImportError: If the ``tensorboard`` package is not installed.
        ValueError: For an invalid ``update_freq``, ``histogram_freq`` or
            ``profile_batch``.
    """

    def __init__(self, log_dir: Union[str, os.PathLike] = "logs", histogram_freq: int = 0,
                 write_graph: bool = True, write_images: bool = False,
                 write_steps_per_second: bool = False, update_freq: Union[str, int] = "epoch",
                 profile_batch: Union[int, str, Tuple[int, int]] = 0, embeddings_freq: int = 0,
                 embeddings_metadata: Optional[Union[str, Dict[str, str]]] = None) -> None:
        super().__init__()
        _tensorboard()  # fail here, not mid-fit, when tensorboard is missing
        self.log_dir = str(log_dir)
        if isinstance(histogram_freq, bool) or not isinstance(
                histogram_freq, (int, np.integer)) or histogram_freq < 0:
            raise ValueError("histogram_freq must be a non-negative integer. Received: "
                             f"histogram_freq={histogram_freq!r}")
        self.histogram_freq = int(histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (isinstance(update_freq, bool) or not isinstance(
                update_freq, (int, np.integer)) or update_freq < 1):
            raise ValueError('update_freq must be "epoch", "batch" or a positive integer. '
                             f"Received: update_freq={update_freq!r}")
        self.update_freq: Union[str, int] = (
            update_freq if update_freq == "epoch" else int(update_freq))
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _parse_profile_batch(profile_batch)
        if self._stop_batch > 0:
            warnings.warn(f"TensorBoard(profile_batch={profile_batch!r}): profiling is not "
                          "supported by tapeflow; no profile will be written.", stacklevel=2)
        if embeddings_freq:
            warnings.warn(f"TensorBoard(embeddings_freq={embeddings_freq!r}): embedding "
                          "visualization (the projector) is not supported by tapeflow; no "
                          "embeddings will be written.", stacklevel=2)
        self._writers: Dict[str, _EventFile] = {}
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._epoch_start_time = 0.0
        self._batch_start_time = 0.0
        self._training = False
        self._evaluation_written = False
        self._warned_nonfinite: set = set()
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")

    # -- writers ---------------------------------------------------------------------
    def _writer(self, run: str) -> _EventFile:
        writer = self._writers.get(run)
        if writer is None or writer.closed:
            writer = _EventFile(self._train_dir if run == "train" else self._val_dir)
            self._writers[run] = writer
        return writer

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # -- model -----------------------------------------------------------------------
    def set_model(self, model: Any) -> None:
        """Attaches the model and, with ``write_graph``, writes its config."""
        super().set_model(model)
        self._close_writers()
        if self.write_graph:
            self._write_model_config()

    def _write_model_config(self) -> None:
        # As Keras: only models whose class is exactly Sequential or Functional.
        if type(self.model).__name__ not in ("Functional", "Sequential"):
            return
        from tapeflow.keras.saving.serialization_lib import serialize_keras_object

        try:
            config_json = json.dumps(serialize_keras_object(self.model))
        except Exception as exc:  # a model that cannot be serialized still trains
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {exc}")
            return
        writer = self._writer("train")
        writer.keras_model("keras", config_json, step=0)
        writer.flush()

    def _iterations(self) -> Optional[int]:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return None
        return int(_numpy(optimizer.iterations))

    def _learning_rates(self) -> Dict[str, float]:
        from tapeflow.keras.optimizers.base_optimizer import Optimizer

        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if hasattr(optimizer, "optimizers"):
            return {f"learning_rate_{opt.name}": float(_numpy(opt.learning_rate))
                    for opt in optimizer.optimizers}
        if isinstance(optimizer, Optimizer):
            return {"learning_rate": float(_numpy(optimizer.learning_rate))}
        return {}

    # -- hooks -----------------------------------------------------------------------
    def on_train_begin(self, logs: Any = None) -> None:
        self._training = True
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0

    def on_train_end(self, logs: Any = None) -> None:
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._evaluation_written = False
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self._iterations() or 0
            self._epoch_start_time = time.perf_counter()

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        step = self._global_train_batch
        writer = self._writer("train")
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_start_time
            writer.scalar("batch_steps_per_second", 1.0 / elapsed if elapsed else np.inf,
                          step)
        if isinstance(logs, dict):
            for name, value in logs.items():
                writer.scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs: Any = None) -> None:
        self._write_evaluation(logs or {})
        if not self._training:  # a standalone evaluate(): nothing else will flush
            for writer in self._writers.values():
                writer.flush()

    def _write_evaluation(self, logs: Dict[str, Any]) -> None:
        iterations = self._iterations()
        if iterations is None or not logs:
            return
        writer = self._writer("val")
        for name, value in logs.items():
            writer.scalar(f"evaluation_{name}_vs_iterations", value, iterations)
        self._evaluation_written = True

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        """Writes the epoch's metrics and, every ``histogram_freq`` epochs, the
        weights."""
        logs = logs or {}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        if val_logs and not self._evaluation_written:
            self._write_evaluation(val_logs)  # fit's validation ran without on_test_end
        self._log_epoch_metrics(epoch, logs, val_logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    def _log_epoch_metrics(self, epoch: int, logs: Dict[str, Any],
                           val_logs: Dict[str, Any]) -> None:
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        train_logs.update(self._learning_rates())
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_start_time
            steps = (self._iterations() or 0) - self._previous_epoch_iterations
            train_logs["steps_per_second"] = steps / elapsed if elapsed else np.inf
        if train_logs:
            writer = self._writer("train")
            for name, value in train_logs.items():
                writer.scalar(f"epoch_{name}", value, epoch)
        if val_logs:
            writer = self._writer("val")
            for name, value in val_logs.items():
                writer.scalar(f"epoch_{name}", value, epoch)

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = (getattr(weight, "path", None) or weight.name).replace(":", "_")
                value = _numpy(weight)
                buckets = _histogram_buckets(value)
                if buckets is None:
                    if name not in self._warned_nonfinite:
                        self._warned_nonfinite.add(name)
                        warnings.warn(f"TensorBoard: {name} holds NaN or inf values; no "
                                      "histogram is written for it while it does.")
                else:
                    writer.histogram(f"{name}/histogram", buckets, epoch)
                if self.write_images:
                    images = _weight_images(value)
                    if images is not None:
                        writer.image(f"{name}/image", images, epoch)


__all__: List[str] = ["TensorBoard"]
