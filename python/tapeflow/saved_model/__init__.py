"""``tf.saved_model``: save a Module with its traced functions and Variables, load it
back without its Python code.

``save(obj, dir)`` writes every concrete function traced so far of every ``tf.function``
reachable from ``obj`` (functions with an ``input_signature`` are traced first if they
never ran), as graphs in tapeflow's IR (csrc/graph: ops by name with their attributes,
no Python), and the Variables as a tapeflow checkpoint. ``load(dir)`` rebuilds an object
with the same attributes: Variables, lists, dicts, sub-objects, and callable functions
that run the saved graphs; ``loaded.signatures`` holds the serving signatures, as TF.

As TF 2.21 (checked against it): a loaded function accepts the argument types of its
saved concrete functions and raises TF's "Could not find matching concrete function"
ValueError for others; signatures take keyword arguments (or positional) and return a
dict (``output_0``, ... for non-dict results); with ``signatures`` omitted, the one
``tf.function`` of ``obj`` that has an ``input_signature`` becomes ``serving_default``;
a function capturing a Variable that ``obj`` does not track cannot be saved.

Where tapeflow differs: graphs are traced at concrete shapes. A signature with ``None``
dimensions is saved as one graph serving every shape when tapeflow can prove it (the
function is traced at a second size and both graphs are the same computation; see
graph/function.py); otherwise only the traced shapes can be called after loading, and
another shape gets a ValueError saying so. Functions calling Python (``tf.py_function``,
``tf.numpy_function``, ``tf.print``) cannot be saved. Functions taking Variables or
namedtuples as arguments cannot be saved either.

Folder layout (tapeflow's own format; no pickle anywhere, loading runs no Python code
from the folder and opens only these files, refusing links that leave the folder):
  ``saved_model.json``: ``{"format": "tapeflow-saved-model", "version": 1, "nodes":
  [...], "functions": [...], "signatures": {...}}``. ``nodes`` is the checkpoint's object
  graph (node 0 is ``obj``), each node with its ``kind`` (object, list, tuple, dict,
  variable: name, trainable, shape, dtype) and ``functions`` (attribute -> index into
  ``functions``). A function has a name, its Python parameters and its concrete
  functions: input types, output structure, and graphs (``Graph.definition()`` data, the
  captured Variables as node indices, the concrete input shapes it was traced for, and
  whether it serves every shape).
  ``constants.npz``: the graphs' constants (numpy, ``allow_pickle=False``).
  ``variables/variables.index``, ``variables/variables.data-00000-of-00001``: a
  ``tf.train.Checkpoint`` of ``obj`` (train/checkpoint.py).
"""

from __future__ import annotations

import collections
import inspect
import json
import math
import os
import zipfile
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from tapeflow import _core, nest
from tapeflow.framework import dtypes, tracking
from tapeflow.framework.tensor import Tensor, convert_to_tensor
from tapeflow.framework.tensor_spec import TensorSpec
from tapeflow.framework.variables import Variable
from tapeflow.graph import function as _function
from tapeflow.train import checkpoint as _checkpoint

__all__ = ["save", "load"]

_FORMAT = "tapeflow-saved-model"
_META = "saved_model.json"
_CONSTANTS = "constants.npz"
_VARIABLES = os.path.join("variables", "variables")
_KINDS = ("object", "list", "tuple", "dict", "variable")
_PARAM_KINDS = {p.name: p for p in (inspect.Parameter.POSITIONAL_ONLY,
                                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    inspect.Parameter.VAR_POSITIONAL,
                                    inspect.Parameter.KEYWORD_ONLY,
                                    inspect.Parameter.VAR_KEYWORD)}


class _SaveError(ValueError):
    pass


# ---- saving ------------------------------------------------------------------------------

def _functions_of(obj: Any) -> Dict[str, _function.Function]:
    """The tf.functions an object holds: instance attributes and (bound) methods."""
    if not isinstance(obj, tracking.AutoTrackable):
        return {}
    out: Dict[str, _function.Function] = {}
    for name in sorted(set(dir(type(obj))) | set(vars(obj))):
        if name.startswith("__"):
            continue
        raw = vars(obj).get(name, inspect.getattr_static(type(obj), name, None))
        if isinstance(raw, _function.Function):
            out[name] = getattr(obj, name)
    return out


def _json_value(x: Any, what: str) -> Any:
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        if isinstance(x, float) and not math.isfinite(x):
            raise _SaveError(f"{what}: the Python value {x!r} cannot be saved")
        return x
    raise _SaveError(f"{what}: the Python value {x!r} cannot be saved (only None, bool, "
                     "int, float and str)")


