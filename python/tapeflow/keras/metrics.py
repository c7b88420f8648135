"""``keras.metrics``: Keras 3's stateful metrics on tapeflow.

A metric keeps its state in non-trainable ``tf.Variable``s: ``update_state`` adds a
batch, ``result`` reads the value, ``reset_state`` zeroes it. The inputs of an update
are cut from any active GradientTape (``tf.stop_gradient``), and variable assignments
are never recorded, so updating a metric inside a training step costs the tape nothing.
Numbers follow Keras 3 with its TensorFlow backend, including AUC's bucketed
confusion counts on 200 evenly spaced thresholds.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import tapeflow as tf
from tapeflow.keras.utils.registry import deserialize_object, register_builtins
from tapeflow.keras.layers.layer import KerasVariable
from tapeflow.keras import losses as _losses
from tapeflow.keras.losses import (  # noqa: F401 - Keras exports these as metrics too
    binary_crossentropy, categorical_crossentropy, categorical_hinge, cosine_similarity,
    hinge, huber, kl_divergence, log_cosh, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error,
    poisson, sparse_categorical_crossentropy, squared_hinge)
from tapeflow.keras.losses import (
    EPSILON, FLOATX, auto_name, squeeze_or_expand_to_same_rank, standardize_dtype,
    to_snake_case, to_tensor)

NEG_INF = -1e10  # the threshold Precision/Recall use with top_k


# ---- base classes --------------------------------------------------------------------
class Metric:
    """Base class of metrics (``keras.metrics.Metric``).

    Subclasses create their state in ``__init__`` with ``add_variable`` and implement
    ``update_state`` (assigning to the variables) and ``result``.

    Args:
        dtype: Dtype of the state and the computation; float32 by default.
        name: Name of the metric; the snake-cased class name (made unique) by default.
    """

    def __init__(self, dtype: Any = None, name: Optional[str] = None) -> None:
        self.name = name or auto_name(self.__class__.__name__)
        self._dtype = standardize_dtype(dtype)
        self._metrics: List["Metric"] = []
        self._variables: List[tf.Variable] = []

    def __setattr__(self, name: str, value: Any) -> None:
        # Tracks state assigned as attributes, as Keras's Tracker does.
        if "_variables" in self.__dict__:
            if isinstance(value, tf.Variable):
                if not any(v is value for v in self._variables):
                    self._variables.append(value)
            elif isinstance(value, Metric) and value is not self:
                if not any(m is value for m in self._metrics):
                    self._metrics.append(value)
        object.__setattr__(self, name, value)

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def variables(self) -> List[tf.Variable]:
        """The state variables (non-trainable), this metric's then its sub-metrics'."""
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def add_variable(self, shape: Any, initializer: Any, dtype: Any = None,
                     aggregation: str = "sum",
                     name: Optional[str] = None) -> tf.Variable:
        """Creates a non-trainable state variable; `initializer` is "zeros", "ones", a
        number, or a callable ``(shape, dtype)`` such as a Keras initializer."""
        if "_variables" not in self.__dict__:
            raise RuntimeError("You forgot to call `super().__init__()` in the "
                               "`__init__()` method. Go add it!")
        dtype = standardize_dtype(dtype or self._dtype)
        value = _initial_value(initializer, tuple(shape or ()), dtype)
        name = name or "variable"
        variable = MetricVariable(value, name=name, path=f"{self.name}/{name}",
                                  dtype=dtype)
        self._variables.append(variable)
        return variable

    def add_weight(self, shape: Any = (), initializer: Any = None, dtype: Any = None,
                   name: Optional[str] = None) -> tf.Variable:
        """Alias of ``add_variable``."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype,
                                 name=name)

    def reset_state(self) -> None:
        """Sets every state variable back to zeros."""
        for v in self.variables:
            v.assign(tf.zeros(tuple(v.shape), dtype=v.dtype))

    def update_state(self, *args: Any, **kwargs: Any) -> Any:
        """Accumulates a batch; implemented by subclasses."""
        raise NotImplementedError

    def result(self) -> Any:
        """The current value (a scalar Tensor); implemented by subclasses."""
        raise NotImplementedError

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Updates the state with a batch and returns the new result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} name={self.name}>"

    __str__ = __repr__


