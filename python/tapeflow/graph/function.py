"""``tf.function``: trace a Python function once per input signature into a graph, then
run the graph (C++, no Python per op) on every call.

How tracing works here: the Python body runs once on real values while the native core
records every op it executes into a graph (csrc/graph/graph.h); arguments that are
tensors become the graph's inputs, Variables it reads or assigns become captured
variables (read at every call, written back after it), random draws become nodes with
their own counters, and everything that does not depend on an input, a variable or a
random draw is folded into a constant. Variable assignments made while tracing are
undone when the trace ends, so a call is exactly "trace, then run the graph", as in TF.

As TF 2.21 (checked against it):
- Python side effects (``print``, appending to lists) happen when tracing only;
  ``tf.print`` prints at every call. ``tf.executing_eagerly()`` is False in a trace.
- Retracing: a new shape or dtype of a tensor argument, a new value of a Python
  argument (``f(1.0)`` reuses ``f(1)``'s trace because ``1 == 1.0``), a new Variable.
  ``input_signature=`` gives one concrete function (``None`` dimensions accept any
  size); a tensor of another dtype is TF's TypeError, a numpy array is converted.
  ``reduce_retracing=True`` relaxes the shapes that changed to ``None`` (Python values
  still retrace per value). After 5 traces in the last calls TF's warning is logged.
- Variables may be created on the first trace only; the first trace that creates
  them is followed by a second one (the tracing count is 2 after one call), and a
  later trace that creates one is TF's ValueError.
- Reading a computed value in Python (``bool(t)``, ``t.numpy()``) raises TF's errors.

Where tapeflow differs:
- Graphs are traced at concrete shapes. A concrete function whose signature has
  ``None`` dimensions traces again for a second shape; when that trace comes out the
  same computation (same ops, attributes and constants: code that reads sizes through
  ``tf.shape`` or shape-agnostic ops), that graph serves every later shape without
  Python. Otherwise each new shape re-runs the Python body (its Python side effects
  show again; the tracing count does not change).
- No AutoGraph source transformation: Python ``if``/``while`` on a tensor follow the
  branch the traced value takes and record a guard; a call whose value takes the other
  way traces that path too (see ``ConcreteFunction._call_arrays``). Results equal TF's;
  a Python ``while`` on a tensor unrolls per trip count.
- A call made while a GradientTape is recording runs the Python body eagerly (so the
  tape sees its ops); a tape inside the function is traced like any other code.
- ``jit_compile`` is accepted and changes nothing: every tf.function is compiled.
"""

from __future__ import annotations

import collections
import functools
import inspect
import logging
import os
import sys
import types
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from tapeflow import _core, nest
from tapeflow.autodiff import tape as _tape
from tapeflow.framework import dtypes
from tapeflow.framework.errors import _GuardFailed
from tapeflow.framework import tracing as _tracing
from tapeflow.framework import variables as _variables
from tapeflow.framework.tensor import Tensor, convert_to_tensor, wrap
from tapeflow.framework.tensor_shape import TensorShape
from tapeflow.framework.tensor_spec import TensorSpec

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_logger = logging.getLogger("tapeflow")

# tf.config.run_functions_eagerly
run_eagerly = False


def _user_origin() -> str:
    """Where the traced program is: the innermost frame outside tapeflow."""
    f: Any = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE_DIR):
        f = f.f_back
    if f is None:
        return ""
    return f"{f.f_code.co_filename}:{f.f_lineno} in {f.f_code.co_name}"


class _Trace:
    """One trace in progress: its builder and the Variables it touched."""

    def __init__(self, autograph: bool = True) -> None:
        self.autograph = autograph
        self.builder = _core.GraphBuilder(self._resolve, _user_origin)
        self.variables: List[Any] = []       # captured, by index in the graph
        self._index: Dict[int, int] = {}
        self._by_uid: Optional[Dict[int, Any]] = None
        self._saved: Dict[int, Tuple[Any, Any]] = {}  # values before the trace
        self.created: List[Any] = []
        self._created_ids: set = set()
        self.names: Dict[int, str] = {}      # input uid -> "x:0"
        self.shapes: Dict[int, TensorShape] = {}  # input uid -> signature shape (None dims)
        self.values_read: Dict[int, Tuple[Any, Any]] = {}  # tracing.read_value's guards
        # While a tf.cond branch is traced: id(var) -> (var, value before the branch).
        self.branch_saved: Optional[Dict[int, Tuple[Any, Any]]] = None

    def _variables_by_uid(self) -> Dict[int, Any]:
        if self._by_uid is None:
            self._by_uid = {v._a.uid: v for v in list(_variables._all_variables.values())
                            if id(v) not in self._created_ids}
        return self._by_uid

    def _resolve(self, array: Any) -> int:
        v = self._variables_by_uid().get(array.uid)
        return -1 if v is None else self.index(v)

    def reread(self, var: Any, array: Any) -> None:
        """From here on ``var`` holds ``array`` (traced value) and the graph reads it
        from the variable table at its next use (after a node that may assign it)."""
        renamed = array.renamed()
        self._variables_by_uid()[renamed.uid] = var
        var._a = renamed

    def index(self, var: Any) -> int:
        i = self._index.get(id(var))
        if i is None:
            i = self._index[id(var)] = len(self.variables)
            self.variables.append(var)
            self.builder.num_variables = len(self.variables)
        return i

    def variable_created(self, var: Any) -> None:
        self.created.append(var)
        self._created_ids.add(id(var))
        self._saved[id(var)] = (var, var._a)  # its initial value, kept by the restore

    def variable_assigned(self, var: Any, array: Any) -> None:
        if id(var) in self._created_ids:
            return
        if id(var) not in self._saved:
            self._saved[id(var)] = (var, var._a)
        if self.branch_saved is not None and id(var) not in self.branch_saved:
            self.branch_saved[id(var)] = (var, var._a)
        self.builder.assign_variable(self.index(var), var._a, array)

    def name_of(self, array: Any) -> str:
        name = self.names.get(array.uid)
        if name is None:
            name = (self.builder.producer(array) or "Const") + ":0"
        return name

    def shape_of(self, array: Any, shape: TensorShape) -> TensorShape:
        """The shape TF prints for a traced value: an input's signature shape."""
        return self.shapes.get(array.uid, shape)

    def restore(self) -> None:
        """Undoes the trace's assignments (variables it created get their initial
        values back): a call is one trace and then one run of the graph."""
        for var, array in self._saved.values():
            var._a = array


