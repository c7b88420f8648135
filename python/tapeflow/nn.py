"""``tf.nn``."""

from tapeflow.ops.conv_ops import (  # noqa: F401
    atrous_conv2d, avg_pool, avg_pool1d, avg_pool2d, avg_pool3d, conv1d, conv1d_transpose,
    conv2d, conv2d_transpose, conv3d, conv3d_transpose, conv_transpose, convolution,
    depthwise_conv2d, max_pool, max_pool1d, max_pool2d, max_pool3d, max_pool_with_argmax, pool,
    separable_conv2d)
from tapeflow.ops.math_ops import l2_normalize  # noqa: F401
from tapeflow.ops.nn_ops import (  # noqa: F401
    bias_add, dropout, elu, gelu, l2_loss, leaky_relu, local_response_normalization, log_softmax,
    lrn, moments, relu, relu6,
    selu, sigmoid, sigmoid_cross_entropy_with_logits, silu, softmax,
    softmax_cross_entropy_with_logits, softplus, sparse_softmax_cross_entropy_with_logits,
    swish, tanh)
