"""``tf.errors``."""

from tapeflow.framework.errors import *  # noqa: F401,F403
from tapeflow.framework.errors import OpError  # noqa: F401
