"""``keras.optimizers.schedules``: learning rates as functions of the step.

Each schedule is called with the optimizer's ``iterations`` and computes in float32
with the same operations, in the same order, as Keras 3
(``keras/src/optimizers/schedules/learning_rate_schedule.py``).
"""

from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence

import tapeflow as tf
from tapeflow.keras.utils.registry import register_builtins


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step)`` and ``get_config()``."""

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' "
                                  "must override `__call__(self, step)`.")

    def get_config(self) -> Dict[str, Any]:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            "`get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "LearningRateSchedule":
        return cls(**config)


def _check_steps(name: str, value: Any) -> None:
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class _RateDecay(LearningRateSchedule):
    """A schedule of ``p = step / decay_steps`` (floored when ``staircase``) and a decay
    rate; subclasses say how the rate applies (``_decay(initial, rate, p)``)."""

    def __init__(self, initial_learning_rate: float, decay_steps: int,
                 decay_rate: float, staircase: bool = False, name: str = "") -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name or type(self).__name__
        _check_steps("decay_steps", decay_steps)

    def __call__(self, step: Any) -> Any:
        initial = tf.convert_to_tensor(self.initial_learning_rate)
        dtype = initial.dtype
        p = tf.cast(step, dtype) / tf.cast(self.decay_steps, dtype)
        if self.staircase:
            p = tf.floor(p)
        return self._decay(initial, tf.cast(self.decay_rate, dtype), p)

    def _decay(self, initial: Any, rate: Any, p: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (the exponent
    floored when ``staircase``)."""

    def _decay(self, initial: Any, rate: Any, p: Any) -> Any:
        return initial * tf.pow(rate, p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to ``boundaries[0]`` (inclusive), ``values[1]`` up to
    ``boundaries[1]``, ..., ``values[-1]`` after the last boundary."""

    def __init__(self, boundaries: Sequence[Any], values: Sequence[Any],
                 name: str = "PiecewiseConstant") -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> Any:
        step = tf.convert_to_tensor(step)
        boundaries = [tf.cast(b, step.dtype) for b in self.boundaries]
        values = [tf.convert_to_tensor(v) for v in self.values]
        dtype = values[0].dtype
        result = tf.zeros((), dtype)
        result += tf.cast(step <= boundaries[0], dtype) * values[0]
        result += tf.cast(step > boundaries[-1], dtype) * values[-1]
        for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            result += tf.cast(tf.logical_and(step > low, step <= high), dtype) * value
        return result

    def get_config(self) -> Dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Decays from ``initial_learning_rate`` to ``end_learning_rate`` as
    ``(1 - step / decay_steps) ** power`` (restarting each period when ``cycle``)."""

    def __init__(self, initial_learning_rate: float, decay_steps: int,
                 end_learning_rate: float = 0.0001, power: float = 1.0,
                 cycle: bool = False, name: str = "PolynomialDecay") -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_steps("decay_steps", decay_steps)

    def __call__(self, step: Any) -> Any:
        initial = tf.convert_to_tensor(self.initial_learning_rate)
        dtype = initial.dtype
        end = tf.cast(self.end_learning_rate, dtype)
        power = tf.cast(self.power, dtype)
        global_step = tf.cast(step, dtype)
        decay_steps = tf.cast(self.decay_steps, dtype)
        if self.cycle:
            multiplier = tf.where(tf.equal(global_step, 0), 1.0,
                                  tf.math.ceil(global_step / self.decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            global_step = tf.minimum(global_step, decay_steps)
        p = global_step / decay_steps
        return (initial - end) * tf.pow(1 - p, power) + end

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power,
                "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``."""

    def _decay(self, initial: Any, rate: Any, p: Any) -> Any:
        return initial / (tf.cast(1, initial.dtype) + rate * p)


class CosineDecay(LearningRateSchedule):
    """Cosine decay to ``alpha * initial`` over ``decay_steps``, optionally after a
    linear warmup of ``warmup_steps`` to ``warmup_target``."""

    def __init__(self, initial_learning_rate: float, decay_steps: int,
                 alpha: float = 0.0, name: str = "CosineDecay",
                 warmup_target: Optional[float] = None, warmup_steps: int = 0) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_steps("decay_steps", decay_steps)

    def _decay_function(self, step: Any, decay_steps: Any, decay_from_lr: Any,
                        dtype: Any) -> Any:
        completed_fraction = step / decay_steps
        pi = tf.constant(math.pi, dtype=dtype)
        cosine_decayed = 0.5 * (1.0 + tf.cos(pi * completed_fraction))
        decayed = (1 - self.alpha) * cosine_decayed + self.alpha
        return decay_from_lr * decayed

    def __call__(self, step: Any) -> Any:
        initial = tf.convert_to_tensor(self.initial_learning_rate)
        dtype = initial.dtype
        decay_steps = tf.cast(self.decay_steps, dtype)
        global_step = tf.cast(step, dtype)
        if self.warmup_target is None:
            global_step = tf.minimum(global_step, decay_steps)
            return self._decay_function(global_step, decay_steps, initial, dtype)
        warmup_target = tf.cast(self.warmup_target, dtype)
        warmup_steps = tf.cast(self.warmup_steps, dtype)
        global_step = tf.minimum(global_step, decay_steps + warmup_steps)
        if bool(global_step < warmup_steps):
            completed_fraction = global_step / warmup_steps
            return (warmup_target - initial) * completed_fraction + initial
        return self._decay_function(global_step - warmup_steps, decay_steps,
                                    warmup_target, dtype)

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods grow by ``t_mul``, peaks
    shrink by ``m_mul``."""

    def __init__(self, initial_learning_rate: float, first_decay_steps: int,
                 t_mul: float = 2.0, m_mul: float = 1.0, alpha: float = 0.0,
                 name: str = "SGDRDecay") -> None:
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_steps("first_decay_steps", first_decay_steps)

    def __call__(self, step: Any) -> Any:
        initial = tf.convert_to_tensor(self.initial_learning_rate)
        dtype = initial.dtype
        first_decay_steps = tf.cast(self.first_decay_steps, dtype)
        alpha = tf.cast(self.alpha, dtype)
        t_mul = tf.cast(self._t_mul, dtype)
        m_mul = tf.cast(self._m_mul, dtype)
        completed_fraction = tf.cast(step, dtype) / first_decay_steps
        if bool(tf.equal(t_mul, 1.0)):
            i_restart = tf.floor(completed_fraction)
            completed_fraction = completed_fraction - i_restart
        else:
            i_restart = tf.floor(tf.math.log(1.0 - completed_fraction * (1.0 - t_mul))
                                 / tf.math.log(t_mul))
            sum_r = (1.0 - tf.pow(t_mul, i_restart)) / (1.0 - t_mul)
            completed_fraction = (completed_fraction - sum_r) / tf.pow(t_mul, i_restart)
        m_fac = tf.pow(m_mul, i_restart)
        cosine_decayed = 0.5 * m_fac * (
            1.0 + tf.cos(tf.constant(math.pi, dtype=dtype) * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return initial * decayed

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_SCHEDULES = {cls.__name__: cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
    CosineDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule: LearningRateSchedule) -> Dict[str, Any]:
    """Keras's ``{"module", "class_name", "config", "registered_name"}`` dict."""
    cls = type(learning_rate_schedule)
    builtin = _SCHEDULES.get(cls.__name__) is cls
    return {"module": "keras.optimizers.schedules" if builtin else cls.__module__,
            "class_name": cls.__name__, "config": learning_rate_schedule.get_config(),
            "registered_name": None if builtin else cls.__name__}


def deserialize(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None
                ) -> LearningRateSchedule:
    """The schedule described by ``serialize``'s dict (``custom_objects`` first)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret decay identifier: {config}")
    custom_objects = custom_objects or {}
    name = config["class_name"]
    cls = (custom_objects.get(config.get("registered_name") or name)
           or custom_objects.get(name) or _SCHEDULES.get(name))
    if cls is None:
        raise ValueError(f"Unknown decay: '{name}'. Please ensure you are using a "
                         "`keras.utils.custom_object_scope` and that this object is "
                         "included in the scope.")
    return cls.from_config(dict(config.get("config", {})))


register_builtins("schedule", [LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay,
                               PolynomialDecay, InverseTimeDecay, CosineDecay,
                               CosineDecayRestarts])
