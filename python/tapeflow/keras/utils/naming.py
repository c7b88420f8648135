"""Keras's object names: one counter per snake-cased prefix, shared by layers, models,
losses, metrics and optimizers ('dense', 'dense_1', ...; 'rm_sprop', 'adam_w')."""

from __future__ import annotations

import collections
import re
from typing import Dict

_uids: Dict[str, int] = collections.defaultdict(int)


def to_snake_case(name: str) -> str:
    """``"BinaryCrossentropy"`` -> ``"binary_crossentropy"``, as Keras names objects."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def auto_name(prefix: str) -> str:
    """A unique name for a new object: the snake-cased prefix, then prefix_1, ..."""
    prefix = to_snake_case(prefix)
    uid = _uids[prefix]
    _uids[prefix] += 1
    return prefix if uid == 0 else f"{prefix}_{uid}"


def reset_uids() -> None:
    """Forgets the names handed out (``keras.backend.clear_session``)."""
    _uids.clear()
