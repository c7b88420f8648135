"""``tapeflow.keras``: Keras 3's programming model on tapeflow.

Layers, Sequential/functional/subclassed models with compile/fit/evaluate/predict,
losses, metrics, optimizers and callbacks. Built only on tapeflow's public API.
"""

from __future__ import annotations

from tapeflow.keras import (  # noqa: F401
    activations, callbacks, datasets, initializers, layers, losses, metrics, models,
    optimizers, regularizers, utils)
from tapeflow.keras.layers import Input  # noqa: F401
from tapeflow.keras.models import Model, Sequential  # noqa: F401
from tapeflow.keras import saving  # noqa: F401,E402
from tapeflow.keras import config  # noqa: F401,E402 - after saving, which it uses

__version__ = "3.15.0"
