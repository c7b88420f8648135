"""``tf.data``: input pipelines (``tf.data.Dataset`` and friends), as TF 2.21."""

from __future__ import annotations

import types as _types

from tapeflow.data.dataset_ops import (  # noqa: F401
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
    OwnedIterator as Iterator,
    Options,
    TextLineDataset,
)
from tapeflow.data.structure import DatasetSpec  # noqa: F401


def _cardinality(dataset: Dataset) -> object:
    """``tf.data.experimental.cardinality(ds)``: ``ds.cardinality()``."""
    return dataset.cardinality()


experimental = _types.SimpleNamespace(
    AUTOTUNE=AUTOTUNE,
    INFINITE_CARDINALITY=INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY=UNKNOWN_CARDINALITY,
    cardinality=_cardinality,
    DatasetSpec=DatasetSpec,
    sample_from_datasets=Dataset.sample_from_datasets,
    choose_from_datasets=Dataset.choose_from_datasets,
)

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset",
           "DatasetSpec", "Iterator", "Options", "TextLineDataset", "experimental"]
