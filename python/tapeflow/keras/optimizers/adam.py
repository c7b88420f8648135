"""``keras.optimizers.Adam`` and ``AdamW``: bias-corrected moment estimates."""

from __future__ import annotations

from typing import Any, Dict, Sequence, Tuple

import tapeflow as tf
from tapeflow.keras.optimizers.base_optimizer import Optimizer


class Adam(Optimizer):
    """Adam, as Keras 3.

    With ``t = iterations + 1``: ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``,
    ``m += (g - m) * (1 - beta_1)``, ``v += (g**2 - v) * (1 - beta_2)`` (``amsgrad``:
    ``v_hat = max(v_hat, v)`` used instead of v), ``w -= m * alpha / (sqrt(v) +
    epsilon)``.

    Args:
        learning_rate: A float or a ``LearningRateSchedule``. Defaults to 0.001.
        beta_1: Decay of the first moment. Defaults to 0.9.
        beta_2: Decay of the second moment. Defaults to 0.999.
        epsilon: Defaults to 1e-7.
        amsgrad: Use the AMSGrad variant. Defaults to False.
        **kwargs: The base ``Optimizer``'s arguments (clipnorm, weight_decay, ...).
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, var_list: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        if not self.amsgrad and dtype in (tf.float32, tf.float64):  # one fused pass
            lr, beta_1_power, beta_2_power = self._per_step(
                ("adam", dtype), lambda: self._powers(learning_rate, dtype))
            index = self._get_variable_index(variable)
            tf.raw_ops.ResourceApplyAdam(
                var=variable, m=self._momentums[index], v=self._velocities[index],
                beta1_power=beta_1_power, beta2_power=beta_2_power, lr=lr, beta1=self.beta_1,
                beta2=self.beta_2, epsilon=self.epsilon, grad=tf.cast(gradient, dtype))
            return
        alpha, one_minus_beta_1, one_minus_beta_2, epsilon = self._per_step(
            dtype, lambda: self._coefficients(learning_rate, dtype))
        gradient = tf.cast(gradient, dtype)
        index = self._get_variable_index(variable)
        m = self._momentums[index]
        v = self._velocities[index]
        m.assign_add((gradient - m.read_value()) * one_minus_beta_1)
        v.assign_add((tf.square(gradient) - v.read_value()) * one_minus_beta_2)
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            v_hat.assign(tf.maximum(v_hat.read_value(), v.read_value()))
            v = v_hat
        variable.assign_sub(
            m.read_value() * alpha / (tf.sqrt(v.read_value()) + epsilon))

    def _powers(self, learning_rate: Any, dtype: Any) -> Tuple[Any, ...]:
        """This step's learning rate and ``beta**t`` (``t = iterations + 1``) as tensors of
        ``dtype``: computed with tensor ops, so a compiled step computes them each run."""
        lr = tf.cast(learning_rate, dtype)
        local_step = tf.cast(self.iterations + 1, dtype)
        return (lr, tf.pow(tf.cast(self.beta_1, dtype), local_step),
                tf.pow(tf.cast(self.beta_2, dtype), local_step))

    def _coefficients(self, learning_rate: Any, dtype: Any) -> Tuple[Any, ...]:
        """This step's ``alpha`` (bias corrections with ``t = iterations + 1``) and
        the constants, as tensors of ``dtype``."""
        lr, beta_1_power, beta_2_power = self._powers(learning_rate, dtype)
        alpha = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        return (alpha, tf.constant(1 - self.beta_1, dtype),
                tf.constant(1 - self.beta_2, dtype), tf.constant(self.epsilon, dtype))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2,
                       "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (``w -= w * weight_decay * lr`` before each
    step), as Keras 3.

    Args:
        learning_rate: A float or a ``LearningRateSchedule``. Defaults to 0.001.
        weight_decay: Defaults to 0.004; must not be None.
        beta_1, beta_2, epsilon, amsgrad: As ``Adam``.
        **kwargs: The base ``Optimizer``'s arguments (clipnorm, ...).
    """

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay,
                         **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")
