"""``tf.train``: checkpoints (``Checkpoint``, ``CheckpointManager``,
``latest_checkpoint``, ``list_variables``, ``load_checkpoint``)."""

from tapeflow.train.checkpoint import (  # noqa: F401
    Checkpoint, CheckpointManager, latest_checkpoint, list_variables, load_checkpoint)
