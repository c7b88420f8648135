"""``tf.linalg``."""

from tapeflow.ops.array_ops import eye  # noqa: F401
from tapeflow.ops.math_ops import einsum, l2_normalize, matmul, norm  # noqa: F401
