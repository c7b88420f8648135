"""``keras.optimizers.RMSprop``: scales steps by a moving average of squared
gradients, dividing by ``sqrt(velocity + epsilon)`` as Keras 3."""

from __future__ import annotations

from typing import Any, Dict, Sequence

import tapeflow as tf
from tapeflow.keras.optimizers.base_optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop, as Keras 3.

    ``velocity = rho * velocity + (1 - rho) * g**2``; ``increment = lr * g /
    sqrt(velocity + epsilon)`` (centered: ``velocity - average_grad**2 + epsilon``);
    with momentum, ``m = momentum * m + increment`` and ``w -= m``, else
    ``w -= increment``.

    Args:
        learning_rate: A float or a ``LearningRateSchedule``. Defaults to 0.001.
        rho: Discount for the moving averages. Defaults to 0.9.
        momentum: Defaults to 0.0.
        epsilon: Defaults to 1e-7.
        centered: Normalise by the gradient's estimated variance. Defaults to False.
        **kwargs: The base ``Optimizer``'s arguments (clipnorm, weight_decay, ...).
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9,
                 momentum: float = 0.0, epsilon: float = 1e-7, centered: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(
                var_list, "average_gradient")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr, rho, one_minus_rho, epsilon, momentum_ = self._per_step(dtype, lambda: (
            tf.cast(learning_rate, dtype), tf.constant(self.rho, dtype),
            tf.constant(1 - self.rho, dtype), tf.constant(self.epsilon, dtype),
            tf.constant(self.momentum, dtype)))
        gradient = tf.cast(gradient, dtype)
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]
        velocity.assign(rho * velocity.read_value()
                        + one_minus_rho * tf.square(gradient))
        if self.centered:
            average_grad = self._average_gradients[index]
            average_grad.assign(rho * average_grad.read_value()
                                + one_minus_rho * gradient)
            denominator = (velocity.read_value() - tf.square(average_grad.read_value())
                           + epsilon)
        else:
            denominator = velocity.read_value() + epsilon
        increment = lr * gradient / tf.sqrt(denominator)
        if self.momentum > 0:
            momentum = self._momentums[index]
            momentum.assign(momentum_ * momentum.read_value() + increment)
            variable.assign_sub(momentum.read_value())
        else:
            variable.assign_sub(increment)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum,
                       "epsilon": self.epsilon, "centered": self.centered})
        return config
