"""``keras.Model``: layers plus training (compile / fit / evaluate / predict).

The training step is one overridable method, as in Keras 3: forward, loss (+ the
layers' regularization losses), GradientTape, ``optimizer.apply_gradients``, metric
updates. ``Model(inputs, outputs)`` builds a functional model; subclasses define
``call``. Logs and ``History.history`` keys are sorted, as Keras 3 prints them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple

import numpy as np

import tapeflow as tf
from tapeflow.keras import callbacks as callbacks_module
from tapeflow.keras.trainers import data_adapters
from tapeflow.keras.trainers.data_adapters import EpochIterator, get_data_adapter
from tapeflow.keras.layers.layer import Layer, _flat, snake_case, unique_name


def _num_samples(x: Any) -> int:
    return int(_flat(x)[0].shape[0])


def _unpack(data: Any) -> Tuple[Any, Any, Any]:
    """(x, y, sample_weight) of a batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sw)``."""
    return data_adapters.unpack_x_y_sample_weight(data)


class _OutputLoss(NamedTuple):
    """One output's compiled loss: its name and position, the Loss, its weight and the
    Mean that reports it as `name_loss`."""

    name: str
    index: int
    fn: Any
    weight: float
    tracker: Any


def _make_metric(spec: Any, y_true: Any, y_pred: Any, loss_fn: Any,
                 output: Optional[str] = None) -> Any:
    """A compiled metric from a compile() entry (a Metric, a Keras name or a function).
    Strings keep their spelling as the history key ("mae"); "accuracy" becomes the right
    accuracy for the loss, as Keras does; with several outputs the key is `output_name`."""
    from tapeflow.keras import metrics as metrics_module

    if isinstance(spec, str) and spec in ("accuracy", "acc"):
        metric = _resolve_accuracy(spec, y_true, y_pred, loss_fn)
    else:
        metric = metrics_module.get(spec)
        if not isinstance(metric, metrics_module.Metric):  # a function
            metric = metrics_module.MeanMetricWrapper(
                metric, name=spec if isinstance(spec, str) else metric.__name__)
        elif isinstance(spec, str):
            metric.name = spec
    if output is not None:
        metric.name = f"{output}_{spec if isinstance(spec, str) else metric.name}"
    return metric


def _loss_object(spec: Any) -> Any:
    """A Loss for a compile() loss entry (an object, a Keras name or a function)."""
    from tapeflow.keras import losses as losses_module

    fn = losses_module.get(spec)
    if not isinstance(fn, losses_module.Loss):  # a function: reduce like Keras
        fn = losses_module.LossFunctionWrapper(
            fn, name=spec if isinstance(spec, str) else getattr(fn, "__name__", None))
    return fn


def _as_list(values: Any, names: List[str]) -> List[Any]:
    """One entry per output: a dict by output name, or a list/tuple in output order."""
    if isinstance(values, dict):
        missing = [n for n in names if n not in values]
        if missing:
            raise ValueError(f"Missing data for the model output '{missing[0]}' (got keys "
                             f"{sorted(values)})")
        return [values[n] for n in names]
    if isinstance(values, (list, tuple)):
        if len(values) != len(names):
            raise ValueError(f"The model has {len(names)} outputs but received "
                             f"{len(values)} targets")
        return list(values)
    raise ValueError(f"The model has {len(names)} outputs ({names}); pass a list or a "
                     f"dict of targets, got {type(values).__name__}")


def _resolve_accuracy(name: str, y_true: Any, y_pred: Any, loss: Any) -> Any:
    """Keras's rule for the string 'accuracy': binary, sparse or categorical from shapes."""
    from tapeflow.keras import metrics

    pred_shape = tuple(y_pred.shape)
    true_shape = tuple(np.shape(y_true))
    if pred_shape and pred_shape[-1] == 1 or len(pred_shape) <= 1:
        return metrics.BinaryAccuracy(name=name)
    if len(true_shape) < len(pred_shape) or (true_shape and true_shape[-1] == 1):
        return metrics.SparseCategoricalAccuracy(name=name)
    return metrics.CategoricalAccuracy(name=name)