# ---- trace types: what decides whether a call reuses a trace ---------------------------

_TENSOR, _VARIABLE, _PYTHON, _OBJECT, _NEST = range(5)


def _is_tensor_like(x: Any) -> bool:
    return isinstance(x, (Tensor, np.ndarray)) and not isinstance(x, _variables.Variable)


def _trace_type(x: Any) -> Any:
    """A hashable description of one argument: tensors by (shape, dtype), Variables by
    identity, nests by structure, other Python values by value (or identity if they
    cannot be hashed)."""
    if isinstance(x, Tensor) and not isinstance(x, _variables.Variable):
        return (_TENSOR, tuple(x._a.shape), x._a.dtype_index)
    if isinstance(x, np.ndarray):
        t = convert_to_tensor(x)
        return (_TENSOR, tuple(t._a.shape), t._a.dtype_index)
    if isinstance(x, _variables.Variable):
        return (_VARIABLE, id(x._handle))
    if isinstance(x, TensorSpec):
        return (_TENSOR, None if x.shape.rank is None else tuple(x.shape.as_list()),
                dtypes.as_dtype(x.dtype)._index)
    if nest.is_nested(x):
        if isinstance(x, collections.abc.Mapping):
            keys = sorted(x.keys(), key=repr)
            return (_NEST, type(x), tuple(keys), tuple(_trace_type(x[k]) for k in keys))
        return (_NEST, type(x), tuple(_trace_type(c) for c in x))
    try:
        hash(x)
        return (_PYTHON, x)
    except TypeError:
        return (_OBJECT, id(x))


def _fast_key(x: Any) -> Any:
    """A cheap trace key for the common arguments (Tensors, tuples and lists of them,
    None, hashable Python values): None when another kind needs the general path."""
    t = type(x)
    if t is Tensor:
        a = x._a
        return (a.shape, a.dtype_index)
    if t is tuple or t is list:
        kids = []
        for c in x:
            k = _fast_key(c)
            if k is None and c is not None:
                return None
            kids.append(k)
        return (t, tuple(kids))
    if x is None or t is int or t is float or t is bool or t is str:
        return (t, x)
    return None


def _gather(x: Any, out: List[Any]) -> None:
    """The Arrays of the Tensors in x (what _fast_key accepted), in tf.nest order."""
    t = type(x)
    if t is Tensor:
        out.append(x._a)
    elif t is tuple or t is list:
        for c in x:
            _gather(c, out)


def _compatible(general: Any, specific: Any) -> bool:
    """Whether a call of trace type ``specific`` may use a trace of type ``general``
    (``None`` dimensions match any size)."""
    if general == specific:
        return True
    if type(general) is not tuple or type(specific) is not tuple or not general:
        return False
    if general[0] != specific[0] or len(general) != len(specific):
        return False
    if general[0] == _TENSOR:
        gs, ss = general[1], specific[1]
        if general[2] != specific[2]:
            return False
        if gs is None:
            return True
        return ss is not None and len(gs) == len(ss) and all(
            g is None or g == s for g, s in zip(gs, ss))
    if general[0] == _NEST:
        return general[:-1] == specific[:-1] and all(
            _compatible(g, s) for g, s in zip(general[-1], specific[-1]))
    return False


def _relax(a: Any, b: Any) -> Any:
    """The most specific type both ``a`` and ``b`` fit, or None (reduce_retracing)."""
    if a == b:
        return a
    if type(a) is not tuple or type(b) is not tuple or not a or a[0] != b[0]:
        return None
    if a[0] == _TENSOR:
        if a[2] != b[2]:
            return None
        if a[1] is None or b[1] is None or len(a[1]) != len(b[1]):
            return (_TENSOR, None, a[2])
        return (_TENSOR, tuple(x if x == y else None for x, y in zip(a[1], b[1])), a[2])
    if a[0] == _NEST:
        if a[:-1] != b[:-1] or len(a[-1]) != len(b[-1]):
            return None
        kids = [_relax(x, y) for x, y in zip(a[-1], b[-1])]
        return None if any(k is None for k in kids) else a[:-1] + (tuple(kids),)
    return None


def _key_compatible(general: Tuple, specific: Tuple) -> bool:
    return len(general) == len(specific) and all(
        gn == sn and _compatible(g, s) for (gn, g), (sn, s) in zip(general, specific))


def _relax_key(a: Tuple, b: Tuple) -> Optional[Tuple]:
    if len(a) != len(b):
        return None
    out = []
    for (an, at), (bn, bt) in zip(a, b):
        r = _relax(at, bt) if an == bn else None
        if r is None:
            return None
        out.append((an, r))
    return tuple(out)


