"""``keras.optimizers.Adagrad``: per-element steps scaled by accumulated squares."""

from __future__ import annotations

from typing import Any, Dict, Sequence

import tapeflow as tf
from tapeflow.keras.optimizers.base_optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad, as Keras 3: ``acc += g**2``; ``w -= lr * g / sqrt(acc + epsilon)``.

    Args:
        learning_rate: A float or a ``LearningRateSchedule``. Defaults to 0.001.
        initial_accumulator_value: The accumulators' start value. Defaults to 0.1.
        epsilon: Defaults to 1e-7.
        **kwargs: The base ``Optimizer``'s arguments (clipnorm, weight_decay, ...).
    """

    def __init__(self, learning_rate: Any = 0.001,
                 initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=self.initial_accumulator_value)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr, epsilon = self._per_step(dtype, lambda: (
            tf.cast(learning_rate, dtype), tf.constant(self.epsilon, dtype)))
        gradient = tf.cast(gradient, dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        accumulator.assign_add(tf.square(gradient))
        variable.assign_sub(lr * gradient / tf.sqrt(accumulator.read_value() + epsilon))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config