def _encode_type(t: Any, what: str) -> Any:
    """A trace type (graph/function.py) as JSON."""
    kind = t[0]
    if kind == _function._TENSOR:
        return {"tensor": [None if t[1] is None else list(t[1]), dtypes.BY_INDEX[t[2]].name]}
    if kind == _function._PYTHON:
        return {"python": _json_value(t[1], what)}
    if kind == _function._NEST:
        cls = t[1]
        if issubclass(cls, dict):
            keys = [_json_value(k, what) for k in t[2]]
            return {"dict": [[k, _encode_type(v, what)] for k, v in zip(keys, t[3])]}
        if issubclass(cls, tuple) and hasattr(cls, "_fields"):
            raise _SaveError(f"{what}: namedtuple arguments cannot be saved")
        name = "list" if issubclass(cls, list) else "tuple"
        return {name: [_encode_type(c, what) for c in t[-1]]}
    if kind == _function._VARIABLE:
        raise _SaveError(f"{what}: functions taking a tf.Variable argument cannot be saved")
    raise _SaveError(f"{what}: an argument of type {t!r} cannot be saved")


def _encode_structure(structure: Any) -> Any:
    """An output structure (leaves dropped) as JSON."""
    if isinstance(structure, dict):
        return {"dict": [[_json_value(k, "output key"), _encode_structure(v)]
                         for k, v in structure.items()]}
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return {"namedtuple": [type(structure).__name__, list(structure._fields),
                               [_encode_structure(v) for v in structure]]}
    if isinstance(structure, (list, tuple)):
        return {"list" if isinstance(structure, list) else "tuple":
                [_encode_structure(v) for v in structure]}
    return None


class _Writer:
    def __init__(self, var_nodes: Dict[int, int]) -> None:
        self.var_nodes = var_nodes  # id(Variable) -> node index
        self.constants: Dict[str, np.ndarray] = {}
        self.functions: List[Dict[str, Any]] = []
        self._function_index: Dict[int, int] = {}
        self._concrete_index: Dict[int, Tuple[int, int]] = {}

    def _array(self, value: Any) -> str:
        member = f"c{len(self.constants)}"
        self.constants[member] = np.asarray(value)
        return member

    def _definition(self, definition: Dict[str, Any], name: str) -> Dict[str, Any]:
        """A Graph.definition() as JSON data (constants moved to the npz), recursively
        through the subgraphs of control-flow nodes."""
        for node in definition["nodes"]:
            if not _core.graph_op_registered(node["op"]):
                raise _SaveError(
                    f"tf.saved_model.save: function '{name}' calls Python (op "
                    f"'{node['op']}': tf.py_function, tf.numpy_function or tf.print), which "
                    "a SavedModel cannot hold")
            node["specs"] = [[list(s), d] for s, d in node["specs"]]
            if "subgraphs" in node:
                node["subgraphs"] = [self._definition(g, name) for g in node["subgraphs"]]
        definition["output_specs"] = [[list(s), d] for s, d in definition["output_specs"]]
        definition["constants"] = [[slot, self._array(a)]
                                   for slot, a in definition["constants"]]
        return definition

    def _graph(self, spec: Any, name: str) -> Dict[str, Any]:
        definition = self._definition(spec.graph.definition(), name)
        variables = []
        for v in spec.variables:
            node = self.var_nodes.get(id(v))
            if node is None:
                raise AssertionError(
                    "Tried to export a function which references an 'untracked' resource. "
                    "TensorFlow objects (e.g. tf.Variable) captured by functions must be "
                    "'tracked' by assigning them to an attribute of a tracked object or "
                    "assigned to an attribute of the main object directly. See the "
                    f"information below:\n\tFunction name = {name}\n\tTrackable "
                    f"referencing this tensor = {v!r}")
            variables.append(node)
        template = []
        for t in spec.template:
            if type(t) is int:
                template.append(t)
            elif isinstance(t[1], Tensor):
                template.append({"tensor": self._array(t[1].numpy())})
            else:
                template.append({"python": _json_value(t[1], f"function '{name}' output")})
        return {"graph": definition, "variables": variables, "template": template,
                "structure": _encode_structure(spec.structure),
                "single": spec.structure is None}

    def concrete(self, cf: Any, name: str) -> Dict[str, Any]:
        what = f"tf.saved_model.save: function '{name}'"
        key = [[n, _encode_type(t, what)] for n, t in cf._key]
        general = any(t[0] == _function._TENSOR and (t[1] is None or None in t[1])
                      for t in _function._flat_types(cf._key))
        if general:
            cf._prove_shape_free()
        shape_free = {id(s) for s in cf._shape_free}
        graphs = []
        for shapes, paths in cf._graphs.items():
            for spec in paths:
                g = self._graph(spec, name)
                g["shapes"] = [list(s) for s in shapes]
                g["shape_free"] = id(spec) in shape_free
                graphs.append(g)
        return {"key": key, "graphs": graphs}

    def function(self, fn: _function.Function) -> int:
        """Saves every concrete function of ``fn`` (tracing an input_signature first)."""
        index = self._function_index.get(id(fn))
        if index is not None:
            return index
        if not fn._order and fn._input_signature is not None:
            fn.get_concrete_function()
        params = []
        for p in fn._signature.parameters.values():
            entry: Dict[str, Any] = {"name": p.name, "kind": p.kind.name}
            if p.default is not p.empty:
                try:
                    entry["default"] = _json_value(p.default, "default")
                except _SaveError:
                    pass  # not saved: the loaded function needs this argument passed
            params.append(entry)
        record = {"name": fn._name, "parameters": params, "concrete": []}
        for k, cf in enumerate(fn._order):
            record["concrete"].append(self.concrete(cf, fn._name))
            self._concrete_index[id(cf)] = (len(self.functions), k)
        self._function_index[id(fn)] = len(self.functions)
        self.functions.append(record)
        return self._function_index[id(fn)]

    def signature(self, target: Any, name: str) -> Dict[str, Any]:
        if isinstance(target, _function.Function):
            if target._input_signature is None:
                raise ValueError(
                    f"signature '{name}': a tf.function used as a signature needs an "
                    "input_signature (or pass a ConcreteFunction)")
            specs = list(target._input_signature)
            cf = target.get_concrete_function()
        elif isinstance(target, _function.ConcreteFunction):
            cf = target
            specs = [a for a in cf.structured_input_signature[0]]
            specs += list(cf.structured_input_signature[1].values())
        else:
            raise ValueError(f"Expected a TensorFlow function for which to generate a "
                             f"signature, but got {target!r}")
        fn = cf._function
        if id(cf) not in self._concrete_index:
            self.function(fn)
        if id(cf) not in self._concrete_index:  # a concrete function not in fn._order
            self.functions[self._function_index[id(fn)]]["concrete"].append(
                self.concrete(cf, fn._name))
            self._concrete_index[id(cf)] = (self._function_index[id(fn)],
                                            len(self.functions[-1]["concrete"]) - 1)
        f_index, c_index = self._concrete_index[id(cf)]
        inputs = []
        for (param, _), spec in zip(cf._key, specs):
            if not isinstance(spec, TensorSpec):
                raise ValueError(f"signature '{name}': every argument must be a tensor")
            inputs.append([param, spec.name or param])
        return {"function": f_index, "concrete": c_index, "inputs": inputs}