def _type_repr(t: Any) -> str:
    """A trace type as TF prints it in signatures."""
    kind = t[0]
    if kind == _TENSOR:
        shape = "None" if t[1] is None else (
            "(" + ", ".join("None" if d is None else str(d) for d in t[1])
            + ("," if len(t[1]) == 1 else "") + ")")
        return f"TensorSpec(shape={shape}, dtype=tf.{dtypes.BY_INDEX[t[2]].name}, name=None)"
    if kind == _VARIABLE:
        return "TensorSpec(shape=(), dtype=tf.resource, name=None)"
    if kind == _PYTHON:
        return "None" if t[1] is None else f"Literal[{t[1]!r}]"
    if kind == _NEST:
        if issubclass(t[1], collections.abc.Mapping):
            items = ", ".join(f"[{k!r}, {_type_repr(v)}]" for k, v in zip(t[2], t[3]))
            return f"Dict[{items}]"
        name = "List" if issubclass(t[1], list) else "Tuple"
        return f"{name}[" + ", ".join(_type_repr(c) for c in t[-1]) + "]"
    return "<object>"


# ---- the frequent-retracing warning (TF's _FrequentTracingDetector) --------------------

_MAX_CALL_HISTORY = 10
_THRESHOLD = 5
_MAX_WARNINGS = 2


class _CallStats:
    __slots__ = ("calls_per_trace", "call_count", "warnings")

    def __init__(self) -> None:
        self.calls_per_trace: List[int] = []
        self.call_count = 0
        self.warnings = 0


_call_stats: Dict[Any, _CallStats] = {}


def _called(key: Any, traced: bool, function: Any) -> None:
    stats = _call_stats.get(key)
    if stats is None:
        stats = _call_stats[key] = _CallStats()
    if not traced:
        if not stats.calls_per_trace:
            stats.calls_per_trace = [0]
        stats.calls_per_trace[-1] += 1
        stats.call_count += 1
        return
    if stats.warnings >= _MAX_WARNINGS:
        return
    stats.call_count += 1
    stats.calls_per_trace.append(1)
    while stats.calls_per_trace and (
            stats.call_count - stats.calls_per_trace[0] > _MAX_CALL_HISTORY):
        stats.call_count -= stats.calls_per_trace.pop(0)
    if len(stats.calls_per_trace) >= _THRESHOLD:
        stats.warnings += 1
        _logger.warning(
            f"{len(stats.calls_per_trace)} out of the last {stats.call_count} calls to "
            f"{function} triggered tf.function retracing. Tracing is expensive and the "
            "excessive number of tracings could be due to (1) creating @tf.function "
            "repeatedly in a loop, (2) passing tensors with different shapes, (3) passing "
            "Python objects instead of tensors. For (1), please define your @tf.function "
            "outside of the loop. For (2), @tf.function has reduce_retracing=True option "
            "that can avoid unnecessary retracing. For (3), please refer to "
            "https://www.tensorflow.org/guide/function#controlling_retracing and "
            "https://www.tensorflow.org/api_docs/python/tf/function for  more details.")


# ---- traced graphs ---------------------------------------------------------------------

_MAX_PATHS = 32  # traced Python paths kept per concrete shape (most recent first)

_VARIABLE_CREATION_ERROR = (
    "tf.function only supports singleton tf.Variables created on the first call. Make "
    "sure the tf.Variable is only created once or created outside tf.function. See "
    "https://www.tensorflow.org/guide/function#creating_tfvariables for more information.")


class _Specialization:
    """One graph of a concrete function, for one set of concrete input shapes."""

    __slots__ = ("graph", "variables", "structure", "template", "created")

    def __init__(self, graph: Any, variables: List[Any], structure: Any,
                 template: List[Any], created: bool) -> None:
        self.graph = graph
        self.variables = variables
        self.structure = structure  # the result, with leaves replaced by template indices
        self.template = template    # per output leaf: int (graph output) or ("c", value)
        self.created = created

    def run(self, arrays: List[Any]) -> Any:
        # Inside another trace, assignments go through _set_value so that it sees them.
        outs = self.graph.run(arrays, self.variables,
                              _variables._set_value if _tracing.stack else None)
        leaves = []
        for t in self.template:
            if type(t) is int:
                leaves.append(wrap(outs[t]))
            else:
                leaves.append(t[1])
        if self.structure is None:
            return leaves[0]
        return nest.pack_sequence_as(self.structure, leaves)


def _tensor_leaves(arguments: "collections.OrderedDict[str, Any]") -> List[Tuple[str, Any]]:
    """(parameter name, leaf) of every tensor-like leaf, in the order of the graph's
    inputs: parameters in order, each flattened as tf.nest does."""
    out = []
    for name, value in arguments.items():
        for leaf in nest.flatten(value):
            if _is_tensor_like(leaf):
                out.append((name, leaf))
    return out


