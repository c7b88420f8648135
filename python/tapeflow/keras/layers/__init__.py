"""``keras.layers``."""

from tapeflow.keras.layers.core import (  # noqa: F401
    Activation, Add, Average, BatchNormalization, Concatenate, Dense, Dropout, Embedding,
    Flatten, Input, InputLayer, Multiply, Normalization, Reshape, Subtract)
from tapeflow.keras.layers.layer import KerasTensor, Layer  # noqa: F401