def save(obj: Any, export_dir: Any, signatures: Any = None, options: Any = None) -> None:
    """``tf.saved_model.save``: writes ``obj`` (a ``tf.Module`` or other trackable) with its
    traced functions and Variables to the folder ``export_dir`` (see the module doc)."""
    if not isinstance(obj, tracking.AutoTrackable):
        raise ValueError("Expected an object of type `Trackable`, such as `tf.Module` or a "
                         "subclass of the `Trackable` class, for export. Got "
                         f"{obj} with type {type(obj)}.")
    export_dir = os.fspath(export_dir)
    nodes, objects = _checkpoint._build_graph(obj)
    var_nodes = {id(o): i for i, o in enumerate(objects) if isinstance(o, Variable)}
    writer = _Writer(var_nodes)
    for node, o in zip(nodes, objects):
        if isinstance(o, Variable):
            node["kind"] = "variable"
            node["variable"] = {"name": o.name, "trainable": bool(o.trainable),
                                "shape": list(o.shape), "dtype": o.dtype.name}
        elif isinstance(o, dict):
            node["kind"] = "dict"
        elif isinstance(o, (list, tuple)):
            node["kind"] = "tuple" if isinstance(o, tuple) else "list"
        else:
            node["kind"] = "object"
        functions = {name: writer.function(fn) for name, fn in _functions_of(o).items()}
        if functions:
            node["functions"] = functions
    if signatures is None:
        candidates = [fn for fn in _functions_of(obj).values()
                      if fn._input_signature is not None]
        signatures = {"serving_default": candidates[0]} if len(candidates) == 1 else {}
    elif not isinstance(signatures, dict):
        signatures = {"serving_default": signatures}
    saved_signatures = {str(k): writer.signature(v, str(k)) for k, v in signatures.items()}
    meta = {"format": _FORMAT, "version": 1, "nodes": nodes, "functions": writer.functions,
            "signatures": saved_signatures}
    os.makedirs(export_dir, exist_ok=True)
    with open(os.path.join(export_dir, _CONSTANTS), "wb") as f:
        np.savez(f, **writer.constants)
    _checkpoint._write(os.path.join(export_dir, _VARIABLES), obj)
    with open(os.path.join(export_dir, _META), "w", encoding="utf-8") as f:
        json.dump(meta, f)


# ---- loading -----------------------------------------------------------------------------

class _Invalid(ValueError):
    pass


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise _Invalid(what)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _int_list(x: Any, what: str) -> List[int]:
    _need(isinstance(x, list) and all(_is_int(v) for v in x), f"{what} must be a list of ints")
    return x


