"""``tf.random``."""

from tapeflow.ops.random_ops import (  # noqa: F401
    Generator, normal, set_seed, shuffle, stateless_normal, stateless_truncated_normal,
    stateless_uniform, truncated_normal, uniform)
