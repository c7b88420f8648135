"""``keras.layers``."""

from tapeflow.keras.layers.core import (  # noqa: F401
    Activation, Add, Average, BatchNormalization, Concatenate, Dense, Dropout, Embedding,
    Flatten, Input, InputLayer, Multiply, Normalization, Reshape, Subtract)
from tapeflow.keras.layers.activation_layers import (  # noqa: F401
    ELU, LeakyReLU, PReLU, ReLU, Softmax)
from tapeflow.keras.layers.input_spec import InputSpec  # noqa: F401
from tapeflow.keras.layers.layer import KerasTensor, Layer  # noqa: F401
from tapeflow.keras.utils.registry import register_builtins  # noqa: E402

register_builtins("layer", [
    Activation, Add, Average, BatchNormalization, Concatenate, Dense, Dropout, Embedding,
    Flatten, InputLayer, Layer, Multiply, Normalization, Reshape, Subtract,
    ELU, LeakyReLU, PReLU, ReLU, Softmax])
