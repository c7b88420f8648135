"""``tf.nest``: nested structures of lists, tuples, namedtuples and mappings.

As TF 2.21: a mapping's leaves come in sorted-key order (``pack_sequence_as`` rebuilds
it in its own key order); ``None``, strings, sets, tensors and arrays are leaves; the
error classes and messages of ``assert_same_structure`` and ``pack_sequence_as`` are
TF's. One implementation, shared by ``GradientTape`` and ``tf.Module``.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any, Callable, Iterator, List, Tuple

__all__ = ["assert_same_structure", "flatten", "is_nested", "map_structure",
           "pack_sequence_as"]


_NESTED_BY_TYPE = {list: True, tuple: True, dict: True}  # type -> is it nested?


def _is_nested(x: Any) -> bool:
    t = type(x)
    try:
        return _NESTED_BY_TYPE[t]
    except KeyError:  # checking the Mapping ABC is slow: once per type
        found = _NESTED_BY_TYPE[t] = isinstance(x, (list, tuple, Mapping))
        return found


def is_nested(seq: Any) -> bool:
    """True for lists, tuples (namedtuples too) and mappings (``tf.nest.is_nested``)."""
    return _is_nested(seq)


def _sorted_keys(mapping: Any) -> List[Any]:
    return sorted(mapping)  # TypeError for unorderable keys, as TF


def _children(x: Any) -> List[Any]:
    """The direct children of a nested value, in flattening order."""
    if isinstance(x, Mapping):
        return [x[k] for k in _sorted_keys(x)]
    return list(x)


def flatten(structure: Any, expand_composites: bool = False) -> List[Any]:
    """The leaves of ``structure``, depth first; mappings by sorted key
    (``tf.nest.flatten``). A leaf alone flattens to ``[leaf]``."""
    t = type(structure)
    if t is list or t is tuple:
        if _all_leaves(structure):  # the common flat case, without recursion
            return list(structure)
    elif not _is_nested(structure):
        return [structure]
    out: List[Any] = []
    _flatten_into(structure, out)
    return out


def _all_leaves(items: Any) -> bool:
    nested_by_type = _NESTED_BY_TYPE
    for item in items:
        nested = nested_by_type.get(type(item))
        if nested is None:
            nested = _is_nested(item)
        if nested:
            return False
    return True


def _flatten_into(x: Any, out: List[Any]) -> None:
    if _is_nested(x):
        for child in _children(x):
            _flatten_into(child, out)
    else:
        out.append(x)


def _rebuild(like: Any, children: List[Any]) -> Any:
    """A container of ``like``'s type holding ``children`` (in flattening order)."""
    if isinstance(like, Mapping):
        by_key = dict(zip(_sorted_keys(like), children))
        if isinstance(like, collections.defaultdict):
            out = collections.defaultdict(like.default_factory)
            for k in like:
                out[k] = by_key[k]
            return out
        if type(like) is dict:
            return {k: by_key[k] for k in like}
        return type(like)((k, by_key[k]) for k in like)
    if isinstance(like, tuple) and hasattr(like, "_fields"):  # namedtuple
        return type(like)(*children)
    if type(like) in (list, tuple):
        return type(like)(children)
    try:
        return type(like)(children)
    except TypeError:
        return list(children) if isinstance(like, list) else tuple(children)


def pack_sequence_as(structure: Any, flat_sequence: Any,
                     expand_composites: bool = False) -> Any:
    """``flat_sequence``'s items in the shape of ``structure``
    (``tf.nest.pack_sequence_as``)."""
    t = type(structure)
    if t is list and type(flat_sequence) is list and len(flat_sequence) == len(
            structure) and _all_leaves(structure):
        return flat_sequence  # the common flat case (a fresh list from flatten)
    if not _is_nested(flat_sequence):
        raise TypeError(f"Attempted to pack value:\n  {flat_sequence!r}\ninto a "
                        "structure, but found incompatible type "
                        f"`{type(flat_sequence)}` instead.")
    if not _is_nested(structure):
        if len(flat_sequence) != 1:
            raise ValueError(
                f"The target structure is of type `{type(structure)}`\n"
                f"  {structure!r}\n"
                f"However the input is a sequence ({type(flat_sequence)}) of length "
                f"{len(flat_sequence)}.\n  {flat_sequence!r}\nnest cannot guarantee "
                "that it is safe to map one to the other.")
        return flat_sequence[0]
    flat = list(flat_sequence)
    n = len(flatten(structure))
    if n != len(flat):
        raise ValueError(f"Could not pack sequence. Structure had {n} atoms, but "
                         f"flat_sequence had {len(flat)} items.  Structure: "
                         f"{structure}, flat_sequence: {flat_sequence}.")
    it = iter(flat)

    def build(s: Any) -> Any:
        if _is_nested(s):
            return _rebuild(s, [build(c) for c in _children(s)])
        return next(it)

    return build(structure)