def MetricVariable(value: Any, name: str, path: str, dtype: Any = None) -> KerasVariable:
    """A metric's state: a non-trainable weight with Keras's ``name`` ('total') and
    ``path`` ('mean/total')."""
    return KerasVariable(tf.convert_to_tensor(value, dtype=dtype), False, name, path)


def _initial_value(initializer: Any, shape: Tuple[int, ...], dtype: str) -> Any:
    if initializer is None or (isinstance(initializer, str) and initializer.lower() in (
            "zeros", "zero")):
        return tf.zeros(shape, dtype=dtype)
    if isinstance(initializer, str) and initializer.lower() in ("ones", "one"):
        return tf.ones(shape, dtype=dtype)
    if isinstance(initializer, (int, float)):
        return tf.fill(shape, tf.constant(initializer, dtype=dtype))
    if callable(initializer):
        return tf.cast(initializer(shape, dtype=dtype), dtype)
    raise ValueError(f"Could not interpret initializer identifier: {initializer}")


def _no_tape(x: Any) -> tf.Tensor:
    """x as a Tensor that active GradientTapes will not follow."""
    return tf.stop_gradient(tf.convert_to_tensor(x))


def reduce_to_samplewise_values(
    values: Any, sample_weight: Any, reduce_fn: Callable[..., Any], dtype: Any
) -> Tuple[tf.Tensor, Optional[tf.Tensor]]:
    """Weights values per sample as Keras does: extra trailing axes are reduced with
    `reduce_fn` down to the weights' rank, then everything to one value per sample."""
    values = tf.cast(values, dtype)
    if sample_weight is not None:
        sample_weight = to_tensor(_no_tape(sample_weight), dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = len(sample_weight.shape), len(values.shape)
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=list(range(weight_ndim, values_ndim)))
        sample_weight = tf.broadcast_to(sample_weight, tuple(values.shape))
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, weight_ndim)))
    values_ndim = len(values.shape)
    if values_ndim > 1:
        values = reduce_fn(values, axis=list(range(1, values_ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values seen (``keras.metrics.Sum``)."""

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = reduce_to_samplewise_values(_no_tape(values), sample_weight,
                                                tf.reduce_sum, self.dtype)
        self.total.assign_add(tf.reduce_sum(values))

    def reset_state(self) -> None:
        self.total.assign(tf.zeros((), dtype=self.total.dtype))

    def result(self) -> tf.Tensor:
        return tf.cast(tf.convert_to_tensor(self.total), self.dtype)


class Mean(Metric):
    """The (weighted) mean of the values seen: sum(w * v) / sum(w)
    (``keras.metrics.Mean``)."""

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        if (type(values) is tf.Tensor and values.ndim == 0 and
                type(sample_weight) in (int, float) and values.dtype.name == self.dtype):
            # A scalar with a number as weight (fit's loss tracker): total += v * w,
            # count += w, the same arithmetic as the general path in two ops.
            w = float(sample_weight)
            self.total.assign_add(tf.stop_gradient(values) * w)
            self.count.assign_add(w)
            return
        values, sample_weight = reduce_to_samplewise_values(
            _no_tape(values), sample_weight, tf.reduce_mean, self.dtype)
        self.total.assign_add(tf.reduce_sum(values))
        if sample_weight is not None:
            num_samples = tf.reduce_sum(sample_weight)
        elif len(values.shape) >= 1:
            num_samples = tf.constant(float(values.shape[0]), dtype=self.dtype)
        else:
            num_samples = tf.constant(1.0, dtype=self.dtype)
        self.count.assign_add(tf.cast(num_samples, self.dtype))

    def reset_state(self) -> None:
        self.total.assign(tf.zeros((), dtype=self.total.dtype))
        self.count.assign(tf.zeros((), dtype=self.count.dtype))

    def result(self) -> tf.Tensor:
        count = tf.cast(tf.convert_to_tensor(self.count), self.dtype)
        return tf.math.divide_no_nan(tf.convert_to_tensor(self.total), count)


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen
    (``keras.metrics.MeanMetricWrapper``)."""

    def __init__(self, fn: Callable[..., Any], name: Optional[str] = None,
                 dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(name=name, dtype=dtype)  # type: ignore[arg-type]
        self._fn = fn
        self._fn_kwargs = kwargs
        if fn in _losses.ALL_OBJECTS or type(fn) in _losses.ALL_OBJECTS:
            self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        values = self._fn(_no_tape(y_true), _no_tape(y_pred), **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["fn"] = _serialize_function(self._fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Metric":
        config = dict(config)
        if "fn" in config:
            config["fn"] = _deserialize_function(config["fn"])
        return cls(**config)


# ---- accuracy ------------------------------------------------------------------------
def accuracy(y_true: Any, y_pred: Any) -> tf.Tensor:
    """1.0 where y_true == y_pred, else 0.0."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return tf.cast(tf.equal(y_true, y_pred), FLOATX)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> tf.Tensor:
    """1.0 where y_true equals (y_pred > threshold), else 0.0."""
    y_pred = tf.convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = tf.cast(y_pred, FLOATX)
    y_true = tf.convert_to_tensor(y_true)
    if tf.is_tensor(threshold):
        threshold = tf.cast(threshold, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = tf.cast(tf.greater(y_pred, threshold), y_true.dtype)
    return tf.cast(tf.equal(y_true, y_pred), FLOATX)


def categorical_accuracy(y_true: Any, y_pred: Any) -> tf.Tensor:
    """1.0 where argmax(y_true) == argmax(y_pred) along the last axis, else 0.0."""
    y_true = tf.argmax(y_true, axis=-1)
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    org_shape = tuple(y_true.shape)
    reshape_matches = False
    if len(y_true.shape) == len(y_pred.shape):
        y_true = tf.squeeze(y_true, -1)
        reshape_matches = True
    y_pred = tf.cast(tf.argmax(y_pred, axis=-1), y_true.dtype)
    matches = tf.cast(tf.equal(y_true, y_pred), FLOATX)
    return tf.reshape(matches, org_shape) if reshape_matches else matches


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> tf.Tensor:
    """1.0 where the integer label y_true == argmax(y_pred, axis=-1), else 0.0."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    org_shape = tuple(y_true.shape)
    reshape_matches = False
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, -1)
        reshape_matches = True
    y_pred = tf.cast(tf.argmax(y_pred, axis=-1), y_true.dtype)
    matches = tf.cast(tf.equal(y_true, y_pred), FLOATX)
    if reshape_matches:
        matches = tf.reshape(matches, org_shape)
    if len(matches.shape) > 1 and matches.shape[-1] == 1:
        matches = tf.squeeze(matches, -1)
    return matches


def _top_k_mask(x: tf.Tensor, k: int) -> tf.Tensor:
    """1.0 at the k largest entries of the last axis (ties: lower index first, as
    ``tf.math.top_k``), 0.0 elsewhere."""
    n = int(x.shape[-1])
    xi = tf.expand_dims(x, -1)  # [..., i, 1]
    xj = tf.expand_dims(x, -2)  # [..., 1, j]
    earlier = tf.constant(np.tril(np.ones((n, n), dtype=bool), -1))  # [i, j]: j < i
    ahead = tf.logical_or(tf.greater(xj, xi), tf.logical_and(tf.equal(xj, xi), earlier))
    rank = tf.reduce_sum(tf.cast(ahead, "int32"), axis=-1)
    return tf.cast(tf.less(rank, k), x.dtype)


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> tf.Tensor:
    """1.0 where the true class (argmax of y_true) is among the k top predictions."""
    y_pred = tf.convert_to_tensor(y_pred)
    return sparse_top_k_categorical_accuracy(tf.argmax(y_true, axis=-1), y_pred, k=k)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any,
                                      k: int = 5) -> tf.Tensor:
    """1.0 where the integer label is among the k top predictions."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(tf.convert_to_tensor(y_true), "int32")
    org_shape = tuple(y_true.shape)
    n = int(y_pred.shape[-1])
    y_pred = tf.reshape(y_pred, (-1, n))
    y_true = tf.reshape(y_true, (-1,))
    if len(org_shape) == 2 and org_shape[-1] == 1:
        org_shape = org_shape[:1]
    # As tf.math.in_top_k: classes tied with the k-th score all count as in the top k.
    target = tf.reduce_sum(tf.one_hot(y_true, n, dtype=y_pred.dtype) * y_pred, axis=-1)
    above = tf.cast(y_pred > tf.expand_dims(target, -1), "int32")
    ahead = tf.reduce_sum(above, axis=-1)
    matches = tf.cast(ahead < k, FLOATX)
    return tf.reshape(matches, org_shape) if len(org_shape) > 1 else matches


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels (``keras.metrics.Accuracy``)."""

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often (y_pred > threshold) equals the 0/1 label
    (``keras.metrics.BinaryAccuracy``)."""

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None,
                 threshold: float = 0.5) -> None:
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype,
                         threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) matches the one-hot label
    (``keras.metrics.CategoricalAccuracy``)."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) matches the integer label
    (``keras.metrics.SparseCategoricalAccuracy``)."""

    def __init__(self, name: str = "sparse_categorical_accuracy",
                 dtype: Any = None) -> None:
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the k top predictions."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy",
                 dtype: Any = None) -> None:
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the k top predictions."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype: Any = None) -> None:
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype,
                         k=k)
        self.k = k
        self._direction = "up"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


# ---- regression and probabilistic metrics --------------------------------------------
def _wrapper_class(cls_name: str, fn: Callable[..., Any], default_name: str,
                   direction: str, doc: str) -> type:
    """A MeanMetricWrapper subclass with Keras's ``(name, dtype)`` signature."""

    def __init__(self: MeanMetricWrapper, name: str = default_name,
                 dtype: Any = None) -> None:
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype)
        self._direction = direction

    def get_config(self: MeanMetricWrapper) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    return type(cls_name, (MeanMetricWrapper,), {
        "__init__": __init__, "get_config": get_config, "__doc__": doc,
        "__module__": __name__})


MeanSquaredError = _wrapper_class(
    "MeanSquaredError", mean_squared_error, "mean_squared_error", "down",
    "The mean of square(y_true - y_pred) (``keras.metrics.MeanSquaredError``).")
MeanAbsoluteError = _wrapper_class(
    "MeanAbsoluteError", mean_absolute_error, "mean_absolute_error", "down",
    "The mean of abs(y_true - y_pred) (``keras.metrics.MeanAbsoluteError``).")
MeanAbsolutePercentageError = _wrapper_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "down", "The mean absolute percentage error.")
MeanSquaredLogarithmicError = _wrapper_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "down", "The mean squared logarithmic error.")
LogCoshError = _wrapper_class("LogCoshError", log_cosh, "logcosh", "down",
                              "The mean of log(cosh(y_pred - y_true)).")