def _trace(python_function: Callable[..., Any], signature: inspect.Signature,
           arguments: "collections.OrderedDict[str, Any]", autograph: bool = True,
           key: Optional[Tuple] = None) -> _Specialization:
    """Runs ``python_function`` on ``arguments`` while recording its graph."""
    trace = _Trace(autograph)
    outer = _tracing.stack[-1].builder if _tracing.stack else None
    _tracing.stack.append(trace)
    _core.graph_set_active(trace.builder)
    try:
        counts: Dict[str, int] = {}
        # The signature's shape of each tensor input (None dims), for printing it as TF.
        spec_shapes = {name: iter([t[1] for t in _flat_types(((name, t),)) if t[0] == _TENSOR])
                       for name, t in (key or ())}

        def as_input(name: str, leaf: Any) -> Any:
            if not _is_tensor_like(leaf):
                return leaf
            t = leaf if isinstance(leaf, Tensor) else convert_to_tensor(leaf)
            renamed = wrap(trace.builder.input(t._a))
            k = counts.get(name, 0)
            counts[name] = k + 1
            trace.names[renamed._a.uid] = f"{name}:0" if k == 0 else f"{name}_{k}:0"
            shape = next(spec_shapes[name], ()) if name in spec_shapes else ()
            if shape != ():
                trace.shapes[renamed._a.uid] = TensorShape(shape)
            return renamed

        new_arguments = collections.OrderedDict(
            (name, nest.map_structure(functools.partial(as_input, name), value))
            for name, value in arguments.items())
        bound = inspect.BoundArguments(signature, new_arguments)
        result = python_function(*bound.args, **bound.kwargs)
        structure = result if nest.is_nested(result) else None
        arrays, template = [], []
        for leaf in (nest.flatten(result) if structure is not None else [result]):
            if isinstance(leaf, _variables.Variable):
                leaf = leaf._as_tensor()
            if isinstance(leaf, Tensor):
                template.append(len(arrays))
                arrays.append(leaf._a)
                continue
            if isinstance(leaf, (bool, int, float, np.number, np.ndarray)):
                leaf = convert_to_tensor(leaf)  # TF returns Python numbers as tensors
            template.append(("c", leaf))
        graph = trace.builder.finish(arrays)
    finally:
        _core.graph_set_active(outer)
        _tracing.stack.pop()
        trace.restore()
    return _Specialization(graph, trace.variables, structure, template, bool(trace.created))


_NOT_TRACED = object()


