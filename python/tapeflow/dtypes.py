"""``tf.dtypes``."""

from tapeflow.framework.dtypes import (  # noqa: F401
    DType, as_dtype, bool, double, float32, float64, int32, int64)
from tapeflow.ops.math_ops import cast, saturate_cast  # noqa: F401
