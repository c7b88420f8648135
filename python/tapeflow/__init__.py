"""tapeflow: TensorFlow 2 / Keras's programming model on a small C++ core.

``import tapeflow as tf`` gives the familiar namespace: tensors and Variables, math and
array ops, ``tf.GradientTape``, ``tf.random``, ``tf.nn``, ``tf.errors``, ``tf.config``.
"""

from __future__ import annotations

import types as _types

from tapeflow import _core
from tapeflow.framework import errors as _framework_errors

_core._set_error_classes(_framework_errors.CORE_ERROR_CLASSES)

from tapeflow.framework import tensor as _tensor  # noqa: E402,F401 - loads the ops first
from tapeflow import config, dtypes, errors, linalg, math, nn, random, raw_ops  # noqa: E402
from tapeflow import image  # noqa: E402
from tapeflow.autodiff.gradient_tape import (  # noqa: E402
    GradientTape, UnconnectedGradients, custom_gradient)
from tapeflow.framework.device import device  # noqa: E402
from tapeflow import nest  # noqa: E402
from tapeflow.framework.module import Module  # noqa: E402
from tapeflow.framework.name_scope import name_scope  # noqa: E402
from tapeflow.framework.tensor_spec import TensorSpec  # noqa: E402
from tapeflow.framework import tracking as _tracking  # noqa: E402
from tapeflow.framework.dtypes import (  # noqa: E402
    DType, as_dtype, bool, double, float32, float64, int32, int64)
from tapeflow.framework.tensor import (  # noqa: E402
    Tensor, constant, convert_to_tensor, is_tensor)
from tapeflow.framework.tensor_shape import TensorShape  # noqa: E402
from tapeflow.framework.variables import Variable  # noqa: E402
from tapeflow.graph.function import executing_eagerly, function  # noqa: E402
from tapeflow.ops.control_flow_ops import case, cond, switch_case, while_loop  # noqa: E402
from tapeflow.ops.tensor_array_ops import TensorArray  # noqa: E402
from tapeflow.framework.tracing import init_scope  # noqa: E402
from tapeflow.graph.python_ops import numpy_function, py_function  # noqa: E402
from tapeflow.graph.python_ops import print_v2 as print  # noqa: E402,A001
from tapeflow.ops.array_ops import (  # noqa: E402
    boolean_mask, broadcast_static_shape, broadcast_to, concat, expand_dims, eye, fill,
    gather, identity, linspace, newaxis, one_hot, ones, ones_like, pad, range, rank, repeat,
    reshape, shape, size, split, squeeze, stack, stop_gradient, tile, transpose, unstack,
    zeros, zeros_like)
from tapeflow.ops.math_ops import (  # noqa: E402
    abs, add, add_n, argmax, argmin, cast, clip_by_value, cos, cumsum, divide, einsum,
    equal, exp, floor, greater, greater_equal, less, less_equal, log, logical_and,
    logical_not, logical_or, matmul, maximum, minimum, multiply, negative, norm, not_equal,
    pow, reduce_all, reduce_any, reduce_logsumexp, reduce_max, reduce_mean, reduce_min,
    reduce_prod, reduce_std, reduce_sum, reduce_variance, round, saturate_cast, sigmoid,
    sign, sin, sqrt, square, subtract, tanh, truediv, where)

# TF's internal namespace, as far as Keras needs it (Keras layers are AutoTrackable).
__internal__ = _types.SimpleNamespace(
    tracking=_types.SimpleNamespace(AutoTrackable=_tracking.AutoTrackable))

__version__ = "0.1.0"
version = __version__


def __getattr__(name: str) -> object:
    """Loads ``tf.keras``, ``tf.train``, ``tf.saved_model`` and ``tf.data`` on first
    use, so ``import tapeflow`` stays light."""
    if name in ("keras", "train", "saved_model", "onnx", "data"):
        import importlib

        return importlib.import_module(f"tapeflow.{name}")
    if name in _INITIALIZERS:  # TF's own initializer classes: Keras's, same arguments
        from tapeflow.keras import initializers

        return getattr(initializers, _INITIALIZERS[name])
    raise AttributeError(f"module 'tapeflow' has no attribute {name!r}")


# tf.random_normal_initializer and friends (TF 2's init_ops_v2 classes): the same
# defaults, call signature (shape, dtype) and get_config as Keras's initializers.
_INITIALIZERS = {"random_normal_initializer": "RandomNormal",
                 "random_uniform_initializer": "RandomUniform",
                 "zeros_initializer": "Zeros", "ones_initializer": "Ones",
                 "constant_initializer": "Constant"}