KLDivergence = _wrapper_class("KLDivergence", kl_divergence, "kl_divergence", "down",
                              "The mean Kullback-Leibler divergence.")
Poisson = _wrapper_class("Poisson", poisson, "poisson", "down",
                         "The mean Poisson loss.")
Hinge = _wrapper_class("Hinge", hinge, "hinge", "down", "The mean hinge loss.")
SquaredHinge = _wrapper_class("SquaredHinge", squared_hinge, "squared_hinge", "down",
                              "The mean squared hinge loss.")
CategoricalHinge = _wrapper_class("CategoricalHinge", categorical_hinge,
                                  "categorical_hinge", "down",
                                  "The mean categorical hinge loss.")


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity of y_true and y_pred along `axis`."""

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(_cosine, name=name, dtype=dtype, axis=axis)
        self._direction = "up"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


def _cosine(y_true: Any, y_pred: Any, axis: int = -1) -> tf.Tensor:
    return -cosine_similarity(y_true, y_pred, axis=axis)


class RootMeanSquaredError(Mean):
    """sqrt of the (weighted) mean of square(y_pred - y_true)."""

    def __init__(self, name: str = "root_mean_squared_error",
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = to_tensor(_no_tape(y_true), self.dtype)
        y_pred = to_tensor(_no_tape(y_pred), self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(tf.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> tf.Tensor:
        return tf.sqrt(super().result())


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary crossentropy (``keras.metrics.BinaryCrossentropy``)."""

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0) -> None:
        super().__init__(binary_crossentropy, name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self._direction = "down"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical crossentropy (``keras.metrics.CategoricalCrossentropy``)."""

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0,
                 axis: int = -1) -> None:
        super().__init__(categorical_crossentropy, name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self._direction = "down"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean sparse categorical crossentropy
    (``keras.metrics.SparseCategoricalCrossentropy``)."""

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, ignore_class: Optional[int] = None,
                 axis: int = -1) -> None:
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis
        self._direction = "down"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}


