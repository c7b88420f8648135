"""tapeflow: TensorFlow 2 / Keras's programming model on a small C++ core.

``import tapeflow as tf``. This release exposes the native core (``tapeflow._core``)
and ``tf.errors``; the tensor API, GradientTape and Keras build on it.
"""

from __future__ import annotations

from tapeflow import _core
from tapeflow.framework import errors

__version__ = "0.1.0"

_core._set_error_classes(errors.CORE_ERROR_CLASSES)

__all__ = ["errors", "__version__"]
