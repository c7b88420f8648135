"""``tf.raw_ops``: the fused kernels optimizers use.

``ResourceApplyAdam`` updates a variable and its Adam slots in one pass (one native
call instead of a dozen ops). Differences from TF: ``1 - beta1`` and ``1 - beta2`` are
formed in double precision and then rounded, as Keras 3's Adam does, so results match
Keras's optimizer rather than TF's ApplyAdam kernel in the last bit.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from tapeflow.framework.device import to_host
from tapeflow import _core
from tapeflow.framework import errors
from tapeflow.framework.tensor import convert_to_tensor
from tapeflow.framework.variables import _set_value


def _scalar(x: Any, np_dtype: Any) -> Any:
    if isinstance(x, (int, float, np.generic)):
        return np.dtype(np_dtype).type(x)
    return np.asarray(to_host(convert_to_tensor(x)._a), dtype=np_dtype).reshape(())[()]


def ResourceApplyAdam(var: Any, m: Any, v: Any, beta1_power: Any, beta2_power: Any, lr: Any,
                      beta1: Any, beta2: Any, epsilon: Any, grad: Any, use_locking: bool = False,
                      use_nesterov: bool = False, name: Optional[str] = None) -> None:
    """var, m, v (Variables) <- one Adam step with bias-corrected step size
    ``lr * sqrt(1 - beta2_power) / (1 - beta1_power)`` (computed in the variable's
    dtype, in that order, as Keras)."""
    if use_nesterov:
        raise errors.UnimplementedError(None, None, "ResourceApplyAdam: use_nesterov=True is "
                                        "not supported")
    g = convert_to_tensor(grad, dtype=var.dtype)
    coefficients = adam_coefficients(lr, beta1_power, beta2_power, beta1, beta2, epsilon,
                                     var.dtype.as_numpy_dtype)
    alpha = _core.full((), _core.DType.float64, coefficients[0])
    new = _core.adam_update(var._a, m._a, v._a, g._a, alpha, *coefficients[1:])
    for variable, value in zip((var, m, v), new):
        _set_value(variable, value)


def adam_coefficients(lr: Any, beta1_power: Any, beta2_power: Any, beta1: Any, beta2: Any,
                      epsilon: Any, np_dtype: Any) -> Tuple[float, float, float, float]:
    """The arguments of ``_core.adam_update`` after ``lr``: alpha (the bias-corrected
    step, rounded in the variable's dtype as Keras computes it), 1 - beta1, 1 - beta2
    and epsilon. Shared by ResourceApplyAdam and Keras's Adam (once per step)."""
    dt = np.dtype(np_dtype)
    one = dt.type(1)
    alpha = _scalar(lr, dt) * np.sqrt(one - _scalar(beta2_power, dt)) / (
        one - _scalar(beta1_power, dt))
    return (float(alpha), 1.0 - float(_scalar(beta1, np.float64)),
            1.0 - float(_scalar(beta2, np.float64)), float(_scalar(epsilon, np.float64)))