# ---- confusion-matrix metrics --------------------------------------------------------
TP, FP, TN, FN = "tp", "fp", "tn", "fn"


def _to_list(x: Any) -> List[Any]:
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return [x]


def parse_init_thresholds(thresholds: Any,
                          default_threshold: float = 0.5) -> List[float]:
    """The thresholds as a list, checked to lie in [0, 1]."""
    if thresholds is not None:
        bad = [t for t in _to_list(thresholds) if t is None or t < 0 or t > 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return _to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds: Any) -> bool:
    """True for 3 or more thresholds spaced as i / (n - 1) (AUC's fast path)."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _flat_weights(weights: Optional[tf.Tensor], like: tf.Tensor,
                  multi_label: bool) -> Optional[tf.Tensor]:
    if weights is None:
        return None
    weights = tf.broadcast_to(tf.cast(weights, like.dtype), tuple(like.shape))
    return weights if multi_label else tf.reshape(weights, (-1,))


def _update_bucketed(variables: Dict[str, tf.Variable], y_true: tf.Tensor,
                     y_pred: tf.Tensor, num_thresholds: int, multi_label: bool,
                     sample_weight: Any,
                     label_weights: Any, thresholds_with_epsilon: bool) -> None:
    """Confusion counts for evenly spaced thresholds, as Keras's optimized path: each
    prediction goes to bucket ceil(p * (n - 1)) - 1 and counts as positive at every
    threshold up to its bucket."""
    dtype = y_pred.dtype
    sw = _flat_weights(sample_weight, y_pred, multi_label)
    lw = None
    if label_weights is not None:
        lw = _flat_weights(tf.expand_dims(tf.cast(label_weights, dtype), 0), y_pred,
                           multi_label)
    y_pred = tf.clip_by_value(y_pred, 0.0, 1.0)
    y_true = tf.cast(tf.cast(y_true, "bool"), dtype)
    if not multi_label:
        y_true = tf.reshape(y_true, (-1,))
        y_pred = tf.reshape(y_pred, (-1,))
    true_labels, false_labels = y_true, 1.0 - y_true
    for w in (sw, lw):
        if w is not None:
            true_labels = true_labels * w
            false_labels = false_labels * w
    buckets = tf.math.ceil(y_pred * float(num_thresholds - 1)) - 1.0
    if thresholds_with_epsilon:
        buckets = tf.maximum(buckets, 0.0)
    # at_or_above[..., i] = 1 where the prediction counts as positive at threshold i
    indices = tf.range(num_thresholds, dtype=dtype)
    at_or_above = tf.cast(tf.expand_dims(buckets, -1) >= indices, dtype)
    if multi_label:  # [N, L, T] -> [T, L]
        tp = tf.transpose(
            tf.reduce_sum(tf.expand_dims(true_labels, -1) * at_or_above, 0))
        fp = tf.transpose(
            tf.reduce_sum(tf.expand_dims(false_labels, -1) * at_or_above, 0))
        total_true = tf.reduce_sum(true_labels, 0)
        total_false = tf.reduce_sum(false_labels, 0)
    else:
        tp = tf.reshape(tf.matmul(tf.reshape(true_labels, (1, -1)), at_or_above),
                        (-1,))
        fp = tf.reshape(tf.matmul(tf.reshape(false_labels, (1, -1)), at_or_above),
                        (-1,))
        total_true = tf.reduce_sum(true_labels)
        total_false = tf.reduce_sum(false_labels)
    if TP in variables:
        variables[TP].assign_add(tp)
    if FP in variables:
        variables[FP].assign_add(fp)
    if TN in variables:
        variables[TN].assign_add(total_false - fp)
    if FN in variables:
        variables[FN].assign_add(total_true - tp)


def update_confusion_matrix_variables(
    variables: Dict[str, tf.Variable], y_true: Any, y_pred: Any,
    thresholds: Sequence[float], top_k: Optional[int] = None,
    class_id: Optional[int] = None, sample_weight: Any = None,
    multi_label: bool = False, label_weights: Any = None,
    thresholds_distributed_evenly: bool = False,
) -> None:
    """Adds a batch's weighted true/false positive/negative counts, per threshold, to
    the variables keyed "tp", "fp", "tn", "fn" (positive: y_pred > threshold)."""
    if multi_label and label_weights is not None:
        raise ValueError("`label_weights` for multilabel data should be handled "
                         "outside of `update_confusion_matrix_variables` when "
                         "`multi_label` is True.")
    dtype = next(iter(variables.values())).dtype
    y_true = tf.cast(_no_tape(y_true), dtype)
    y_pred = tf.cast(_no_tape(y_pred), dtype)
    thresholds = [float(t) for t in thresholds]
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = tf.expand_dims(tf.cast(_no_tape(sample_weight), dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
    if top_k is not None:
        mask = _top_k_mask(y_pred, top_k)
        y_pred = y_pred * mask + NEG_INF * (1.0 - mask)
    if class_id is not None:
        if len(y_pred.shape) == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array "
                             "with shape (num_samples, num_classes), found shape: "
                             f"{y_pred.shape}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if thresholds_distributed_evenly:
        with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        _update_bucketed(variables, y_true, y_pred, len(thresholds), multi_label,
                         sample_weight, label_weights, with_epsilon)
        return
    n = len(thresholds)
    if multi_label:  # [T, N, L]
        preds = tf.expand_dims(y_pred, 0)
        labels = tf.expand_dims(tf.cast(y_true, "bool"), 0)
        thresh = tf.reshape(tf.constant(thresholds, dtype=dtype), (n, 1, 1))
    else:  # [T, N * L]
        preds = tf.reshape(y_pred, (1, -1))
        labels = tf.reshape(tf.cast(y_true, "bool"), (1, -1))
        thresh = tf.reshape(tf.constant(thresholds, dtype=dtype), (n, 1))
    weights = None
    if sample_weight is not None:
        weights = tf.reshape(tf.broadcast_to(sample_weight, tuple(y_pred.shape)),
                             tuple(preds.shape))
    if label_weights is not None and not multi_label:
        lw = tf.broadcast_to(tf.expand_dims(tf.cast(label_weights, dtype), 0),
                             tuple(y_pred.shape))
        lw = tf.reshape(lw, tuple(preds.shape))
        weights = lw if weights is None else weights * lw
    pred_pos = tf.greater(preds, thresh)
    pred_neg = tf.logical_not(pred_pos)
    label_neg = tf.logical_not(labels)
    conditions = {TP: (labels, pred_pos), FP: (label_neg, pred_pos),
                  TN: (label_neg, pred_neg), FN: (labels, pred_neg)}
    for key, variable in variables.items():
        label, pred = conditions[key]
        hit = tf.logical_and(label, pred)
        if weights is None:
            counts = tf.cast(hit, dtype)
        else:
            counts = tf.where(hit, tf.broadcast_to(weights, tuple(hit.shape)),
                              tf.zeros(tuple(hit.shape), dtype=dtype))
        variable.assign_add(tf.reduce_sum(counts, 1))


class _ConfusionMatrixConditionCount(Metric):
    """The weighted count of one confusion-matrix cell at each threshold."""

    _condition = TP

    def __init__(self, thresholds: Any = None, name: Optional[str] = None,
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(
            self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),),
                                             initializer="zeros", name="accumulator")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {self._condition: self.accumulator}, y_true, y_pred, self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight)

    def result(self) -> tf.Tensor:
        value = tf.convert_to_tensor(self.accumulator)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of positives predicted positive."""

    _condition = TP


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of negatives predicted positive."""

    _condition = FP


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of negatives predicted negative."""

    _condition = TN


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of positives predicted negative."""

    _condition = FN


class _PrecisionRecall(Metric):
    _other = FP  # the second count: fp for precision, fn for recall
    _other_name = "false_positives"

    def __init__(self, thresholds: Any = None, top_k: Optional[int] = None,
                 class_id: Optional[int] = None, name: Optional[str] = None,
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=default)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(
            self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros",
                                                name="true_positives")
        self._other_variable = self.add_variable(shape=(n,), initializer="zeros",
                                                 name=self._other_name)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds a batch: y_pred > threshold is a positive prediction."""
        update_confusion_matrix_variables(
            {TP: self.true_positives, self._other: self._other_variable},
            y_true, y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight)

    def result(self) -> tf.Tensor:
        tp = tf.convert_to_tensor(self.true_positives)
        other = tf.convert_to_tensor(self._other_variable)
        value = tf.math.divide_no_nan(tp, tp + other)
        return value[0] if len(self.thresholds) == 1 else value

    def reset_state(self) -> None:
        n = len(self.thresholds)
        self.true_positives.assign(tf.zeros((n,), dtype=self.true_positives.dtype))
        self._other_variable.assign(tf.zeros((n,), dtype=self._other_variable.dtype))

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """tp / (tp + fp) at `thresholds` (0.5 by default) (``keras.metrics.Precision``).

    Args:
        thresholds: A float or list of floats in [0, 1]; one result per threshold.
        top_k: Count only the k highest predictions of each sample as positive.
        class_id: Compute the metric for this class only.
    """

    _other = FP
    _other_name = "false_positives"

    @property
    def false_positives(self) -> tf.Variable:
        return self._other_variable


