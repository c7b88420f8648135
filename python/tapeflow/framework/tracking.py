"""Object tracking for checkpoints (``tf.__internal__.tracking.AutoTrackable``).

An ``AutoTrackable`` (``tf.Module``, ``tf.train.Checkpoint``, Keras layers, models and
optimizers) is a node of the object graph that ``tf.train.Checkpoint`` saves: its
children are its attributes holding Variables, other trackables, or lists, tuples and
dicts of them. This file holds only the deferred-restoration hook: when a restore finds
no object yet where the checkpoint has one (a layer built later, an optimizer's slots
created on its first step), it registers a callback here, run when the object appears,
as TF does.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Dict, List, Tuple

# id(owner) -> (weak reference to owner, {child key: [callbacks]}); empty unless a
# restore is pending. Weak, so a pending restore never keeps a model alive.
_pending: Dict[int, Tuple[Any, Dict[str, List[Callable[[Any, Any], None]]]]] = {}


def defer(owner: Any, key: str, callback: Callable[[Any, Any], None]) -> None:
    """Runs ``callback(owner, child)`` once ``owner`` gets a child under ``key`` (an
    attribute name, or an index as a string for a list)."""
    entry = _pending.get(id(owner))
    if entry is None or entry[0]() is not owner:
        entry = _pending[id(owner)] = (weakref.ref(owner, _forget(id(owner))), {})
    entry[1].setdefault(key, []).append(callback)


def _forget(owner_id: int) -> Callable[[Any], None]:
    def forget(_: Any, pending: Dict[int, Any] = _pending) -> None:
        pending.pop(owner_id, None)
    return forget


def child_added(owner: Any, key: str, value: Any) -> None:
    """Tells pending restorations that ``owner`` now holds ``value`` under ``key``."""
    entry = _pending.get(id(owner))
    if entry is None or entry[0]() is not owner:
        return
    callbacks = entry[1].pop(key, None)
    if not entry[1]:
        del _pending[id(owner)]
    for callback in callbacks or ():
        callback(owner, value)


class AutoTrackable:
    """Base of objects a checkpoint walks by attribute (TF's ``AutoTrackable``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if _pending:
            child_added(self, name, value)


class TrackedList(list):
    """A list whose later items reach pending restorations (TF's ``ListWrapper``).

    A checkpoint swaps it in for a plain list attribute only while some of that list's
    items are still to be restored (an optimizer's slot variables)."""

    def append(self, item: Any) -> None:
        super().append(item)
        child_added(self, str(len(self) - 1), item)

    def extend(self, items: Any) -> None:
        start = len(self)
        super().extend(items)
        for i in range(start, len(self)):
            child_added(self, str(i), self[i])

    def __iadd__(self, items: Any) -> "TrackedList":
        self.extend(items)
        return self

    def insert(self, index: Any, item: Any) -> None:
        super().insert(index, item)
        for i in range(len(self)):
            child_added(self, str(i), self[i])

    def __setitem__(self, index: Any, item: Any) -> None:
        super().__setitem__(index, item)
        for i in range(len(self)):
            child_added(self, str(i), self[i])
