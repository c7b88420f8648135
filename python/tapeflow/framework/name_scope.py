"""``tf.name_scope``: a prefix for the names of Variables created inside it.

As TF 2's eager mode: ``with tf.name_scope('outer'):`` names a new Variable
``'outer/x:0'``; scopes nest (``'outer/inner/'``); a name ending in ``/`` is taken as
a whole scope and an empty name returns to the root. Scopes are per thread.
"""

from __future__ import annotations

import threading
from typing import Any, List

_state = threading.local()


def current() -> str:
    """The prefix in force here: ``''`` or ``'outer/inner/'``."""
    return getattr(_state, "scope", "")


class name_scope:  # noqa: N801 - TF's spelling
    """A context manager that prefixes the names of Variables created inside it
    (``tf.name_scope``); entering gives the full scope name, e.g. ``'outer/'``.
    Reusable and re-entrant, as TF's."""

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise ValueError("name for name_scope must be a string.")
        self._name = name
        self._exit_to: List[str] = []

    @property
    def name(self) -> str:
        return self._name

    def __enter__(self) -> str:
        old = current()
        if not self._name:
            scope = ""
        elif self._name.endswith("/"):
            scope = self._name
        else:
            scope = f"{old}{self._name}/"
        self._exit_to.append(old)
        _state.scope = scope
        return scope

    def __exit__(self, *exc: Any) -> None:
        _state.scope = self._exit_to.pop()