class _Dot:
    """Stands for a leaf when printing a structure's outline (``[., {'a': .}]``)."""

    def __repr__(self) -> str:
        return "."


def _outline(structure: Any) -> str:
    dot = _Dot()
    if not _is_nested(structure):
        return "."
    return repr(pack_sequence_as(structure, [dot] * len(flatten(structure))))


def _describe(x: Any) -> str:
    return f"type={type(x).__name__} str={x}"


def _mismatch(a: Any, b: Any, check_types: bool) -> Tuple[type, str] | None:
    """The first difference between two structures: (error class, detail) or None."""
    a_nested, b_nested = _is_nested(a), _is_nested(b)
    if a_nested != b_nested:
        seq, other = (a, b) if a_nested else (b, a)
        return ValueError, (f'Substructure "{_describe(seq)}" is a sequence, while '
                            f'substructure "{_describe(other)}" is not')
    if not a_nested:
        return None
    if check_types and type(a) is not type(b):
        return TypeError, (
            "The two namedtuples don't have the same sequence type. First structure "
            f"{_describe(a)} has type {type(a).__name__}, while second structure "
            f"{_describe(b)} has type {type(b).__name__}")
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if set(a) != set(b):
            return ValueError, (
                "The two dictionaries don't have the same set of keys. First structure "
                f"has keys {_describe(list(a))}, while second structure has keys "
                f"{_describe(list(b))}")
    if len(a) != len(b):
        return ValueError, ("The two structures don't have the same number of "
                            "elements. "
                            f"First structure: {_describe(a)}. Second structure: "
                            f"{_describe(b)}")
    for ca, cb in zip(_children(a), _children(b)):
        found = _mismatch(ca, cb, check_types)
        if found is not None:
            return found
    return None


def assert_same_structure(nest1: Any, nest2: Any, check_types: bool = True,
                          expand_composites: bool = False) -> None:
    """Raises TF's ValueError (shape of the nest) or TypeError (container types, with
    ``check_types``) if the two structures differ
    (``tf.nest.assert_same_structure``)."""
    found = _mismatch(nest1, nest2, check_types)
    if found is None:
        return
    cls, detail = found
    raise cls("The two structures don't have the same nested structure.\n\n"
              f"First structure: {_describe(nest1)}\n\nSecond structure: "
              f"{_describe(nest2)}\n\nMore specifically: {detail}\n"
              f"Entire first structure:\n{_outline(nest1)}\n"
              f"Entire second structure:\n{_outline(nest2)}")


def map_structure(func: Callable[..., Any], *structure: Any, **kwargs: Any) -> Any:
    """``func`` applied to the matching leaves of the structures, in the first one's
    shape (``tf.nest.map_structure``; ``check_types=True`` by default)."""
    if not callable(func):
        raise TypeError(f"func must be callable, got: {func}")
    if not structure:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    if kwargs:
        raise ValueError("Only valid keyword arguments are `check_types` and "
                         f"`expand_composites`, not: `{', '.join(kwargs)}`")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types)
    flats = [flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*leaves) for leaves in zip(*flats)])


def _paths(structure: Any,
           prefix: Tuple[Any, ...]) -> Iterator[Tuple[Tuple[Any, ...], Any]]:
    if isinstance(structure, Mapping):
        for k in _sorted_keys(structure):
            yield from _paths(structure[k], prefix + (k,))
    elif isinstance(structure, (list, tuple)):
        for i, v in enumerate(structure):
            yield from _paths(v, prefix + (i,))
    else:
        yield prefix, structure


def _flatten_with_tuple_paths(structure: Any) -> List[Tuple[Tuple[Any, ...], Any]]:
    """``(path, leaf)`` pairs; a path is the tuple of keys and indices to the leaf."""
    return list(_paths(structure, ()))