def _spec(x: Any, what: str) -> Tuple[List[int], str]:
    _need(isinstance(x, list) and len(x) == 2, f"{what} must be [shape, dtype]")
    _int_list(x[0], what + " shape")
    _need(isinstance(x[1], str), f"{what} dtype must be a string")
    return x[0], x[1]


def _checked_definition(d: Any, constants: Any, what: str, depth: int = 0) -> Dict[str, Any]:
    """The definition with its types checked (meaning is checked by the core)."""
    _need(isinstance(d, dict), f"{what} must be an object")
    for k in ("num_slots", "num_variables"):
        _need(_is_int(d.get(k)), f"{what}.{k} must be an int")
    out = {"num_slots": d["num_slots"], "num_variables": d["num_variables"],
           "inputs": _int_list(d.get("inputs"), what + ".inputs"),
           "outputs": _int_list(d.get("outputs"), what + ".outputs")}
    specs = d.get("output_specs")
    _need(isinstance(specs, list), f"{what}.output_specs must be a list")
    out["output_specs"] = [_spec(s, what + ".output_specs") for s in specs]
    consts = d.get("constants")
    _need(isinstance(consts, list), f"{what}.constants must be a list")
    out["constants"] = []
    for c in consts:
        _need(isinstance(c, list) and len(c) == 2 and _is_int(c[0]) and isinstance(c[1], str),
              f"{what}.constants entries must be [slot, member]")
        out["constants"].append((c[0], constants(c[1])))
    nodes = d.get("nodes")
    _need(isinstance(nodes, list), f"{what}.nodes must be a list")
    out["nodes"] = []
    for i, n in enumerate(nodes):
        w = f"{what}.nodes[{i}]"
        _need(isinstance(n, dict), f"{w} must be an object")
        _need(isinstance(n.get("op"), str), f"{w}.op must be a string")
        attrs = n.get("attrs")
        _need(isinstance(attrs, dict), f"{w}.attrs must be an object")
        for k, v in attrs.items():
            ok = (_is_int(v) or isinstance(v, (float, str))
                  or (isinstance(v, list) and (all(_is_int(e) for e in v)
                                               or all(isinstance(e, float) for e in v))))
            _need(ok, f"{w}.attrs.{k} must be a number, string or list of numbers")
            if _is_int(v):
                _need(-2**63 <= v < 2**63, f"{w}.attrs.{k} is out of range")
            if isinstance(v, list) and v and _is_int(v[0]):
                _need(all(-2**63 <= e < 2**63 for e in v), f"{w}.attrs.{k} is out of range")
        _need(isinstance(n.get("side_effect"), bool), f"{w}.side_effect must be a bool")
        _need(isinstance(n.get("origin", ""), str), f"{w}.origin must be a string")
        node_specs = n.get("specs")
        _need(isinstance(node_specs, list), f"{w}.specs must be a list")
        checked = {"op": n["op"], "attrs": attrs,
                   "inputs": _int_list(n.get("inputs"), w + ".inputs"),
                   "outputs": _int_list(n.get("outputs"), w + ".outputs"),
                   "specs": [_spec(s, w + ".specs") for s in node_specs],
                   "side_effect": n["side_effect"], "origin": n.get("origin", "")}
        if "subgraphs" in n:
            subgraphs = n["subgraphs"]
            _need(isinstance(subgraphs, list) and len(subgraphs) <= 16 and depth < 64,
                  f"{w}.subgraphs must be a short list")
            checked["subgraphs"] = [
                _checked_definition(g, constants, f"{w}.subgraphs[{k}]", depth + 1)
                for k, g in enumerate(subgraphs)]
        out["nodes"].append(checked)
    for k in ("num_slots", "num_variables"):
        _need(0 <= out[k] < 2**31, f"{what}.{k} is out of range")
    for lst in (out["inputs"], out["outputs"]):
        _need(all(-2**31 <= s < 2**31 for s in lst), f"{what}: a slot is out of range")
    return out


def _decode_type(x: Any, what: str) -> Any:
    _need(isinstance(x, dict) and len(x) == 1, f"{what} must be a one-key object")
    (kind, v), = x.items()
    if kind == "tensor":
        shape, dtype = v if isinstance(v, list) and len(v) == 2 else (None, None)
        _need(shape is None or (isinstance(shape, list) and all(
            d is None or (_is_int(d) and d >= 0) for d in shape)), f"{what}: bad shape")
        try:
            index = dtypes.as_dtype(dtype)._index
        except (TypeError, ValueError, KeyError):
            raise _Invalid(f"{what}: unknown dtype {dtype!r}") from None
        return (_function._TENSOR, None if shape is None else tuple(shape), index)
    if kind == "python":
        _need(v is None or isinstance(v, (bool, int, float, str)), f"{what}: bad value")
        return (_function._PYTHON, v)
    if kind == "dict":
        _need(isinstance(v, list) and all(isinstance(e, list) and len(e) == 2 for e in v),
              f"{what}: bad dict")
        keys = tuple(e[0] for e in v)
        return (_function._NEST, dict, keys, tuple(_decode_type(e[1], what) for e in v))
    if kind in ("list", "tuple"):
        _need(isinstance(v, list), f"{what}: bad {kind}")
        return (_function._NEST, list if kind == "list" else tuple,
                tuple(_decode_type(e, what) for e in v))
    raise _Invalid(f"{what}: unknown type {kind!r}")


