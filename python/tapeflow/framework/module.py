"""``tf.Module``: a named container of Variables and other Modules.

As TF 2.21: the default name is the snake-cased class name (``'HTTPServerModule'`` ->
``'http_server_module'``); a given name must be a Python identifier. ``variables``,
``trainable_variables``, ``non_trainable_variables`` and ``submodules`` walk the
module's attributes in sorted-name order (lists, tuples and dicts inside them too, by
``tf.nest``; items appended later included), yield each object once, and go into the
submodules found, each after the module's own attributes. Keras layers are not
Modules (as with TF's Keras 3), so a Module does not look inside them.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Iterator, Optional, Tuple

from tapeflow import nest
from tapeflow.framework.name_scope import name_scope
from tapeflow.framework.tracking import AutoTrackable
from tapeflow.framework.variables import Variable

_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORD_START = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")


def _snake_case(name: str) -> str:
    return _WORD_START.sub(r"_\1", name).lower()


class Module(AutoTrackable):
    """Base class of stateful building blocks (``tf.Module``)."""

    _TF_MODULE_IGNORED_PROPERTIES: frozenset = frozenset()

    def __init__(self, name: Optional[str] = None) -> None:
        if name is None:
            name = _snake_case(type(self).__name__)
        elif not isinstance(name, str) or not _VALID_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid module name. Module names "
                             "must be valid Python identifiers (e.g. a valid class "
                             "name).")
        self._name = name
        with name_scope(name) as scope:  # nested in the scope the module is made in
            self._name_scope = name_scope(scope)

    @property
    def name(self) -> str:
        """The module's name, as given or from its class."""
        return self._name

    @property
    def name_scope(self) -> name_scope:
        """A ``tf.name_scope`` for this module (``with self.name_scope:``)."""
        return self._name_scope

    @property
    def variables(self) -> Tuple[Variable, ...]:
        """Every Variable of this module and its submodules, each once."""
        return tuple(self._flatten(predicate=_is_variable))

    @property
    def trainable_variables(self) -> Tuple[Variable, ...]:
        """The trainable ones among ``variables``."""
        return tuple(self._flatten(predicate=_is_trainable_variable))

    @property
    def non_trainable_variables(self) -> Tuple[Variable, ...]:
        """The non-trainable ones among ``variables``."""
        return tuple(self._flatten(predicate=_is_non_trainable_variable))

    @property
    def submodules(self) -> Tuple["Module", ...]:
        """Every Module reachable from this one (itself excluded), each once."""
        return tuple(self._flatten(predicate=_is_module))

    def _flatten(self, recursive: bool = True,
                 predicate: Optional[Callable[[Any], bool]] = None,
                 attribute_traversal_key: Optional[Callable[[str], Any]] = None,
                 with_path: bool = False,
                 expand_composites: bool = False) -> Iterator[Any]:
        """The objects under this module's attributes for which ``predicate`` holds
        (all of them without one); with ``with_path``, ``(path, object)`` pairs."""
        return _walk(self, recursive, predicate or (lambda _: True),
                     attribute_traversal_key, with_path, (), {id(self)}, [])

    @classmethod
    def with_name_scope(cls, method: Callable[..., Any]) -> Callable[..., Any]:
        """Decorates a method to run inside ``self.name_scope``."""
        @functools.wraps(method)
        def in_scope(self: "Module", *args: Any, **kwargs: Any) -> Any:
            with self.name_scope:
                return method(self, *args, **kwargs)
        return in_scope


def _is_variable(x: Any) -> bool:
    return isinstance(x, Variable)


def _is_trainable_variable(x: Any) -> bool:
    return isinstance(x, Variable) and x.trainable


def _is_non_trainable_variable(x: Any) -> bool:
    return isinstance(x, Variable) and not x.trainable


def _is_module(x: Any) -> bool:
    return isinstance(x, Module)


def _walk(module: Module, recursive: bool, predicate: Callable[[Any], bool],
          key: Optional[Callable[[str], Any]], with_path: bool, path: Tuple[Any, ...],
          seen: set, stack: list) -> Iterator[Any]:
    """One module's attributes (sorted by name), then its submodules' in turn."""
    if id(module) in stack:  # a cycle: list this module's leaves but go no deeper
        recursive = False
    attributes = vars(module)
    found = []
    for name in sorted(attributes, key=key):
        if name in module._TF_MODULE_IGNORED_PROPERTIES:
            continue
        try:
            leaves = nest._flatten_with_tuple_paths(attributes[name])
        except Exception as cause:
            raise ValueError(
                f"Error processing property {name!r} of {module!r}") from cause
        for leaf_path, leaf in leaves:
            leaf_path = (name,) + leaf_path
            if not with_path:
                if id(leaf) in seen:
                    continue
                seen.add(id(leaf))
            if predicate(leaf):
                yield (path + leaf_path, leaf) if with_path else leaf
            if recursive and isinstance(leaf, Module):
                found.append((path + leaf_path, leaf))
    stack.append(id(module))
    for sub_path, sub in found:
        yield from _walk(sub, recursive, predicate, key, with_path, sub_path, seen,
                         stack)
    stack.pop()