class Recall(_PrecisionRecall):
    """tp / (tp + fn) at `thresholds` (0.5 by default) (``keras.metrics.Recall``).

    Args:
        thresholds: A float or list of floats in [0, 1]; one result per threshold.
        top_k: Count only the k highest predictions of each sample as positive.
        class_id: Compute the metric for this class only.
    """

    _other = FN
    _other_name = "false_negatives"

    @property
    def false_negatives(self) -> tf.Variable:
        return self._other_variable


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC or PR curve, from confusion counts at `num_thresholds`
    evenly spaced thresholds (``keras.metrics.AUC``).

    Args:
        num_thresholds: Number of thresholds (200); the first and last are -1e-7 and
            1 + 1e-7 so that predictions of exactly 0 and 1 are counted.
        curve: "ROC" (default), "PR" or "PRGAIN".
        summation_method: "interpolation" (default), "minoring" or "majoring".
        thresholds: Explicit thresholds in [0, 1] instead of `num_thresholds`.
        multi_label: Treat each column as its own label and average the AUCs.
        num_labels: Number of labels when `multi_label` (else taken from the data).
        label_weights: Weights of the labels in the average.
        from_logits: Apply a sigmoid to the predictions first.
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: Optional[str] = None,
                 dtype: Any = None, thresholds: Optional[Sequence[float]] = None,
                 multi_label: bool = False, num_labels: Optional[int] = None,
                 label_weights: Any = None, from_logits: bool = False) -> None:
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            distributed_evenly = is_evenly_distributed_thresholds(
                np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1)
                          for i in range(num_thresholds - 2)]
            distributed_evenly = True
        curve_key = str(curve).lower()
        if curve_key not in _CURVES:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are '
                             '["PR", "ROC", "PRGAIN"]')
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError("Invalid AUC summation method value: "
                             f'"{summation_method}". Expected values are '
                             '["interpolation", "majoring", "minoring"]')
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self._thresholds_distributed_evenly = distributed_evenly
        self._thresholds = np.array(
            [0.0 - EPSILON] + list(thresholds) + [1.0 + EPSILON])
        self.curve = _CURVES[curve_key]
        self.summation_method = str(summation_method).lower()
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else tf.constant(
            np.asarray(label_weights, dtype=self.dtype))
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError(
                    "`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self) -> List[float]:
        """The thresholds, including the two at -1e-7 and 1 + 1e-7."""
        return [float(t) for t in self._thresholds]

    def _build(self, shape: Any) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError("`y_pred` must have rank 2 when `multi_label=True`. "
                                 f"Found rank {len(shape)}. Full shape received for "
                                 "`y_pred`: "
                                 f"{shape}")
            self._num_labels = int(shape[1])
            variable_shape: Tuple[int, ...] = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        def state(name: str) -> tf.Variable:
            return self.add_variable(variable_shape, "zeros", name=name)

        self.true_positives = state("true_positives")
        self.false_positives = state("false_positives")
        self.true_negatives = state("true_negatives")
        self.false_negatives = state("false_negatives")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds a batch's confusion counts at every threshold."""
        y_pred = _no_tape(y_pred)
        if not self._built:
            self._build(tuple(y_pred.shape))
        if self._from_logits:
            y_pred = tf.sigmoid(tf.cast(y_pred, self.dtype))
        update_confusion_matrix_variables(
            {TP: self.true_positives, TN: self.true_negatives, FP: self.false_positives,
             FN: self.false_negatives},
            y_true, y_pred, self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights)

    def _average(self, by_threshold: tf.Tensor) -> tf.Tensor:
        if not self.multi_label:
            return tf.reduce_sum(by_threshold)
        by_label = tf.reduce_sum(by_threshold, axis=0)
        if self.label_weights is None:
            return tf.reduce_mean(by_label)
        return tf.math.divide_no_nan(tf.reduce_sum(by_label * self.label_weights),
                                     tf.reduce_sum(self.label_weights))

    def interpolate_pr_auc(self) -> tf.Tensor:
        """PR AUC with Davis & Goadrich's interpolation of the counts (Keras's closed
        form)."""
        n = self.num_thresholds
        tp = tf.convert_to_tensor(self.true_positives)
        fp = tf.convert_to_tensor(self.false_positives)
        fn = tf.convert_to_tensor(self.false_negatives)
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = tf.math.divide_no_nan(dtp, tf.maximum(dp, 0.0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = tf.where(
            tf.logical_and(p[: n - 1] > 0, p[1:] > 0),
            tf.math.divide_no_nan(p[: n - 1], tf.maximum(p[1:], 0.0)),
            tf.ones_like(p[1:]))
        increment = tf.math.divide_no_nan(
            prec_slope * (dtp + intercept * tf.math.log(safe_p_ratio)),
            tf.maximum(tp[1:] + fn[1:], 0.0))
        return self._average(increment)

    def result(self) -> tf.Tensor:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp = tf.convert_to_tensor(self.true_positives)
        fp = tf.convert_to_tensor(self.false_positives)
        tn = tf.convert_to_tensor(self.true_negatives)
        fn = tf.convert_to_tensor(self.false_negatives)
        recall = tf.math.divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = tf.math.divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, tf.math.divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scaling = tf.math.divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * tf.math.divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * tf.math.divide_no_nan(fp, tp)
            no_tp = tf.equal(tp, 0.0)
            recall_gain = tf.where(no_tp, tf.zeros_like(recall_gain), recall_gain)
            precision_gain = tf.where(no_tp, tf.ones_like(precision_gain),
                                      precision_gain)
            x, y = tf.maximum(recall_gain, 0.0), precision_gain
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = tf.minimum(y[: n - 1], y[1:])
        else:
            heights = tf.maximum(y[: n - 1], y[1:])
        return self._average((x[: n - 1] - x[1:]) * heights)

    def reset_state(self) -> None:
        if self._built:
            for v in (self.true_positives, self.false_positives, self.true_negatives,
                      self.false_negatives):
                v.assign(tf.zeros(tuple(v.shape), dtype=v.dtype))

    def get_config(self) -> Dict[str, Any]:
        label_weights = None if self.label_weights is None else \
            self.label_weights.numpy().tolist()
        config = {"num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": label_weights, "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return {**super().get_config(), **config}


# ---- lookup --------------------------------------------------------------------------
ALL_OBJECTS = (
    Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    CosineSimilarity, LogCoshError, AUC, FalseNegatives, FalsePositives, Precision,
    Recall, TrueNegatives, TruePositives, Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence,
    Poisson, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy)
ALL_OBJECTS_DICT: Dict[str, Any] = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
})

_FUNCTIONS: Dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (
        accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
        top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)}


def _serialize_function(fn: Callable[..., Any]) -> Dict[str, Any]:
    return _losses.serialize_function(fn)


def _deserialize_function(spec: Any) -> Callable[..., Any]:
    name = spec.get("config") if isinstance(spec, dict) else spec
    if isinstance(name, str) and name in _FUNCTIONS:
        return _FUNCTIONS[name]
    return _losses.deserialize_function(spec)


def serialize(metric: Any) -> Dict[str, Any]:
    """A metric object or function as Keras's serialized dict."""
    if isinstance(metric, Metric):
        return {"module": "keras.metrics", "class_name": type(metric).__name__,
                "config": metric.get_config(), "registered_name": None}
    return _serialize_function(metric)


def deserialize(config: Any, custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """The metric described by a name or a serialized dict."""
    return deserialize_object(config, ALL_OBJECTS_DICT, "metric", _deserialize_function, custom_objects)


def get(identifier: Any) -> Any:
    """A metric from a name ("mse", "auc", "binary_accuracy", "Precision"...), a config
    dict, a function or a Metric; names give a new instance (``keras.metrics.get``).
    "accuracy"/"acc" as compile() means them are resolved by the model, not here."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier, None)
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret metric identifier: {identifier}")


register_builtins("metric", ALL_OBJECTS)