class _LazyResults(Mapping):
    """name -> metric.result(), evaluated on access."""

    def __init__(self, metrics: List[Any]) -> None:
        self._metrics = {m.name: m for m in metrics}

    def __getitem__(self, name: str) -> Any:
        return self._metrics[name].result()

    def __iter__(self) -> Iterator[str]:
        return iter(self._metrics)

    def __len__(self) -> int:
        return len(self._metrics)


class Model(Layer):
    """A trainable stack of layers (``keras.Model``), functional or subclassed."""

    # compile()'s options, before compile() (predict works on an uncompiled model)
    run_eagerly = False
    jit_compile: Any = "auto"
    steps_per_execution = 1
    train_function: Any = None
    test_function: Any = None
    predict_function: Any = None

    def __new__(cls, *args: Any, **kwargs: Any) -> "Model":
        if cls is Model and _functional_init_arguments(args, kwargs):
            from tapeflow.keras.models.functional import Functional

            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from tapeflow.keras.models.functional import Functional

        if _functional_init_arguments(args, kwargs) and not isinstance(self, Functional):
            # A subclass whose __init__ calls super().__init__(inputs, outputs) (the custom
            # train_step guides): as Keras 3, its class becomes a Functional subclass
            # (Model replaced by Functional in its bases), keeping its own overrides. Only
            # the arguments given to Model.__init__ count, never the subclass's own.
            _inject_functional(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        super().__init__(trainable=trainable, name=name or unique_name(
            snake_case(type(self).__name__)), dtype=dtype)
        self.optimizer: Any = None
        self.compiled = False
        self.stop_training = False
        self.history: Any = None
        self._in_fit = False

    # -- compile ------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Any = None) -> "Model":
        """Keras's ``Model.from_config``: a functional config (``layers``,
        ``input_layers``, ``output_layers``) rebuilds the graph (``saving.graph``, the
        reader of ``.keras`` files); any other config is a subclass's ``cls(**config)``.
        ``custom_objects`` names the classes the config refers to."""
        if isinstance(config, dict) and "layers" in config and "input_layers" in config:
            from tapeflow.keras.saving import graph  # saving imports models: on use

            return graph.functional_from_config(config, custom_objects)
        return super().from_config(config)  # type: ignore[return-value]

    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: Any = "auto",
                auto_scale_loss: bool = True) -> None:
        """Configures training: optimizer, loss and metrics (objects or Keras names)."""
        from tapeflow.keras import metrics as metrics_module
        from tapeflow.keras import optimizers as optimizers_module

        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss
        self._loss_weights = loss_weights
        self._loss_fn = None
        if loss is not None and not isinstance(loss, (list, tuple, dict)):
            self._loss_fn = _loss_object(loss)
        self._metrics_spec = metrics
        self._metric_specs = list(metrics or []) if not isinstance(metrics, dict) else \
            list(metrics.values())
        self._compiled_metrics: Optional[List[Any]] = None
        self._metric_outputs: List[int] = []  # the output each compiled metric watches
        self._output_losses: Optional[List[_OutputLoss]] = None  # several outputs only
        self._output_name_list: Optional[List[str]] = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._compile_config = {"optimizer": optimizer, "loss": loss, "metrics": metrics,
                                "loss_weights": loss_weights,
                                "weighted_metrics": weighted_metrics,
                                "run_eagerly": run_eagerly,
                                "steps_per_execution": steps_per_execution,
                                "jit_compile": jit_compile}
        if int(steps_per_execution) < 1:
            raise ValueError("`steps_per_execution` must be a positive integer. Received: "
                             f"steps_per_execution={steps_per_execution}")
        self.run_eagerly = bool(run_eagerly)
        self.jit_compile = jit_compile
        self.steps_per_execution = int(steps_per_execution)
        self.train_function = self.test_function = self.predict_function = None
        self.compiled = True

    def _ensure_compiled(self) -> None:
        if not self.compiled:
            raise RuntimeError("You must call `compile()` before using the model.")

    def _build_metrics(self, y: Any, y_pred: Any) -> None:
        """The compiled metrics, each bound to the output it watches (Keras 3 names them
        `output_metric` and reports them by name when the model has several outputs)."""
        if self._compiled_metrics is not None:
            return
        ys, preds = self._split_outputs(y, y_pred)
        if self._multi_output(y_pred):
            names: List[Optional[str]] = list(self._output_names(y_pred))
            spec = self._metrics_spec
            if isinstance(spec, (list, tuple)) and not any(
                    isinstance(s, (list, tuple, dict)) for s in spec):
                spec = [list(spec)] * len(names)  # a flat list: every output
            entries = self._per_output(spec, names, "metrics")
            by_name = {o.name: o.fn for o in self._output_losses or []}
            loss_fns = [by_name.get(n) for n in names]
        else:
            names, entries, loss_fns = [None], [self._metric_specs], [self._loss_fn]
        built = []
        for i, (name, entry) in enumerate(zip(names, entries)):
            if entry is None:
                continue
            for spec_i in entry if isinstance(entry, (list, tuple)) else [entry]:
                built.append((_make_metric(spec_i, ys[i], preds[i], loss_fns[i], name), i))
        if len(names) > 1:
            built.sort(key=lambda mi: mi[0].name)
        self._compiled_metrics = [m for m, _ in built]
        self._metric_outputs = [i for _, i in built]

    @property
    def metrics(self) -> List[Any]:
        """The loss tracker, the per-output loss trackers of a multi-output model, then
        the compiled metrics (built on the first batch)."""
        if not self.compiled:
            return []
        per_output = [o.tracker for o in self._output_losses or []]
        return [self._loss_tracker] + per_output + list(self._compiled_metrics or [])

    # -- several outputs (Keras 3: a loss and metrics per output) -----------------------
    def _multi_output(self, y_pred: Any) -> bool:
        return isinstance(y_pred, dict) or (isinstance(y_pred, (list, tuple)) and
                                            len(y_pred) > 1)

    def _output_names(self, y_pred: Any) -> List[str]:
        """Keras's names: a dict's keys, else the layers that make the outputs (found once:
        a model's output structure does not change)."""
        if self._output_name_list is None:
            if isinstance(y_pred, dict):
                names = list(y_pred.keys())
            else:
                outputs = getattr(self, "outputs", None) or []
                names = []
                for i in range(len(y_pred)):
                    history = getattr(outputs[i], "_history", None) if i < len(outputs) \
                        else None
                    names.append(history[0].name if history else f"output_{i}")
            self._output_name_list = names
        return self._output_name_list

    def _split_outputs(self, y: Any, y_pred: Any) -> Tuple[List[Any], List[Any]]:
        """Targets and predictions, one entry per output ([y], [y_pred] for one output)."""
        if not self._multi_output(y_pred):
            return [y], [y_pred]
        names = self._output_names(y_pred)
        return _as_list(y, names), _as_list(y_pred, names)

    @staticmethod
    def _per_output(spec: Any, names: List[str], what: str) -> List[Any]:
        """A list (one per output), a dict by output name, or one value for every output."""
        if isinstance(spec, dict):
            unknown = [k for k in spec if k not in names]
            if unknown:
                raise ValueError(f"In the dict argument `{what}`, key '{unknown[0]}' does "
                                 f"not correspond to any model output. Received:\n"
                                 f"{what}={spec}")
            return [spec.get(n) for n in names]
        if isinstance(spec, (list, tuple)):
            if len(spec) != len(names):
                raise ValueError(f"For a model with multiple outputs, when providing the "
                                 f"`{what}` argument as a list, it should have as many "
                                 f"entries as the model has outputs. Received:\n{what}="
                                 f"{spec}\nof length {len(spec)} whereas the model has "
                                 f"{len(names)} outputs.")
            return list(spec)
        return [spec] * len(names)

    def _build_output_losses(self, y_pred: Any) -> None:
        from tapeflow.keras import metrics as metrics_module

        names = self._output_names(y_pred)
        specs = self._per_output(self.loss, names, "loss")
        weights = self._per_output(self._loss_weights, names, "loss_weights")
        self._output_losses = [
            _OutputLoss(n, i, _loss_object(spec), 1.0 if w is None else float(w),
                        metrics_module.Mean(name=f"{n}_loss"))
            for i, (n, spec, w) in enumerate(zip(names, specs, weights)) if spec is not None]

    @property
    def metrics_names(self) -> List[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    # -- steps --------------------------------------------------------------------
    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None, training: bool = True) -> Any:
        """The compiled loss plus every ``add_loss``/regularization loss."""
        total = None
        if self.loss is not None and y is not None and self._multi_output(y_pred):
            if self._output_losses is None:
                self._build_output_losses(y_pred)
            ys, preds = self._split_outputs(y, y_pred)
            n_samples = _num_samples(y_pred)
            for out in self._output_losses:
                value = out.fn(ys[out.index], preds[out.index], sample_weight=sample_weight)
                out.tracker.update_state(value, sample_weight=n_samples)
                weighted = value if out.weight == 1.0 else value * out.weight
                total = weighted if total is None else total + weighted
        elif self._loss_fn is not None and y is not None:
            total = self._loss_fn(y, y_pred, sample_weight=sample_weight)
        extra = self.losses
        if extra:
            reg = tf.add_n([tf.cast(t, tf.float32) for t in extra])
            total = reg if total is None else total + reg
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> Dict[str, Any]:
        self._build_metrics(y, y_pred)
        ys, preds = self._split_outputs(y, y_pred)
        for m, i in zip(self._compiled_metrics or [], self._metric_outputs):
            m.update_state(ys[i], preds[i], sample_weight=sample_weight)
        return self.get_metrics_result()

    # -- Keras 3's backwards-compatibility shims (deprecated there too) --------------------
    @property
    def compiled_metrics(self) -> Any:
        """``self.compiled_metrics.update_state(y, y_pred)`` of Keras 2 train steps, as
        Keras 3 keeps it: a deprecation warning, then the loss tracker takes ``y_pred``
        (Keras 3 updates its Mean metrics with the prediction) and the compiled metrics
        ``(y, y_pred)``."""
        model = self

        class DeprecatedCompiledMetric:
            def update_state(_, y: Any, y_pred: Any, sample_weight: Any = None) -> None:
                model._compiled_metrics_update_state(y, y_pred, sample_weight)

        return DeprecatedCompiledMetric()

    def _compiled_metrics_update_state(self, y: Any, y_pred: Any,
                                       sample_weight: Any = None) -> None:
        warnings.warn("`model.compiled_metrics()` is deprecated. Instead, use e.g.:\n```\n"
                      "for metric in self.metrics:\n    metric.update_state(y, y_pred)\n"
                      "```\n", stacklevel=3)
        self._build_metrics(y, y_pred)
        compiled = list(self._compiled_metrics or [])
        ys, preds = self._split_outputs(y, y_pred)
        for m, i in zip(compiled, self._metric_outputs):
            m.update_state(ys[i], preds[i], sample_weight=sample_weight)
        for m in self.metrics:
            if any(m is c for c in compiled):
                continue
            m.update_state(y_pred, sample_weight=sample_weight)

    def compiled_loss(self, y: Any, y_pred: Any, sample_weight: Any = None,
                      regularization_losses: Any = None) -> Any:
        """Keras 2's ``self.compiled_loss(y, y_pred)``: ``compute_loss`` with Keras 3's
        deprecation warning."""
        warnings.warn("`model.compiled_loss()` is deprecated. Instead, use "
                      "`model.compute_loss(x, y, y_pred, sample_weight, training)`.",
                      stacklevel=2)
        return self.compute_loss(x=None, y=y, y_pred=y_pred, sample_weight=sample_weight)

    def get_metrics_result(self) -> Dict[str, Any]:
        """Metric results by name, computed only when read (fit with verbose=0 and no
        callbacks never reads per-batch results)."""
        return _LazyResults(self.metrics)

    def train_step(self, data: Any) -> Dict[str, Any]:
        """One optimisation step on a batch; override to customise training."""
        x, y, sample_weight = _unpack(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        weights = self.trainable_weights
        if weights:
            grads = tape.gradient(loss, weights)
            self.optimizer.apply_gradients(zip(grads, weights))
        else:  # as Keras 3's trainer: nothing to update, say so
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        self._loss_tracker.update_state(loss, sample_weight=_num_samples(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> Dict[str, Any]:
        x, y, sample_weight = _unpack(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=_num_samples(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        x, _, _ = _unpack(data)
        return self(x, training=False)

    # -- compiled steps -------------------------------------------------------------
    def _make_step_function(self, step: Any) -> Any:
        """``step`` over a tuple of batches (``steps_per_execution`` of them), as one
        tf.function unless ``run_eagerly`` (Keras 3 with the TensorFlow backend:
        ``reduce_retracing=True``, so a smaller last batch adds one relaxed trace).
        A step's lazily computed metric results are not graph outputs: they are read
        after the call, only when someone looks."""

        def multi_step(batches: Any) -> Any:
            logs = None
            for batch in batches:
                logs = step(batch)
            return None if isinstance(logs, _LazyResults) else logs

        if getattr(self, "run_eagerly", False):
            return multi_step
        return tf.function(multi_step, reduce_retracing=True,
                           jit_compile=self.jit_compile is True)

    def make_train_function(self, force: bool = False) -> Any:
        if getattr(self, "train_function", None) is None or force:
            self.train_function = self._make_step_function(self.train_step)
        return self.train_function

    def make_test_function(self, force: bool = False) -> Any:
        if getattr(self, "test_function", None) is None or force:
            self.test_function = self._make_step_function(self.test_step)
        return self.test_function

    def make_predict_function(self, force: bool = False) -> Any:
        if getattr(self, "predict_function", None) is None or force:
            step = self.predict_step

            def predict_steps(batches: Any) -> Any:
                return [step(batch) for batch in batches]

            self.predict_function = predict_steps if getattr(self, "run_eagerly", False) \
                else tf.function(predict_steps, reduce_retracing=True,
                                 jit_compile=self.jit_compile is True)
        return self.predict_function

    def _chunks(self, data: Iterable[Any]) -> Iterator[Tuple[Any, ...]]:
        """Batches as tensors, ``steps_per_execution`` at a time."""
        n = max(1, int(getattr(self, "steps_per_execution", 1)))
        chunk: List[Any] = []
        for batch in data:
            if type(batch) is tuple:
                chunk.append(tuple([tf.convert_to_tensor(a) if isinstance(a, np.ndarray)
                                    else a for a in batch]))
            else:
                chunk.append(tf.nest.map_structure(
                    lambda a: tf.convert_to_tensor(a) if isinstance(a, np.ndarray) else a,
                    batch))
            if len(chunk) == n:
                yield tuple(chunk)
                chunk = []
        if chunk:
            yield tuple(chunk)

    def _metrics_result_or_logs(self, logs: Any) -> Any:
        """What an epoch reports: the metrics' results, or the last step's own dict
        when a custom train_step returned one (its values, as the user computed them)."""
        if logs is None or isinstance(logs, _LazyResults):
            return self.get_metrics_result()
        return logs

    # -- loops --------------------------------------------------------------------
    @staticmethod
    def _floats(logs: Dict[str, Any]) -> Dict[str, float]:
        return dict(sorted((k, float(np.asarray(v))) for k, v in logs.items()))

    def _callbacks(self, callbacks: Any, verbose: int, epochs: int, steps: Optional[int],
                   add_history: bool) -> callbacks_module.CallbackList:
        # As Keras 3: user callbacks first (they may add to the logs), then History,
        # then the progress bar.
        cbs = list(callbacks or [])
        if add_history and not any(isinstance(c, callbacks_module.History) for c in cbs):
            cbs.append(callbacks_module.History())
        if verbose and not any(isinstance(c, callbacks_module.ProgbarLogger) for c in cbs):
            cbs.append(callbacks_module.ProgbarLogger())
        return callbacks_module.CallbackList(cbs, model=self, verbose=verbose, epochs=epochs,
                                             steps=steps)

    def fit(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None,
            epochs: int = 1, verbose: Any = "auto", callbacks: Any = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: Any = True,
            class_weight: Any = None, sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: Optional[int] = None, validation_steps: Optional[int] = None,
            validation_batch_size: Optional[int] = None, validation_freq: int = 1) -> Any:
        """Trains for `epochs` epochs and returns a History (Keras 3's arguments)."""
        self._ensure_compiled()
        verbose = 1 if verbose == "auto" else int(verbose)
        arrays = data_adapters.can_convert_arrays((x, y, sample_weight))
        if validation_split and validation_data is None:
            if not arrays:
                raise ValueError("`validation_split` is only supported for Tensors or NumPy "
                                 f"arrays. Found incompatible type in the input: "
                                 f"{type(x)}")
            if not 0 < validation_split < 1:
                raise ValueError(f"`validation_split` must be in [0, 1). Received: "
                                 f"validation_split={validation_split}")
            x, y, sample_weight = (data_adapters._to_numpy(x), data_adapters._to_numpy(y),
                                   data_adapters._to_numpy(sample_weight))
            data_adapters.check_data_cardinality((x, y, sample_weight))
            n = _num_samples(x)
            split = int(n * (1.0 - validation_split))
            take = data_adapters._take
            validation_data = (take(x, slice(split, None)), take(y, slice(split, None)),
                               take(sample_weight, slice(split, None)))
            x, y, sample_weight = (take(x, slice(0, split)), take(y, slice(0, split)),
                                   take(sample_weight, slice(0, split)))
        if class_weight is not None and arrays and y is not None:
            sample_weight = data_adapters.class_weight_to_sample_weights(
                y, class_weight, sample_weight)
            class_weight = None
        adapter = get_data_adapter(x, y, sample_weight, batch_size, steps_per_epoch,
                                   shuffle, class_weight)
        epochs_data = EpochIterator(adapter, steps_per_epoch)
        cbs = self._callbacks(callbacks, verbose, epochs, epochs_data.num_batches,
                              add_history=True)
        self.stop_training = False
        cbs.on_train_begin()
        epoch_logs: Dict[str, float] = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.params["steps"] = epochs_data.num_batches
            cbs.on_epoch_begin(epoch)
            step = -1
            logs: Any = None
            batch_logs = verbose == 1 and _terminal() or any(
                not isinstance(c, (callbacks_module.History, callbacks_module.ProgbarLogger))
                for c in cbs.callbacks)
            train_function = self.make_train_function()
            for chunk in self._chunks(epochs_data.epoch()):
                step += 1
                cbs.on_train_batch_begin(step)
                logs = train_function(chunk)
                if logs is None:
                    logs = self.get_metrics_result()
                step += len(chunk) - 1
                # Per-batch values cost a few ops per metric: only when someone reads them.
                cbs.on_train_batch_end(step, self._floats(logs) if batch_logs else {})
                if self.stop_training:
                    break
            if step < 0:  # no data left for this epoch (an exhausted generator): stop,
                break     # reporting nothing for steps that never ran
            epoch_logs = self._floats(self._metrics_result_or_logs(logs))
            if validation_data is not None and (epoch + 1) % validation_freq == 0:
                # The callbacks see the validation's test hooks, as in Keras (History and
                # the progress bar ignore them: without others, evaluate's fast path).
                watchers = cbs if any(
                    not isinstance(c, (callbacks_module.History,
                                       callbacks_module.ProgbarLogger))
                    for c in cbs.callbacks) else None
                val = self._validate(validation_data, validation_batch_size or batch_size,
                                     validation_steps, watchers)
                epoch_logs.update({f"val_{k}": v for k, v in val.items()})
                epoch_logs = dict(sorted(epoch_logs.items()))
            cbs.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cbs.on_train_end(epoch_logs)
        return self.history

    def _validate(self, validation_data: Any, batch_size: Optional[int],
                  steps: Optional[int], callbacks: Any = None) -> Dict[str, float]:
        """evaluate() on fit's validation data: ``(x, y[, sample_weight])`` arrays, or a
        Dataset, PyDataset or generator of batches."""
        if isinstance(validation_data, tuple) and not isinstance(
                validation_data, (tf.data.Dataset, data_adapters.PyDataset)):
            vx, vy, vsw = _unpack(validation_data)
            kwargs: Dict[str, Any] = dict(x=vx, y=vy, sample_weight=vsw)
        else:
            kwargs = dict(x=validation_data)
        self._in_fit = True
        try:
            return self.evaluate(batch_size=batch_size, steps=steps, verbose=0,
                                 return_dict=True, callbacks=callbacks, **kwargs)
        finally:
            self._in_fit = False

    def evaluate(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: Optional[int] = None,
                 callbacks: Any = None, return_dict: bool = False, **kwargs: Any) -> Any:
        """The loss and metrics over data: ``[loss, *metrics]``, a float with no metric,
        or a dict with ``return_dict``."""
        self._ensure_compiled()
        verbose = 1 if verbose == "auto" else int(verbose)
        if (verbose == 0 and callbacks is None and steps is None and hasattr(x, "shape") and
                type(self).test_step is Model.test_step and len(x) and
                int(np.prod(x.shape)) <= (1 << 20)):
            # Nothing watches the batches and losses/metrics accumulate over rows, so small
            # inputs take one batch: the same values up to float rounding, a fraction of
            # the time.
            batch_size = len(x)
        data = EpochIterator(get_data_adapter(x, y, sample_weight, batch_size, steps),
                             steps)
        if isinstance(callbacks, callbacks_module.CallbackList):
            cbs = callbacks  # fit's own (its validation): the callbacks see the test hooks
        elif isinstance(callbacks, list) and callbacks and isinstance(
                callbacks[0], callbacks_module.Callback):
            cbs = callbacks_module.CallbackList(callbacks, model=self, verbose=verbose,
                                                steps=data.num_batches)
        else:
            cbs = self._callbacks(callbacks, verbose, 1, data.num_batches, add_history=False)
        self.reset_metrics()
        cbs.on_test_begin()
        logs: Dict[str, float] = {}
        test_function = self.make_test_function()
        step = -1
        for chunk in self._chunks(data.epoch()):
            step += 1
            cbs.on_test_batch_begin(step)
            out = test_function(chunk)
            logs = self._floats(self.get_metrics_result() if out is None else out)
            step += len(chunk) - 1
            cbs.on_test_batch_end(step, logs)
        logs = self._floats(self.get_metrics_result())
        cbs.on_test_end(logs)
        if return_dict:
            return logs
        ordered = [logs[m.name] for m in self.metrics if m.name in logs]
        return ordered[0] if len(ordered) == 1 else ordered

    def predict(self, x: Any, batch_size: Optional[int] = None, verbose: Any = "auto",
                steps: Optional[int] = None, callbacks: Any = None) -> Any:
        """Model outputs for x as numpy, batch by batch. Rows never interact in inference,
        so with nothing watching (verbose=0, no callbacks, no custom predict_step) small
        arrays take one call: the same numbers, without the per-batch overhead."""
        verbose = 1 if verbose == "auto" else int(verbose)
        if (verbose == 0 and callbacks is None and steps is None and
                type(self).predict_step is Model.predict_step and hasattr(x, "shape") and
                int(np.prod(x.shape)) <= (1 << 20)):
            out = self(x, training=False)
            if not isinstance(out, (list, tuple, dict)):
                return np.asarray(out).copy()
        data = EpochIterator(get_data_adapter(x, None, None, batch_size, steps), steps)
        cbs = self._callbacks(callbacks, verbose, 1, data.num_batches, add_history=False)
        cbs.on_predict_begin()
        outs: List[Any] = []
        predict_function = self.make_predict_function()
        step = -1
        for chunk in self._chunks(data.epoch()):
            step += 1
            cbs.on_predict_batch_begin(step)
            batch_outputs = predict_function(chunk)
            outs.extend(batch_outputs)
            step += len(chunk) - 1
            cbs.on_predict_batch_end(step, {"outputs": batch_outputs[-1]})
        cbs.on_predict_end()
        if not outs:
            return np.zeros((0,), np.float32)
        if isinstance(outs[0], (list, tuple)):
            return [np.concatenate([np.asarray(o[i]) for o in outs]) for i in range(len(outs[0]))]
        if isinstance(outs[0], dict):
            return {k: np.concatenate([np.asarray(o[k]) for o in outs]) for k in outs[0]}
        return np.concatenate([np.asarray(o) for o in outs]) if len(outs) > 1 else \
            np.asarray(outs[0]).copy()

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None, return_dict: bool = False) -> Any:
        self._ensure_compiled()
        self.reset_metrics()
        logs = self._floats(self.train_step((x, y, sample_weight)))
        return logs if return_dict else self._ordered(logs)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        self._ensure_compiled()
        self.reset_metrics()
        logs = self._floats(self.test_step((x, y, sample_weight)))
        return logs if return_dict else self._ordered(logs)

    def predict_on_batch(self, x: Any) -> Any:
        out = self.predict_step((x,))
        return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else np.asarray(out)

    def _ordered(self, logs: Dict[str, float]) -> Any:
        ordered = [logs[m.name] for m in self.metrics if m.name in logs]
        return ordered[0] if len(ordered) == 1 else ordered

    # -- inspection -----------------------------------------------------------------
    def summary(self, line_length: Optional[int] = None, positions: Any = None,
                print_fn: Any = None, expand_nested: bool = False,
                show_trainable: bool = False, layer_range: Any = None) -> None:
        """Prints Keras 3's boxed table of layers, output shapes and parameter counts."""
        from tapeflow.keras.models.summary import summary_text

        text = summary_text(self)
        (print_fn or print)(text)

    def get_weights(self) -> List[np.ndarray]:
        return [w.numpy() for w in self.weights]

    def get_compile_config(self) -> Optional[Dict[str, Any]]:
        return getattr(self, "_compile_config", None) if self.compiled else None

    # -- saving (implemented in tapeflow.keras.saving) ------------------------------
    def save(self, filepath: Any, overwrite: bool = True, zipped: Optional[bool] = None,
             **kwargs: Any) -> None:
        """Saves the model as a Keras 3 ``.keras`` file (``keras.saving.save_model``)."""
        from tapeflow.keras.saving import saving_api

        saving_api.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def export(self, filepath: Any, format: str = "tf_saved_model", verbose: bool = True,
               input_signature: Any = None, **kwargs: Any) -> None:
        """Writes the model for inference as a SavedModel folder with a ``serve``
        endpoint (Keras 3's ``Model.export``; see tapeflow/keras/export.py). Only
        ``format="tf_saved_model"``; ONNX export is ``tapeflow.onnx`` (not yet)."""
        if format != "tf_saved_model":
            raise ValueError(f"Unrecognized format={format}; tapeflow supports "
                             "format='tf_saved_model'")
        from tapeflow.keras import export as export_lib

        export_lib.export_saved_model(self, filepath, verbose=verbose,
                                      input_signature=input_signature)

    def save_weights(self, filepath: Any, overwrite: bool = True,
                     max_shard_size: Any = None) -> None:
        """Saves the weights to a ``.weights.h5`` file (``keras.saving.save_weights``)."""
        from tapeflow.keras.saving import saving_api

        saving_api.save_weights(self, filepath, overwrite=overwrite,
                                max_shard_size=max_shard_size)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Loads weights from a ``.weights.h5`` or ``.keras`` file
        (``keras.saving.load_weights``)."""
        from tapeflow.keras.saving import saving_api

        saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)


def _functional_init_arguments(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> bool:
    """Keras's functional_init_arguments: Model(inputs, outputs) in any spelling."""
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs) or
            ("inputs" in kwargs and "outputs" in kwargs))


def _inject_functional(cls: type, functional: type) -> None:
    """Replaces Model by Functional in the bases of ``cls`` and its Model ancestors
    (Keras's ``inject_functional_model_class``)."""
    if cls is Model or cls is functional or issubclass(cls, functional):
        return
    cls.__bases__ = tuple(functional if b is Model else b for b in cls.__bases__)
    for base in cls.__bases__:
        if isinstance(base, type) and issubclass(base, Model):
            _inject_functional(base, functional)


def _terminal() -> bool:
    import sys

    return hasattr(sys.stdout, "isatty") and sys.stdout.isatty()


def _optimizer_variables(model: Any) -> List[Any]:
    opt = getattr(model, "optimizer", None)
    return list(getattr(opt, "variables", []) or []) if opt is not None else []
