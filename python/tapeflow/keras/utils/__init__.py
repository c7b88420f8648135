"""``keras.utils``."""

from __future__ import annotations

import random
from typing import Any, Optional

import numpy as np

import tapeflow as tf
from tapeflow.keras.utils.progbar import Progbar  # noqa: F401
from tapeflow.keras.utils.file_utils import get_file  # noqa: F401
from tapeflow.keras.trainers.data_adapters import (  # noqa: F401
    PyDataset, pack_x_y_sample_weight, unpack_x_y_sample_weight)
from tapeflow.keras.utils.sequence_utils import pad_sequences  # noqa: F401
from tapeflow.keras.utils.numerical_utils import normalize  # noqa: F401
from tapeflow.keras.utils.timeseries_dataset_utils import (  # noqa: F401
    timeseries_dataset_from_array)
from tapeflow.keras.utils.dataset_utils import split_dataset  # noqa: F401
from tapeflow.keras.utils.image_dataset_utils import (  # noqa: F401
    audio_dataset_from_directory, image_dataset_from_directory,
    text_dataset_from_directory)

Sequence = PyDataset  # Keras 2's name, still exported by Keras 3


def set_random_seed(seed: int) -> None:
    """Seeds Python's random, numpy and tapeflow (``keras.utils.set_random_seed``), so
    weight initialisation, shuffling and dropout repeat."""
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)


def to_categorical(x: Any, num_classes: Optional[int] = None) -> np.ndarray:
    """One-hot rows of integer labels (``keras.utils.to_categorical``)."""
    x = np.asarray(x, dtype="int64")
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    n = int(num_classes) if num_classes is not None else int(x.max()) + 1
    out = np.zeros((x.size, n), dtype="float32")
    out[np.arange(x.size), x] = 1.0
    return out.reshape(shape + (n,))
