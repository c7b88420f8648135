"""``tf.math``."""

from tapeflow.ops.math_ops import (  # noqa: F401
    abs, add, add_n, bitwise_and, bitwise_or, bitwise_xor, erf, argmax, argmin, ceil, cos, count_nonzero, cumsum, div_no_nan, divide,
    divide_no_nan, equal, exp, expm1, floor, floordiv, floormod, greater, greater_equal,
    invert, is_finite, is_inf, is_nan, l2_normalize, less, less_equal, log, log1p, log_sigmoid,
    logical_and, logical_not, logical_or, logical_xor, maximum, minimum, mod, multiply,
    negative, not_equal, pow, reciprocal, reduce_all, reduce_any, reduce_logsumexp,
    reduce_max, reduce_mean, reduce_min, reduce_prod, reduce_std, reduce_sum,
    reduce_variance, round, rsqrt, sigmoid, sign, sin, softplus, sqrt, square,
    squared_difference, subtract, tanh, truediv)
from tapeflow.ops.math_ops import cumprod, cumulative_logsumexp  # noqa: F401,E402
