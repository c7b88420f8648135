"""``keras.optimizers.SGD``: gradient descent with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any, Dict, Sequence

import tapeflow as tf
from tapeflow.keras.optimizers.base_optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent (with momentum), as Keras 3.

    With ``momentum`` 0: ``w -= learning_rate * g``. Otherwise
    ``m = momentum * m - learning_rate * g``, then ``w += m``, or with ``nesterov``
    ``w += momentum * m - learning_rate * g``.

    Args:
        learning_rate: A float or a ``LearningRateSchedule``. Defaults to 0.01.
        momentum: A float in [0, 1]. Defaults to 0.0.
        nesterov: Whether to apply Nesterov momentum. Defaults to False.
        **kwargs: The base ``Optimizer``'s arguments (clipnorm, weight_decay, ...).
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = tf.cast(learning_rate, variable.dtype)
        gradient = tf.cast(gradient, variable.dtype)
        if self.momentum == 0:
            variable.assign_sub(gradient * lr)
            return
        m = self.momentums[self._get_variable_index(variable)]
        momentum = tf.cast(self.momentum, variable.dtype)
        m.assign(m.read_value() * momentum - gradient * lr)
        if self.nesterov:
            variable.assign_add(m.read_value() * momentum - gradient * lr)
        else:
            variable.assign_add(m.read_value())

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
