"""Which traces (``tf.function``) are in progress on this thread, innermost last.

A trace runs the Python function on real values while the native core records every op
into a graph (``tapeflow.graph.function``). Values that the graph computes are
*symbolic*: their numbers exist now, but the graph will recompute them on every call, so
Python code must not read them (``bool(t)``, ``t.numpy()``), exactly as TF forbids
reading symbolic tensors. This module is the one place the framework asks.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, List

import numpy as np

from tapeflow import _core

# _Trace objects of tapeflow/graph/function.py (each has .builder and .on_symbolic_read).
stack: List[Any] = []


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Python called by a graph node (tf.print, tf.py_function) sees plain values: no
    trace is in progress for it (its own ops run inside the node, unrecorded)."""
    saved = stack[:]
    del stack[:]
    try:
        yield
    finally:
        stack[:] = saved


@contextlib.contextmanager
def init_scope() -> Iterator[None]:
    """``tf.init_scope``: code inside runs eagerly even while a tf.function is traced
    (TF lifts it out of the graph): once, at trace time; what it computes is a constant
    of the graph, and Variables it assigns keep the new values."""
    if not stack:
        yield
        return
    saved = stack[:]
    del stack[:]
    _core.graph_set_active(None)
    try:
        yield
    finally:
        stack[:] = saved
        _core.graph_set_active(saved[-1].builder)
        for trace in saved:  # Variables may hold new values: find them again
            trace._by_uid = None


def is_symbolic(array: Any) -> bool:
    """Whether ``array`` (a core Array) is a value computed by the innermost trace."""
    return bool(stack) and stack[-1].builder.is_symbolic(array)


_NO_BOOL = (
    "Using a symbolic `tf.Tensor` as a Python `bool` is not allowed. You can attempt the "
    "following resolutions to the problem: If you are running in Graph mode, use Eager "
    "execution mode or decorate this function with @tf.function. If you are using "
    "AutoGraph, you can try decorating this function with @tf.function. If that does "
    "not work, then you may be using an unsupported feature or your source code may not "
    "be visible to AutoGraph. See https://github.com/tensorflow/tensorflow/blob/master/"
    "tensorflow/python/autograph/g3doc/reference/limitations.md#access-to-source-code "
    "for more information.")


def branch(array: Any) -> bool:
    """``bool()`` of a value the innermost trace computes: Python is branching on it
    (``if``, ``while``). Where TF's AutoGraph would turn the branch into graph control
    flow, the trace follows the branch the value takes now and records a guard: a run
    whose value takes the other branch traces that path too (see graph/function.py).
    With ``autograph=False`` it is TF's OperatorNotAllowedInGraphError."""
    from tapeflow.framework import errors

    if not stack[-1].autograph:
        raise errors.OperatorNotAllowedInGraphError(_NO_BOOL)
    host = array if array.device == "CPU:0" else _core.to_device(array, "CPU:0")
    value = bool(np.asarray(host))
    _core.graph_guard(array, value)
    return value


def read_value(array: Any) -> Any:
    """Python reads a small integer or bool value the innermost trace computes (a loop count
    for ``tf.range``, an index): the trace keeps the value it has now as a constant and
    records a guard that the graph computes the same value at every run; a run where it
    differs traces again for that value (as for a Python ``if`` on a tensor)."""
    trace = stack[-1]
    known = trace.values_read.get(array.uid)
    if known is not None:
        return known[1]
    host = array if array.device == "CPU:0" else _core.to_device(array, "CPU:0")
    constant = _core.from_numpy(np.array(np.asarray(host)))  # a copy: a trace constant
    same = _core.equal(array, constant)
    if array.size != 1:
        same = _core.reduce("all", same, None, False)
    _core.graph_guard(same, True)
    trace.values_read[array.uid] = (array, constant)  # keeps the uid alive, so unique
    return constant
