"""``tf.nn``."""

from tapeflow.ops.math_ops import l2_normalize  # noqa: F401
from tapeflow.ops.nn_ops import (  # noqa: F401
    bias_add, dropout, elu, gelu, l2_loss, leaky_relu, log_softmax, moments, relu, relu6,
    selu, sigmoid, sigmoid_cross_entropy_with_logits, silu, softmax,
    softmax_cross_entropy_with_logits, softplus, sparse_softmax_cross_entropy_with_logits,
    swish, tanh)