def _decode_structure(x: Any, what: str) -> Any:
    if x is None:
        return 0
    _need(isinstance(x, dict) and len(x) == 1, f"{what} must be a one-key object")
    (kind, v), = x.items()
    _need(isinstance(v, list), f"{what}: bad {kind}")
    if kind == "dict":
        return {e[0]: _decode_structure(e[1], what) for e in v}
    if kind == "namedtuple":
        _need(len(v) == 3 and isinstance(v[0], str) and isinstance(v[1], list), what)
        try:
            cls = collections.namedtuple(v[0], v[1])
        except (TypeError, ValueError) as e:
            raise _Invalid(f"{what}: {e}") from None
        return cls(*[_decode_structure(e, what) for e in v[2]])
    if kind in ("list", "tuple"):
        items = [_decode_structure(e, what) for e in v]
        return items if kind == "list" else tuple(items)
    raise _Invalid(f"{what}: unknown structure {kind!r}")


class _LoadedConcreteFunction(_function.ConcreteFunction):
    """A concrete function restored from a SavedModel: it runs the saved graphs and
    cannot trace (there is no Python function)."""

    def _specialization(self, arguments: Any, shapes: Tuple) -> Any:
        traced = sorted({tuple(map(tuple, s)) for s in self._graphs})
        raise ValueError(
            f"Function '{self._function._name}' loaded from a SavedModel has graphs for the "
            f"input shapes {traced} only (tapeflow saves one graph for every shape only when "
            f"it can prove the traced graph does not depend on the shape), not {shapes}; "
            "save it after calling it with these shapes, or read sizes with tf.shape "
            "rather than Python ints")


