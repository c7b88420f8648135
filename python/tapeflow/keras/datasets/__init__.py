"""``keras.datasets``: Keras 3's small NumPy datasets, read from Keras's own cache.

Each loader has the signature of its Keras 3.15 counterpart, reads the same files from
the same place (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``; see
:func:`tapeflow.keras.utils.get_file`) and returns the same arrays -- values, dtypes,
shapes, order and seeded shuffling. A missing file is downloaded from Keras's URL when
there is a network; otherwise the error names the file, the URL and where to put it.

Pickled content (IMDB/Reuters object arrays, CIFAR batches) is read without
``allow_pickle=True``: see :mod:`tapeflow.keras.datasets._safe_pickle`.
"""

from __future__ import annotations

from tapeflow.keras.datasets import (  # noqa: F401
    boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
    reuters)