def trace_cond(pred: Tensor, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``tf.cond`` on a value the innermost trace computes: both branches are traced into
    graphs of one "cond" node that runs the one the predicate picks at every call, as
    TF's cond does. The trace then continues with the taken branch's values. Returns
    _NOT_TRACED when the branch not taken fails to trace on these values (the caller
    then branches with a guard, as for a Python ``if``)."""
    trace = _tracing.stack[-1]
    outer = trace.builder
    host = pred._a if pred._a.device == "CPU:0" else _core.to_device(pred._a, "CPU:0")
    taken = bool(np.asarray(host))
    fns = {True: true_fn, False: false_fn}
    branches: Dict[bool, Tuple[Any, List[Any], Any, List[Any], Dict[int, Tuple[Any, Any]]]] = {}
    for which in (not taken, taken):  # the untaken one first: it may refuse
        sub = _core.GraphBuilder(trace._resolve, _user_origin, outer)
        sub.num_variables = len(trace.variables)
        enclosing = trace.branch_saved
        trace.branch_saved = {}
        trace.builder = sub
        _core.graph_set_active(sub)
        try:
            out = fns[which]()
            leaves = [(x._as_tensor() if isinstance(x, _variables.Variable)
                       else convert_to_tensor(x)) for x in nest.flatten(out)]
            graph = sub.finish([t._a for t in leaves])
        except Exception:  # noqa: BLE001 - the untaken branch: fall back to a guard
            if which == taken:
                raise
            return _NOT_TRACED
        finally:
            trace.builder = outer
            _core.graph_set_active(outer)
            assigned = trace.branch_saved
            trace.branch_saved = enclosing
            after = {k: (v, v._a) for k, (v, _) in assigned.items()}
            for v, before in assigned.values():
                v._a = before
            if enclosing is not None:
                for k, entry in assigned.items():
                    enclosing.setdefault(k, entry)
        branches[which] = (out, leaves, graph, list(sub.captured), after)
    outer.num_variables = len(trace.variables)
    t_out, t_leaves, t_graph, t_captured, _ = branches[True]
    f_out, f_leaves, f_graph, f_captured, _ = branches[False]
    try:
        nest.assert_same_structure(t_out, f_out)
    except (TypeError, ValueError) as e:
        raise TypeError("true_fn and false_fn arguments to tf.cond must have the same "
                        "number, type, and overall structure of return values.\n\n"
                        f"Error details:\n{e}") from None
    for a, b in zip(t_leaves, f_leaves):
        if a.dtype != b.dtype:
            raise TypeError("true_fn and false_fn arguments to tf.cond must have the same "
                            "number, type, and overall structure of return values.\n\n"
                            f"Error details:\n{a.dtype.name} and {b.dtype.name} have "
                            "different types")
    outputs = _core.graph_cond(pred._a, t_graph, t_captured, f_graph, f_captured,
                               [t._a for t in branches[taken][1]])
    after_taken = branches[taken][4]
    for key in set(branches[True][4]) | set(branches[False][4]):
        var, value = after_taken.get(key, (None, None))
        if var is None:
            var = branches[not taken][4][key][0]
            value = var._a
        trace.reread(var, value)
    return nest.pack_sequence_as(branches[taken][0], [wrap(a) for a in outputs])


def _same_computation(a: _Specialization, b: _Specialization) -> bool:
    """Whether two traces (at different shapes) are one computation: the same graph,
    variables and output layout. Then either serves every shape of the signature."""
    if len(a.variables) != len(b.variables) or len(a.template) != len(b.template) or any(
            x is not y for x, y in zip(a.variables, b.variables)):
        return False
    for x, y in zip(a.template, b.template):
        if type(x) is int or type(y) is int:
            if x != y:
                return False
        elif not (isinstance(x[1], Tensor) and isinstance(y[1], Tensor)
                  and x[1].shape == y[1].shape and x[1].dtype == y[1].dtype
                  and np.array_equal(x[1].numpy(), y[1].numpy())):
            return False
    try:
        nest.assert_same_structure(a.structure, b.structure)
    except (TypeError, ValueError):
        return False
    return a.graph.same_computation(b.graph)


class ConcreteFunction:
    """One traced signature of a tf.function (``f.get_concrete_function(...)``)."""

    def __init__(self, function: "Function", key: Tuple,
                 arguments: "collections.OrderedDict[str, Any]") -> None:
        self._function = function
        self._key = key
        self._arguments = arguments     # the traced call's arguments (a template)
        self._graphs: Dict[Tuple, List[_Specialization]] = {}  # by shapes: its paths
        self._shape_free: List[_Specialization] = []  # paths proven to serve any shape
        self._first: Optional[_Specialization] = None

    # -- tracing and running ------------------------------------------------------------
    def _specialization(self, arguments: "collections.OrderedDict[str, Any]",
                        shapes: Tuple) -> _Specialization:
        """Traces the path these arguments take (a new graph for their shapes)."""
        f = self._function
        spec = _trace(f._python_function, f._signature, arguments, f._autograph, self._key)
        if spec.created and self._first is not None:
            raise ValueError(_VARIABLE_CREATION_ERROR)
        for other_shapes, others in self._graphs.items():
            if other_shapes != shapes and any(_same_computation(o, spec) for o in others):
                self._shape_free.insert(0, spec)
                del self._shape_free[_MAX_PATHS:]
                break
        paths = self._graphs.setdefault(shapes, [])
        paths.insert(0, spec)
        del paths[_MAX_PATHS:]
        if self._first is None:
            self._first = spec
        return spec

    def _prove_shape_free(self) -> bool:
        """For a signature with None dimensions: whether a graph serving every shape is
        known, tracing the first traced call again at other sizes (each None dimension
        one larger) to find out if needed. Python side effects happen again then."""
        if self._shape_free:
            return True
        types = [t for t in _flat_types(self._key) if t[0] == _TENSOR]
        leaves = _tensor_leaves(self._arguments)
        if not any(t[1] is None or None in t[1] for t in types) or len(types) != len(leaves):
            return False
        grown = []
        for t, (_, leaf) in zip(types, leaves):
            a = (leaf if isinstance(leaf, Tensor) else convert_to_tensor(leaf))._a
            shape = [d + 1 if t[1] is None or t[1][i] is None else d
                     for i, d in enumerate(a.shape)]
            grown.append(convert_to_tensor(np.zeros(shape, dtypes.BY_INDEX[t[2]]._np)))
        replaced = iter(grown)
        arguments = collections.OrderedDict(
            (name, nest.map_structure(
                lambda x: next(replaced) if _is_tensor_like(x) else x, value))
            for name, value in self._arguments.items())
        shapes = tuple(tuple(g._a.shape) for g in grown)
        if shapes not in self._graphs:
            self._specialization(arguments, shapes)
        return bool(self._shape_free)

    def _call_arguments(self, arguments: "collections.OrderedDict[str, Any]") -> Any:
        arrays = [(leaf if isinstance(leaf, Tensor) else convert_to_tensor(leaf))._a
                  for _, leaf in _tensor_leaves(arguments)]
        return self._call_arrays(arrays, lambda: arguments)

    def _call_arrays(self, arrays: List[Any],
                     arguments: Callable[[], "collections.OrderedDict[str, Any]"]) -> Any:
        """Runs the graph for these input Arrays (``arguments()``: the call's arguments,
        needed only to trace a new shape or path)."""
        shapes = tuple([a.shape for a in arrays])
        paths = self._graphs.get(shapes) or self._shape_free
        for i, spec in enumerate(paths):
            try:
                out = spec.run(arrays)
            except _GuardFailed:  # Python branched the other way on these values
                continue
            if i:
                paths.insert(0, paths.pop(i))
            return out
        for _ in range(_MAX_PATHS):
            spec = self._specialization(arguments(), shapes)
            try:
                return spec.run(arrays)
            except _GuardFailed:  # the branch depends on something else (a random draw)
                continue
        raise RuntimeError(f"tf.function {self._function._name}: the Python branches on "
                           "tensors take a different way on every run; write them with "
                           "tf.cond/tf.where or run the function eagerly")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calls with the traced function's arguments (Python ones may be left out only
        in the flat form below), or, as TF's fallback, with just the tensor arguments
        in order (the Python ones frozen at trace time)."""
        try:
            arguments = self._function._bind(args, kwargs)
            error = None
        except TypeError as e:
            arguments, error = None, e
        if arguments is not None:
            arguments = self._with_values(arguments)
            key = tuple((n, _trace_type(v)) for n, v in arguments.items())
            if not _key_compatible(self._key, key):
                error = TypeError(
                    f"Binding inputs to tf.function failed: the arguments {key_text(key)} do "
                    f"not match this concrete function's signature {key_text(self._key)}.")
                arguments = None
        if arguments is None:
            arguments = self._flat_arguments(args, kwargs)
            if arguments is None:
                raise error  # type: ignore[misc]
        python_function = self._function._python_function
        if (run_eagerly or _tape.active) and python_function is not None:
            bound = inspect.BoundArguments(self._function._signature, arguments)
            return python_function(*bound.args, **bound.kwargs)  # tapes see the ops
        return self._call_arguments(arguments)

    def _with_values(self, arguments: "collections.OrderedDict[str, Any]") -> Any:
        """A Variable passes as its value where the signature has a tensor."""
        if any(t[0] == _VARIABLE for t in _flat_types(self._key)):
            return arguments
        return collections.OrderedDict(
            (n, nest.map_structure(lambda x: x._as_tensor() if isinstance(
                x, _variables.Variable) else x, v)) for n, v in arguments.items())

    def _flat_arguments(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        """TF's flat call: the tensor arguments alone, in order; or None."""
        leaves = _tensor_leaves(self._arguments)
        if kwargs or not leaves or len(args) != len(leaves):
            return None
        values = iter(args)
        arguments = self._with_values(collections.OrderedDict(
            (n, nest.map_structure(lambda x: next(values) if _is_tensor_like(x) else x, v))
            for n, v in self._arguments.items()))
        key = tuple((n, _trace_type(v)) for n, v in arguments.items())
        return arguments if _key_compatible(self._key, key) else None

    # -- what TF's ConcreteFunction shows ------------------------------------------------
    @property
    def structured_input_signature(self) -> Tuple[Tuple[Any, ...], Dict[str, Any]]:
        args, kwargs = [], {}
        for (name, t), param in zip(self._key, self._function._signature.parameters.values()):
            spec = _spec_of(t, name)
            if param.kind == param.KEYWORD_ONLY:
                kwargs[name] = spec
            else:
                args.append(spec)
        return tuple(args), kwargs

    @property
    def graph(self) -> Any:
        """The first traced graph (tapeflow's IR: ``.ops``, ``str(graph)``)."""
        return None if self._first is None else self._first.graph

    @property
    def variables(self) -> List[Any]:
        return [] if self._first is None else list(self._first.variables)

    @property
    def trainable_variables(self) -> List[Any]:
        return [v for v in self.variables if v.trainable]

    def _output_text(self) -> str:
        """The output type as TF prints it: dimensions that differ between the shapes
        traced so far (of a signature with None dimensions) show as None."""
        if self._first is None:
            return "None"
        specs = [paths[0] for paths in self._graphs.values() if paths]
        return _output_repr(specs or [self._first])

    def _signature_text(self) -> str:
        params = list(self._function._signature.parameters.values())
        lines = ["Input Parameters:"]
        for (name, t), param in zip(self._key, params):
            lines.append(f"  {name} ({param.kind.name}): {_type_repr(t)}")
        lines.append("Output Type:")
        lines.append("  " + self._output_text())
        lines.append("Captures:")
        captured = [] if self._first is None else self._first.variables
        if not captured:
            lines.append("  None")
        for v in captured:
            lines.append(f"  {id(v)}: TensorSpec(shape=(), dtype=tf.resource, name=None)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return "ConcreteFunction " + self._signature_text()

    def __repr__(self) -> str:
        params = ", ".join(f"{name}: {_type_repr(t)}" for name, t in self._key)
        return f"<ConcreteFunction ({params}) -> {self._output_text()} at 0x{id(self):X}>"


def key_text(key: Tuple) -> str:
    return "(" + ", ".join(f"{n}: {_type_repr(t)}" for n, t in key) + ")"


def _spec_of(t: Any, name: str) -> Any:
    if t[0] == _TENSOR:
        return TensorSpec(None if t[1] is None else list(t[1]), dtypes.BY_INDEX[t[2]], name)
    if t[0] == _PYTHON:
        return t[1]
    return None


def _output_type(spec: _Specialization) -> Any:
    """The output's trace type (shapes as traced)."""
    shapes = spec.graph.output_specs
    leaves = []
    for t in spec.template:
        if type(t) is int:
            shape, dtype_index = shapes[t]
            leaves.append((_TENSOR, tuple(shape), dtype_index))
        else:
            v = t[1]
            leaves.append((_TENSOR, tuple(v._a.shape), v._a.dtype_index)
                          if isinstance(v, Tensor) else (_PYTHON, v))
    if spec.structure is None:
        return leaves[0]
    return _trace_type_of_structure(spec.structure, leaves)


def _output_repr(specs: List[_Specialization]) -> str:
    """The outputs' type as TF prints it, relaxed over several traces."""
    t = _output_type(specs[0])
    for other in specs[1:]:
        t = _relax(t, _output_type(other)) or t
    return _type_repr(t)


def _trace_type_of_structure(structure: Any, leaves: List[Any]) -> Any:
    it = iter(leaves)

    def build(x: Any) -> Any:
        if nest.is_nested(x):
            if isinstance(x, collections.abc.Mapping):
                keys = sorted(x.keys(), key=repr)
                return (_NEST, type(x), tuple(keys), tuple(build(x[k]) for k in keys))
            return (_NEST, type(x), tuple(build(c) for c in x))
        return next(it)

    return build(structure)


def bind_arguments(signature: inspect.Signature, args: Tuple[Any, ...],
                   kwargs: Dict[str, Any]) -> "collections.OrderedDict[str, Any]":
    """The call's arguments by parameter name (defaults applied), or TF's TypeError."""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"Binding inputs to tf.function failed due to `{e}`. Received "
                        f"args: {args} and kwargs: {kwargs} for signature: "
                        f"{signature}.") from None
    bound.apply_defaults()
    return collections.OrderedDict(bound.arguments)


class Function:
    """A callable that traces its Python function per input signature and runs the
    traced graphs (``tf.function``; see the module docstring)."""

    def __init__(self, python_function: Callable[..., Any],
                 input_signature: Optional[Sequence[Any]] = None, autograph: bool = True,
                 jit_compile: Optional[bool] = None, reduce_retracing: bool = False,
                 name: Optional[str] = None) -> None:
        if not callable(python_function):
            raise TypeError(f"tf.function expects a callable, got {python_function!r}")
        functools.update_wrapper(self, python_function)
        self._python_function = python_function
        self._signature = inspect.signature(python_function)
        self._input_signature = None if input_signature is None else tuple(input_signature)
        if self._input_signature is not None:
            for spec in nest.flatten(self._input_signature):
                if not isinstance(spec, TensorSpec):
                    raise TypeError(f"input_signature must be a possibly nested sequence of "
                                    f"TensorSpec objects, got invalid args {spec!r}")
        self._autograph = autograph
        self._jit_compile = jit_compile
        self._reduce_retracing = bool(reduce_retracing)
        self._name = name or getattr(python_function, "__name__", "function")
        self._exact: Dict[Tuple, ConcreteFunction] = {}
        self._general: List[ConcreteFunction] = []   # with None dims, newest first
        self._order: List[ConcreteFunction] = []
        self._fast: Dict[Tuple, ConcreteFunction] = {}
        params = list(self._signature.parameters.values())
        self._fast_arity = len(params) if all(
            p.kind == p.POSITIONAL_OR_KEYWORD and p.default is p.empty for p in params
        ) and input_signature is None else -1
        self._tracing_count = 0
        self._variables_allowed = True
        code = getattr(python_function, "__code__", None)
        self._stats_key = code if code is not None else id(self)
        self._bound: Dict[int, "Function"] = {}

    # -- binding ------------------------------------------------------------------------
    def _bind(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]
              ) -> "collections.OrderedDict[str, Any]":
        arguments = bind_arguments(self._signature, args, kwargs)
        if self._input_signature is not None:
            arguments = self._apply_input_signature(arguments, args, kwargs)
        return collections.OrderedDict(arguments)

    def _apply_input_signature(self, arguments: Any, args: Any, kwargs: Any) -> Any:
        names = list(arguments.keys())
        specs = self._input_signature
        if len(specs) > len(names):
            raise TypeError(f"Binding inputs to tf.function failed: the function takes "
                            f"{len(names)} arguments but input_signature has {len(specs)}.")
        out = collections.OrderedDict(arguments)
        for name, spec in zip(names, specs):
            def check(s: TensorSpec, value: Any) -> Any:
                if isinstance(value, Tensor) and not isinstance(value, _variables.Variable):
                    t = value
                else:
                    try:
                        t = convert_to_tensor(value, dtype=s.dtype)
                    except (TypeError, ValueError):
                        t = None
                if t is None or t.dtype != s.dtype or not s.shape.is_compatible_with(t.shape):
                    got = (f"TensorSpec(shape={t.shape}, dtype=tf.{t.dtype.name}, name=None)"
                           if t is not None else repr(value))
                    raise TypeError(
                        f"Binding inputs to tf.function failed due to `Can not cast {got} "
                        f"to {s!r}`. Received args: {args} and kwargs: {kwargs} for "
                        f"signature: ({self._signature_text_of_input_signature()}).")
                return t
            try:
                nest.assert_same_structure(spec, arguments[name], check_types=False)
            except (TypeError, ValueError):
                raise TypeError(f"Binding inputs to tf.function failed: {name} = "
                                f"{arguments[name]!r} does not match {spec!r}") from None
            out[name] = nest.map_structure(check, spec, arguments[name])
        return out

    def _signature_text_of_input_signature(self) -> str:
        names = list(self._signature.parameters)
        return ", ".join(f"{n}: {s!r}" for n, s in zip(names, self._input_signature))

    def _signature_key(self) -> Tuple:
        names = list(self._signature.parameters)
        return tuple((n, _trace_type(s)) for n, s in zip(names, self._input_signature))

    # -- calling ------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if run_eagerly or _tape.active:
            return self._python_function(*args, **kwargs)
        if not kwargs and len(args) == self._fast_arity:  # all positional, no defaults
            key = _fast_key(args)
            if key is not None:
                cf = self._fast.get(key)
                if cf is not None:  # the steady state: no binding, no nest walks
                    _called(self._stats_key, False, self._python_function)
                    arrays: List[Any] = []
                    _gather(args, arrays)
                    return cf._call_arrays(arrays, lambda: collections.OrderedDict(
                        zip(self._signature.parameters, args)))
                arguments = self._bind(args, kwargs)
                cf, traced = self._concrete_for(arguments)
                self._fast[key] = cf
                _called(self._stats_key, traced, self._python_function)
                return cf._call_arguments(arguments)
        arguments = self._bind(args, kwargs)
        cf, traced = self._concrete_for(arguments)
        _called(self._stats_key, traced, self._python_function)
        return cf._call_arguments(arguments)

    def _concrete_for(self, arguments: "collections.OrderedDict[str, Any]"
                      ) -> Tuple[ConcreteFunction, bool]:
        """The concrete function for these arguments, traced if needed."""
        key = (self._signature_key() if self._input_signature is not None else
               tuple((n, _trace_type(v)) for n, v in arguments.items()))
        cf = self._exact.get(key)
        if cf is not None:
            return cf, False
        for g in self._general:
            if _key_compatible(g._key, key):
                return g, False
        if self._reduce_retracing:
            for other in self._order:
                relaxed = _relax_key(other._key, key)
                if relaxed is not None and relaxed != other._key:
                    key = relaxed
                    break
        return self._new_concrete(key, arguments), True

    def _new_concrete(self, key: Tuple, arguments: "collections.OrderedDict[str, Any]"
                      ) -> ConcreteFunction:
        cf = ConcreteFunction(self, key, arguments)
        shapes = tuple((leaf if isinstance(leaf, Tensor) else convert_to_tensor(leaf))._a.shape
                       for _, leaf in _tensor_leaves(arguments))
        cf._specialization(arguments, shapes)
        self._tracing_count += 1
        if cf._first.created:
            if not self._variables_allowed:
                raise ValueError(_VARIABLE_CREATION_ERROR)
            # TF traces again once the variables exist; one that still creates is an error
            cf = ConcreteFunction(self, key, arguments)
            cf._specialization(arguments, shapes)
            self._tracing_count += 1
            if cf._first.created:
                raise ValueError(_VARIABLE_CREATION_ERROR)
        self._variables_allowed = False
        general = any(t[0] == _TENSOR and (t[1] is None or None in t[1])
                      for t in _flat_types(key))
        if general:
            self._general.insert(0, cf)
        else:
            self._exact[key] = cf
        self._order.append(cf)
        return cf

    # -- TF's Function API --------------------------------------------------------------
    def get_concrete_function(self, *args: Any, **kwargs: Any) -> ConcreteFunction:
        """The concrete function for these arguments (tensors or TensorSpecs), traced if
        needed. TensorSpec arguments are traced on zeros (size 2 for None dimensions)."""
        if not args and not kwargs and self._input_signature is not None:
            args = tuple(self._input_signature)
        if self._input_signature is not None:
            args = tuple(nest.map_structure(
                lambda x: _placeholder(x) if isinstance(x, TensorSpec) else x, a)
                for a in args)
            arguments = self._bind(args, kwargs)
            cf, traced = self._concrete_for(arguments)
            return cf
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"Binding inputs to tf.function failed due to `{e}`.") from None
        bound.apply_defaults()
        key = tuple((n, _trace_type(v)) for n, v in bound.arguments.items())
        arguments = collections.OrderedDict(
            (n, nest.map_structure(
                lambda x: _placeholder(x) if isinstance(x, TensorSpec) else x, v))
            for n, v in bound.arguments.items())
        cf = self._exact.get(key)
        if cf is None:
            for g in self._general:
                if _key_compatible(g._key, key):
                    return g
            cf = self._new_concrete(key, arguments)
        return cf

    def experimental_get_tracing_count(self) -> int:
        return self._tracing_count

    def pretty_printed_concrete_signatures(self, verbose: bool = True) -> str:
        return "\n\n".join(cf._signature_text() for cf in self._order)

    @property
    def python_function(self) -> Callable[..., Any]:
        return self._python_function

    @property
    def input_signature(self) -> Optional[Tuple[Any, ...]]:
        return self._input_signature

    @property
    def function_spec(self) -> inspect.Signature:
        return self._signature

    @property
    def experimental_follow_type_hints(self) -> bool:
        return False

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        """As TF: a tf.function method traces separately for each instance."""
        if instance is None:
            return self
        bound = self._bound.get(id(instance))
        if bound is None:
            bound = Function(types.MethodType(self._python_function, instance),
                             self._input_signature, self._autograph, self._jit_compile,
                             self._reduce_retracing, self._name)
            bound._stats_key = self._stats_key
            self._bound[id(instance)] = bound
            try:
                weakref.finalize(instance, self._bound.pop, id(instance), None)
            except TypeError:  # not weak-referenceable: kept for the process
                pass
        return bound


