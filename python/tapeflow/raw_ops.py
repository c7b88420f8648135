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


def _float(x: Any) -> float:
    """A Python number or one-element tensor as a float (an attribute of the op)."""
    if isinstance(x, (int, float, np.generic)):
        return float(x)
    return float(np.asarray(to_host(convert_to_tensor(x)._a)).reshape(()))


def ResourceApplyAdam(var: Any, m: Any, v: Any, beta1_power: Any, beta2_power: Any, lr: Any,
                      beta1: Any, beta2: Any, epsilon: Any, grad: Any, use_locking: bool = False,
                      use_nesterov: bool = False, name: Optional[str] = None) -> None:
    """var, m, v (Variables) <- one Adam step with bias-corrected step size
    ``lr * sqrt(1 - beta2_power) / (1 - beta1_power)``, computed in the variable's dtype
    in that order when the step runs (``lr`` and the powers may be tensors a traced step
    computes), as TF's kernel. ``beta1``, ``beta2`` and ``epsilon`` are read once, as
    numbers."""
    if use_nesterov:
        raise errors.UnimplementedError(None, None, "ResourceApplyAdam: use_nesterov=True is "
                                        "not supported")
    dt = var.dtype
    g = convert_to_tensor(grad, dtype=dt)
    scalars = [convert_to_tensor(x, dtype=dt)._a for x in (lr, beta1_power, beta2_power)]
    new = _core.apply_adam(var._a, m._a, v._a, g._a, *scalars, 1.0 - _float(beta1),
                           1.0 - _float(beta2), _float(epsilon))
    for variable, value in zip((var, m, v), new):
        _set_value(variable, value)


def ImageProjectiveTransformV3(images: Any, transforms: Any, output_shape: Any,
                               fill_value: Any, interpolation: str,
                               fill_mode: str = "CONSTANT", name: Optional[str] = None) -> Any:
    """Samples 4-D images through projective transforms, as TF's kernel (what Keras's
    ``ops.image.affine_transform`` runs): see ``tapeflow.image._projective_transform``.
    Differentiable for float images (gathers)."""
    from tapeflow import image

    return image._projective_transform(images, transforms, output_shape, _float(fill_value),
                                       interpolation, fill_mode)