class _LoadedFunction:
    """A tf.function restored from a SavedModel (TF's ``RestoredFunction``)."""

    def __init__(self, name: str, signature: inspect.Signature) -> None:
        self._name = name
        self._signature = signature
        self._autograph = True
        self._python_function = None
        self._concrete: List[_LoadedConcreteFunction] = []

    def _bind(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        return _function.bind_arguments(self._signature, args, kwargs)

    def _matching(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Tuple[Any, Any]:
        """The saved concrete function these arguments fit, and the bound arguments."""
        arguments = self._bind(args, kwargs)
        key = tuple((n, _function._trace_type(v)) for n, v in arguments.items())
        for cf in self._concrete:
            if _function._key_compatible(cf._key, key):
                return cf, arguments
        raise ValueError(self._no_match(args, kwargs))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        cf, arguments = self._matching(args, kwargs)
        return cf._call_arguments(arguments)

    def _no_match(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> str:
        names = list(self._signature.parameters)

        def show(x: Any, name: str) -> str:
            if isinstance(x, Tensor):
                return f"<tf.Tensor '{name}:0' shape={x.shape} dtype={x.dtype.name}>"
            return repr(x)
        lines = ["Could not find matching concrete function to call loaded from the "
                 "SavedModel. Got:", f"  Positional arguments ({len(args)} total):"]
        lines += [f"    * {show(a, names[i] if i < len(names) else 'args')}"
                  for i, a in enumerate(args)]
        lines += [f"  Keyword arguments: {kwargs}", "",
                  f" Expected these arguments to match one of the following "
                  f"{len(self._concrete)} option(s):", ""]
        for i, cf in enumerate(self._concrete, 1):
            pos, kw = cf.structured_input_signature
            lines += [f"Option {i}:", f"  Positional arguments ({len(pos)} total):"]
            lines += [f"    * {p!r}" for p in pos]
            lines += [f"  Keyword arguments: {kw}", ""]
        return "\n".join(lines).rstrip("\n")

    @property
    def concrete_functions(self) -> List[_LoadedConcreteFunction]:
        return list(self._concrete)

    def get_concrete_function(self, *args: Any, **kwargs: Any) -> Any:
        return self._matching(args, kwargs)[0]

    def pretty_printed_concrete_signatures(self, verbose: bool = True) -> str:
        return "\n\n".join(cf._signature_text() for cf in self._concrete)

    def __repr__(self) -> str:
        return f"<tapeflow.saved_model RestoredFunction {self._name} at 0x{id(self):X}>"


class _SignatureFunction:
    """A serving signature: keyword (or positional) tensor arguments, a dict out."""

    def __init__(self, concrete: _LoadedConcreteFunction, inputs: List[List[str]]) -> None:
        self._concrete = concrete
        self._inputs = inputs  # [parameter name, keyword name]

    def __call__(self, *args: Any, **kwargs: Any) -> Dict[str, Any]:
        names = [k for _, k in self._inputs]
        values = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names or k in values:
                raise TypeError(f"signature got an unexpected or repeated argument {k!r}; "
                                f"it takes {names}")
            values[k] = v
        missing = [k for k in names if k not in values]
        if missing or len(args) > len(names):
            raise TypeError(f"signature takes the arguments {names}, missing {missing}")
        out = self._concrete(*[values[k] for _, k in self._inputs])
        if isinstance(out, dict):
            return {k: out[k] for k in sorted(out)}
        if isinstance(out, (list, tuple)):
            return {f"output_{i}": v for i, v in enumerate(nest.flatten(out))}
        return {"output_0": out}

    @property
    def structured_input_signature(self) -> Tuple[Tuple[Any, ...], Dict[str, Any]]:
        pos, kw = self._concrete.structured_input_signature
        specs = dict(zip([p for p, _ in self._inputs], list(pos) + list(kw.values())))
        return (), {k: TensorSpec(specs[p].shape, specs[p].dtype, k)
                    for p, k in self._inputs}

    def _output_text(self) -> str:
        text = self._concrete._output_text()
        if text.startswith("Dict["):
            return text
        if text.startswith(("Tuple[", "List[")):
            return "Dict[...]"
        return f"Dict[['output_0', {text[:-len('name=None)')]}name='output_0')]]"

    def __repr__(self) -> str:
        args = ", ".join(f"{k}: {s!r}" for k, s in self.structured_input_signature[1].items())
        return f"<ConcreteFunction (*, {args}) -> {self._output_text()} at 0x{id(self):X}>"

    def __str__(self) -> str:
        lines = ["ConcreteFunction Input Parameters:"]
        lines += [f"  {k} (KEYWORD_ONLY): {s!r}"
                  for k, s in self.structured_input_signature[1].items()]
        lines += ["Output Type:", "  " + self._output_text(), "Captures:"]
        captured = self._concrete.variables
        lines += [f"  {id(v)}: TensorSpec(shape=(), dtype=tf.resource, name=None)"
                  for v in captured] or ["  None"]
        return "\n".join(lines)


class _SignatureMap(collections.abc.Mapping):
    """``loaded.signatures`` (TF's ``_SignatureMap``)."""

    def __init__(self, signatures: Dict[str, _SignatureFunction]) -> None:
        self._signatures = signatures

    def __getitem__(self, key: str) -> _SignatureFunction:
        return self._signatures[key]

    def __iter__(self) -> Any:
        return iter(self._signatures)

    def __len__(self) -> int:
        return len(self._signatures)

    def __repr__(self) -> str:
        return f"_SignatureMap({self._signatures!r})"


class _UserObject(tracking.AutoTrackable):
    """An object restored from a SavedModel: the saved one's attributes, no methods."""


def _inside(root: str, relative: str) -> str:
    """The path of a file of the folder, refusing one that resolves outside it."""
    path = os.path.join(root, relative)
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root:
        raise ValueError(f"tf.saved_model.load: {path} resolves to {real}, outside the "
                         f"SavedModel folder {root}; refusing to read it")
    return path


def load(export_dir: Any, tags: Any = None, options: Any = None) -> Any:
    """``tf.saved_model.load``: the object saved in ``export_dir`` (see the module doc).
    Raises OSError when the folder holds no SavedModel and ValueError when it is not a
    valid one (the message names what is wrong)."""
    export_dir = os.fspath(export_dir)
    meta_path = _inside(export_dir, _META)
    if not os.path.isfile(meta_path):
        raise OSError(f"SavedModel file does not exist at: {export_dir}/{{{_META}}}")
    for f in (_CONSTANTS, _VARIABLES + ".index", _VARIABLES + _checkpoint._DATA_SUFFIX):
        _inside(export_dir, f)
    try:
        with open(meta_path, "rb") as f:
            meta = json.loads(f.read().decode("utf-8"))
        return _Loader(export_dir, meta).root
    except (_Invalid, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{export_dir} is not a valid tapeflow SavedModel: {e}") from None


class _Loader:
    def __init__(self, export_dir: str, meta: Any) -> None:
        _need(isinstance(meta, dict) and meta.get("format") == _FORMAT,
              f"{_META} is not a {_FORMAT} file")
        _need(meta.get("version") == 1, f"unsupported version {meta.get('version')!r}")
        nodes = meta.get("nodes")
        _need(isinstance(nodes, list) and nodes, "nodes must be a non-empty list")
        self.dir = export_dir
        constants_path = os.path.join(export_dir, _CONSTANTS)
        if not os.path.isfile(constants_path):
            raise OSError(f"SavedModel file does not exist at: {constants_path}")
        try:
            self.npz = np.load(constants_path, allow_pickle=False)
        except (OSError, ValueError, zipfile.BadZipFile) as e:
            raise _Invalid(f"{_CONSTANTS} cannot be read ({e})") from None
        self.reader = _checkpoint._Reader(os.path.join(export_dir, _VARIABLES))
        self.objects: List[Any] = []
        for i, node in enumerate(nodes):
            self.objects.append(self._make(node, f"nodes[{i}]"))
        for i, node in enumerate(nodes):  # edges
            children = node["children"]
            _need(isinstance(children, dict), f"nodes[{i}].children must be an object")
            obj = self.objects[i]
            for name, child in children.items():
                _need(_is_int(child) and 0 <= child < len(nodes),
                      f"nodes[{i}].children.{name} is not a node index")
                self._attach(obj, name, self.objects[child], f"nodes[{i}]")
        functions = meta.get("functions")
        _need(isinstance(functions, list), "functions must be a list")
        self.functions = [self._function(f, f"functions[{k}]") for k, f in enumerate(functions)]
        for i, node in enumerate(nodes):
            attached = node.get("functions", {})
            _need(isinstance(attached, dict), f"nodes[{i}].functions must be an object")
            for name, k in attached.items():
                _need(_is_int(k) and 0 <= k < len(self.functions),
                      f"nodes[{i}].functions.{name} is not a function index")
                _need(isinstance(self.objects[i], _UserObject),
                      f"nodes[{i}] holds functions but is not an object")
                setattr(self.objects[i], name, self.functions[k])
        self.root = self.objects[0]
        _need(isinstance(self.root, _UserObject), "node 0 must be an object")
        signatures = meta.get("signatures", {})
        _need(isinstance(signatures, dict), "signatures must be an object")
        self.root.signatures = _SignatureMap(
            {name: self._signature(s, f"signatures.{name}") for name, s in signatures.items()})

    def _make(self, node: Any, what: str) -> Any:
        _need(isinstance(node, dict) and node.get("kind") in _KINDS,
              f"{what}.kind must be one of {_KINDS}")
        kind = node["kind"]
        if kind == "variable":
            info = node.get("variable")
            _need(isinstance(info, dict) and isinstance(node.get("key"), str),
                  f"{what} is a variable without its key or description")
            shape, dtype = _spec([info.get("shape"), info.get("dtype")], what)
            value = self.reader.value(node["key"])
            _need(list(value.shape) == shape and value.dtype.name == dtype,
                  f"{what}: the saved value has shape {list(value.shape)} and dtype "
                  f"{value.dtype.name}, the variable {shape} and {dtype}")
            name = info.get("name")
            _need(isinstance(name, str), f"{what}: the variable name must be a string")
            if name.endswith(":0"):
                name = name[:-2]
            return Variable(value, trainable=bool(info.get("trainable", True)), name=name)
        if kind == "object":
            return _UserObject()
        return {"list": [], "tuple": [], "dict": {}}[kind]

    def _attach(self, obj: Any, name: str, child: Any, what: str) -> None:
        if isinstance(obj, dict):
            obj[name] = child
        elif isinstance(obj, list):
            _need(name == str(len(obj)), f"{what}: list children must be 0, 1, ... in order")
            obj.append(child)
        elif isinstance(obj, _UserObject):
            _need(name.isidentifier(), f"{what}: bad attribute name {name!r}")
            setattr(obj, name, child)
        else:
            raise _Invalid(f"{what}: a variable cannot have children")

    def _constant(self, member: str) -> Any:
        try:
            value = self.npz[member]
        except (KeyError, OSError, ValueError, zipfile.BadZipFile) as e:
            raise _Invalid(f"{_CONSTANTS} has no readable member {member!r} ({e})") from None
        try:
            return convert_to_tensor(value)
        except (TypeError, ValueError) as e:
            raise _Invalid(f"constant {member!r}: {e}") from None

    def _function(self, record: Any, what: str) -> _LoadedFunction:
        _need(isinstance(record, dict) and isinstance(record.get("name"), str),
              f"{what} must be an object with a name")
        params = []
        raw = record.get("parameters")
        _need(isinstance(raw, list), f"{what}.parameters must be a list")
        for p in raw:
            _need(isinstance(p, dict) and isinstance(p.get("name"), str)
                  and p["name"].isidentifier() and p.get("kind") in _PARAM_KINDS,
                  f"{what}.parameters has a bad entry {p!r}")
            default = p["default"] if "default" in p else inspect.Parameter.empty
            _need(default is inspect.Parameter.empty or default is None
                  or isinstance(default, (bool, int, float, str)), f"{what}: bad default")
            params.append(inspect.Parameter(p["name"], _PARAM_KINDS[p["kind"]],
                                            default=default))
        try:
            signature = inspect.Signature(params)
        except ValueError as e:
            raise _Invalid(f"{what}.parameters: {e}") from None
        fn = _LoadedFunction(record["name"], signature)
        concretes = record.get("concrete")
        _need(isinstance(concretes, list), f"{what}.concrete must be a list")
        for k, c in enumerate(concretes):
            fn._concrete.append(self._concrete(fn, c, f"{what}.concrete[{k}]"))
        return fn

    def _concrete(self, fn: _LoadedFunction, record: Any, what: str) -> Any:
        _need(isinstance(record, dict) and isinstance(record.get("key"), list),
              f"{what}.key must be a list")
        key = []
        for e in record["key"]:
            _need(isinstance(e, list) and len(e) == 2 and isinstance(e[0], str),
                  f"{what}.key entries must be [name, type]")
            key.append((e[0], _decode_type(e[1], what + ".key")))
        key = tuple(key)
        _need([n for n, _ in key] == list(fn._signature.parameters),
              f"{what}.key does not name the function's parameters")
        cf = _LoadedConcreteFunction(fn, key, collections.OrderedDict())
        graphs = record.get("graphs")
        _need(isinstance(graphs, list), f"{what}.graphs must be a list")
        tensor_types = [t for t in _function._flat_types(key) if t[0] == _function._TENSOR]
        for k, g in enumerate(graphs):
            spec, shapes, shape_free = self._specialization(g, f"{what}.graphs[{k}]",
                                                            tensor_types)
            cf._graphs.setdefault(shapes, []).append(spec)
            if shape_free:
                cf._shape_free.append(spec)
            if cf._first is None:
                cf._first = spec
        return cf

    def _specialization(self, g: Any, what: str, tensor_types: List[Any]) -> Any:
        _need(isinstance(g, dict), f"{what} must be an object")
        definition = _checked_definition(g.get("graph"), self._constant_array, what + ".graph")
        try:
            graph = _core.Graph.from_definition(definition)
        except Exception as e:  # the core's InvalidArgumentError: say which graph
            raise _Invalid(f"{what}: {e}") from None
        shapes = g.get("shapes")
        _need(isinstance(shapes, list) and len(shapes) == len(tensor_types)
              == graph.num_inputs, f"{what}.shapes must give one shape per tensor input")
        for s, t in zip(shapes, tensor_types):
            _int_list(s, what + ".shapes")
            _need(_function._compatible(t, (_function._TENSOR, tuple(s), t[2])),
                  f"{what}: input shape {s} does not fit the signature")
        variables = g.get("variables")
        _need(isinstance(variables, list) and len(variables) == graph.num_variables,
              f"{what}.variables must list the graph's {graph.num_variables} variables")
        captured = []
        for v in variables:
            _need(_is_int(v) and 0 <= v < len(self.objects)
                  and isinstance(self.objects[v], Variable),
                  f"{what}.variables: {v!r} is not a variable node")
            captured.append(self.objects[v])
        template = []
        raw = g.get("template")
        _need(isinstance(raw, list), f"{what}.template must be a list")
        for t in raw:
            if _is_int(t):
                _need(0 <= t < graph.num_outputs, f"{what}.template: output {t} out of range")
                template.append(t)
            elif isinstance(t, dict) and isinstance(t.get("tensor"), str):
                template.append(("c", self._constant(t["tensor"])))
            elif isinstance(t, dict) and "python" in t:
                template.append(("c", t["python"]))
            else:
                raise _Invalid(f"{what}.template has a bad entry {t!r}")
        structure = None if g.get("single", False) else _decode_structure(
            g.get("structure"), what + ".structure")
        if structure is not None:
            _need(len(nest.flatten(structure)) == len(template),
                  f"{what}: the structure and the template disagree")
        else:
            _need(len(template) == 1, f"{what}: a single output needs one template entry")
        spec = _function._Specialization(graph, captured, structure, template, False)
        return spec, tuple(tuple(s) for s in shapes), bool(g.get("shape_free", False))

    def _constant_array(self, member: str) -> Any:
        return self._constant(member)._a

    def _signature(self, s: Any, what: str) -> _SignatureFunction:
        _need(isinstance(s, dict) and _is_int(s.get("function")) and _is_int(s.get("concrete")),
              f"{what} must name a function and a concrete function")
        _need(0 <= s["function"] < len(self.functions), f"{what}.function out of range")
        fn = self.functions[s["function"]]
        _need(0 <= s["concrete"] < len(fn._concrete), f"{what}.concrete out of range")
        inputs = s.get("inputs")
        _need(isinstance(inputs, list) and all(
            isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)
            for e in inputs), f"{what}.inputs must be [[parameter, name], ...]")
        return _SignatureFunction(fn._concrete[s["concrete"]], inputs)