def _flat_types(key: Tuple) -> List[Any]:
    out: List[Any] = []

    def walk(t: Any) -> None:
        if t[0] == _NEST:
            for c in t[-1]:
                walk(c)
        else:
            out.append(t)

    for _, t in key:
        walk(t)
    return out


def _placeholder(spec: TensorSpec) -> Tensor:
    """A value standing for ``spec`` when tracing from a signature: zeros, with 2 for
    each unknown dimension."""
    if spec.shape.rank is None:
        raise ValueError(f"get_concrete_function: {spec!r} has an unknown rank; tapeflow "
                         "traces graphs for concrete shapes and needs at least the rank")
    shape = [2 if d is None else d for d in spec.shape.as_list()]
    return convert_to_tensor(np.zeros(shape, dtype=spec.dtype.as_numpy_dtype))


def function(func: Optional[Callable[..., Any]] = None, input_signature: Any = None,
             autograph: bool = True, jit_compile: Optional[bool] = None,
             reduce_retracing: bool = False, experimental_implements: Any = None,
             experimental_autograph_options: Any = None, experimental_attributes: Any = None,
             experimental_relax_shapes: Optional[bool] = None,
             experimental_compile: Optional[bool] = None,
             experimental_follow_type_hints: Any = None) -> Any:
    """``tf.function``: compiles ``func`` into graphs traced per input signature (see
    this module's docstring for what mirrors TF 2.21 and what differs). Usable as
    ``@tf.function`` or ``@tf.function(input_signature=..., reduce_retracing=True)``."""
    if experimental_relax_shapes is not None:
        reduce_retracing = reduce_retracing or bool(experimental_relax_shapes)
    if experimental_compile is not None and jit_compile is None:
        jit_compile = experimental_compile

    def decorate(f: Callable[..., Any]) -> Function:
        return Function(f, input_signature, autograph, jit_compile, reduce_retracing)

    if func is None:
        return decorate
    return decorate(func)


def executing_eagerly() -> bool:
    """``tf.executing_eagerly()``: False while a tf.function is being traced."""
    return not _tracing.stack
