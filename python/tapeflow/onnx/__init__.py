"""``tapeflow.onnx.export``: a traced function or a Keras model as an ONNX model.

The exporter reads tapeflow's graph IR (csrc/graph, ``Graph.definition()``) and writes
each node as ONNX operators (opset 17, IR version 8) with its own protobuf writer
(``_proto.py``), so exporting needs only numpy; the optional ``onnx`` and
``onnxruntime`` packages are what the tests use to check the files. Variables the
function reads become initializers holding their current values; constants too.

What exports: inference graphs made of elementwise ops, matmul, reductions, shape ops,
slicing, gather, one_hot, pad, tile, concat/stack, softmax, cumsum, casts and
``tf.shape``/``tf.size``. A signature with ``None`` dimensions gives ONNX inputs with
unknown dimensions when tapeflow proves the traced graph serves every shape (see
graph/function.py); otherwise the traced shapes are fixed in the model. What does not
export, with a NotImplementedError naming the op: variable assignments, random draws,
gradient-only ops, Python calls (``tf.py_function``, ``tf.print``) and Python branches
on tensors (guards). ``tf.cond`` becomes ONNX ``If`` (both branches as subgraphs).

Where results may differ from tapeflow's: ``tf.one_hot`` gives an all-off row for a
negative index where ONNX's OneHot counts it from the end; ``log1p``/``expm1`` are
written as ``log(1 + x)``/``exp(x) - 1``.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from tapeflow.framework import dtypes
from tapeflow.onnx import _proto

__all__ = ["export", "OPSET", "IR_VERSION"]

OPSET = 17
IR_VERSION = 8
_INT64_MAX = 2**63 - 1
_INT64_MIN = -2**63


class _Emitter:
    """Collects ONNX nodes and initializers while the IR's nodes are converted."""

    def __init__(self, counter: Optional[List[int]] = None) -> None:
        self.nodes: List[bytes] = []
        self.initializers: List[bytes] = []
        self._counter = counter if counter is not None else [0]  # shared by subgraphs

    def child(self) -> "_Emitter":
        """An emitter for a subgraph (an If branch): names stay unique model-wide."""
        return _Emitter(self._counter)

    def fresh(self, hint: str = "t") -> str:
        self._counter[0] += 1
        return f"{hint}_{self._counter[0]}"

    def const(self, value: Any, dtype: Any = None, hint: str = "const") -> str:
        name = self.fresh(hint)
        self.initializers.append(_proto.tensor(name, np.asarray(value, dtype=dtype)))
        return name

    def named_const(self, name: str, value: np.ndarray) -> None:
        self.initializers.append(_proto.tensor(name, value))

    def op(self, op_type: str, inputs: Sequence[str], out: Optional[str] = None,
           **attrs: Any) -> str:
        out = out or self.fresh(op_type.lower())
        attributes = [_proto.attribute(k, v) for k, v in attrs.items()]
        self.nodes.append(_proto.node(op_type, inputs, [out], self.fresh("n"), attributes))
        return out


# ---- converters: IR op -> ONNX nodes --------------------------------------------------
# Each gets the emitter, the node's attributes, its input names, input specs
# ((shape, numpy dtype) per input), output names and output specs; it writes nodes whose
# results carry the output names.

Converter = Callable[..., None]
_CONVERTERS: Dict[str, Converter] = {}


def _converter(*ops: str) -> Callable[[Converter], Converter]:
    def register(f: Converter) -> Converter:
        for op in ops:
            _CONVERTERS[op] = f
        return f
    return register


def _simple(onnx_op: str) -> Converter:
    def convert(em: _Emitter, op: str, attrs: Dict[str, Any], ins: List[str], specs: List[Any],
                outs: List[str], out_specs: List[Any]) -> None:
        em.op(onnx_op, ins, outs[0])
    return convert


for _op, _onnx in {"neg": "Neg", "abs": "Abs", "sign": "Sign", "relu": "Relu", "exp": "Exp",
                   "log": "Log", "sqrt": "Sqrt", "reciprocal": "Reciprocal", "sin": "Sin",
                   "cos": "Cos", "tanh": "Tanh", "sigmoid": "Sigmoid", "softplus": "Softplus",
                   "floor": "Floor", "ceil": "Ceil", "round": "Round", "erf": "Erf",
                   "logical_not": "Not", "isnan": "IsNaN", "add": "Add", "sub": "Sub",
                   "mul": "Mul", "pow": "Pow", "maximum": "Max", "minimum": "Min",
                   "equal": "Equal", "less": "Less", "less_equal": "LessOrEqual",
                   "greater": "Greater", "greater_equal": "GreaterOrEqual",
                   "logical_and": "And", "logical_or": "Or", "where": "Where",
                   "copy": "Identity", "to_device": "Identity"}.items():
    _CONVERTERS[_op] = _simple(_onnx)


def _one(em: _Emitter, spec: Any, value: float) -> str:
    return em.const(np.array(value, dtype=spec[1]))


@_converter("square", "log1p", "expm1", "rsqrt", "relu6", "isfinite", "not_equal", "div",
            "floordiv", "mod")
def _composites(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    x, out = ins[0], outs[0]
    floating = np.issubdtype(specs[0][1], np.floating)
    if op == "square":
        em.op("Mul", [x, x], out)
    elif op == "log1p":
        em.op("Log", [em.op("Add", [x, _one(em, specs[0], 1.0)])], out)
    elif op == "expm1":
        em.op("Sub", [em.op("Exp", [x]), _one(em, specs[0], 1.0)], out)
    elif op == "rsqrt":
        em.op("Reciprocal", [em.op("Sqrt", [x])], out)
    elif op == "relu6":
        em.op("Clip", [x, _one(em, specs[0], 0), _one(em, specs[0], 6)], out)
    elif op == "isfinite":
        em.op("Not", [em.op("Or", [em.op("IsNaN", [x]), em.op("IsInf", [x])])], out)
    elif op == "not_equal":
        em.op("Not", [em.op("Equal", ins)], out)
    elif op == "div":
        if not floating:  # TF's integer division by 0 gives 0; ONNX's is undefined
            raise NotImplementedError("tapeflow.onnx: integer 'div' has no ONNX equivalent")
        em.op("Div", ins, out)
    elif op == "floordiv":
        if not floating:
            raise NotImplementedError("tapeflow.onnx: integer 'floordiv' has no ONNX "
                                      "equivalent")
        em.op("Floor", [em.op("Div", ins)], out)
    elif op == "mod":
        if floating:  # floor modulo: a - floor(a / b) * b
            q = em.op("Floor", [em.op("Div", ins)])
            em.op("Sub", [x, em.op("Mul", [q, ins[1]])], out)
        else:
            em.op("Mod", ins, out, fmod=0)


@_converter("cast")
def _cast(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    em.op("Cast", ins, outs[0], to=_proto.elem_type(out_specs[0][1]))


@_converter("reshape", "broadcast_to", "tile")
def _shaped(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    key = {"reshape": "shape", "broadcast_to": "shape", "tile": "multiples"}[op]
    target = em.const(np.array(attrs[key], dtype=np.int64), hint=key)
    onnx_op = {"reshape": "Reshape", "broadcast_to": "Expand", "tile": "Tile"}[op]
    em.op(onnx_op, [ins[0], target], outs[0])


@_converter("transpose")
def _transpose(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    rank = len(specs[0][0])
    perm = [p % rank for p in attrs["perm"]] if attrs["perm"] else list(range(rank))[::-1]
    em.op("Transpose", ins, outs[0], perm=perm)


@_converter("expand_dims", "squeeze")
def _axes_ops(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    if op == "expand_dims":
        axes = em.const(np.array([attrs["axis"]], dtype=np.int64), hint="axes")
        em.op("Unsqueeze", [ins[0], axes], outs[0])
    elif attrs["axes"]:
        em.op("Squeeze", [ins[0], em.const(np.array(attrs["axes"], np.int64), hint="axes")],
              outs[0])
    else:
        em.op("Squeeze", [ins[0]], outs[0])


@_converter("slice")
def _slice(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    args = attrs["args"]
    starts, ends, axes, steps, squeeze = [], [], [], [], []
    for d in range(len(args) // 5):
        flags, start, stop, step, index = args[5 * d:5 * d + 5]
        if flags & 4:
            starts.append(index)
            ends.append(_INT64_MAX if index == -1 else index + 1)
            steps.append(1)
            axes.append(d)
            squeeze.append(d)
            continue
        if not flags & 3 and step == 1:
            continue  # a whole dimension
        starts.append(start if flags & 1 else (0 if step > 0 else _INT64_MAX))
        ends.append(stop if flags & 2 else (_INT64_MAX if step > 0 else _INT64_MIN))
        steps.append(step)
        axes.append(d)
    x = ins[0]
    if axes:
        x = em.op("Slice", [x, em.const(np.array(starts, np.int64), hint="starts"),
                            em.const(np.array(ends, np.int64), hint="ends"),
                            em.const(np.array(axes, np.int64), hint="axes"),
                            em.const(np.array(steps, np.int64), hint="steps")],
                  None if squeeze else outs[0])
    if squeeze:
        em.op("Squeeze", [x, em.const(np.array(squeeze, np.int64), hint="axes")], outs[0])
    elif not axes:
        em.op("Identity", [x], outs[0])


@_converter("sum", "prod", "max", "min", "mean", "logsumexp", "any", "all")
def _reduce(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    keepdims = int(attrs["keepdims"])
    axes = attrs.get("axes")
    onnx_op = {"sum": "ReduceSum", "prod": "ReduceProd", "max": "ReduceMax", "min": "ReduceMin",
               "mean": "ReduceMean", "logsumexp": "ReduceLogSumExp", "any": "ReduceMax",
               "all": "ReduceMin"}[op]
    if op == "mean" and not np.issubdtype(specs[0][1], np.floating):
        raise NotImplementedError("tapeflow.onnx: integer 'mean' has no ONNX equivalent")
    x = ins[0]
    if op in ("any", "all"):
        x = em.op("Cast", [x], to=_proto.INT32)
    if axes is not None and not axes:  # no axes: the identity, as TF
        em.op("Identity", [ins[0]], outs[0])
        return
    out = outs[0] if op not in ("any", "all") else None
    if op == "sum":  # opset 13+: axes as an input
        inputs = [x] if axes is None else [x, em.const(np.array(axes, np.int64), hint="axes")]
        r = em.op(onnx_op, inputs, out, keepdims=keepdims)
    elif axes is None:
        r = em.op(onnx_op, [x], out, keepdims=keepdims)
    else:
        r = em.op(onnx_op, [x], out, keepdims=keepdims, axes=list(axes))
    if op in ("any", "all"):
        em.op("Cast", [r], outs[0], to=_proto.BOOL)


@_converter("argmax", "argmin")
def _argreduce(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    onnx_op = "ArgMax" if op == "argmax" else "ArgMin"
    if out_specs[0][1] == np.int64:
        em.op(onnx_op, ins, outs[0], axis=attrs["axis"], keepdims=0)
    else:
        r = em.op(onnx_op, ins, axis=attrs["axis"], keepdims=0)
        em.op("Cast", [r], outs[0], to=_proto.INT32)


@_converter("cumsum")
def _cumsum(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    axis = em.const(np.array(attrs["axis"], np.int64), hint="axis")
    em.op("CumSum", [ins[0], axis], outs[0], exclusive=int(attrs["exclusive"]),
          reverse=int(attrs["reverse"]))


@_converter("matmul")
def _matmul(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    a, b = ins
    for k, flag in ((0, "transpose_a"), (1, "transpose_b")):
        if attrs[flag]:
            rank = len(specs[k][0])
            perm = list(range(rank - 2)) + [rank - 1, rank - 2]
            if k == 0:
                a = em.op("Transpose", [a], perm=perm)
            else:
                b = em.op("Transpose", [b], perm=perm)
    em.op("MatMul", [a, b], outs[0])


@_converter("concat", "stack")
def _concat(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    axis = attrs["axis"]
    if op == "stack":
        axes = em.const(np.array([axis], np.int64), hint="axes")
        ins = [em.op("Unsqueeze", [x, axes]) for x in ins]
    em.op("Concat", ins, outs[0], axis=axis)


@_converter("gather")
def _gather(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    em.op("Gather", ins, outs[0], axis=attrs["axis"])


@_converter("one_hot")
def _one_hot(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    # onnxruntime implements OneHot for int64 indices and depth with float values: cast
    # around it for the other dtypes.
    dtype = out_specs[0][1]
    values = em.const(np.array([attrs["off_value"], attrs["on_value"]], dtype=np.float32),
                      hint="values")
    depth = em.const(np.array([attrs["depth"]], np.int64), hint="depth")
    indices = em.op("Cast", [ins[0]], to=_proto.INT64)
    if dtype == np.float32:
        em.op("OneHot", [indices, depth, values], outs[0], axis=attrs["axis"])
    else:
        r = em.op("OneHot", [indices, depth, values], axis=attrs["axis"])
        em.op("Cast", [r], outs[0], to=_proto.elem_type(dtype))


@_converter("pad")
def _pad(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    flat = attrs["paddings"]
    pads = flat[0::2] + flat[1::2]
    value = em.const(np.array(attrs["value"], dtype=specs[0][1]), hint="pad_value")
    em.op("Pad", [ins[0], em.const(np.array(pads, np.int64), hint="pads"), value], outs[0],
          mode="constant")


@_converter("softmax")
def _softmax(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    em.op("Softmax", ins, outs[0], axis=attrs["axis"])


@_converter("shape", "size")
def _shape(em, op, attrs, ins, specs, outs, out_specs) -> None:  # noqa: ANN001
    onnx_op = "Shape" if op == "shape" else "Size"
    if out_specs[0][1] == np.int64:
        em.op(onnx_op, ins, outs[0])
    else:
        em.op("Cast", [em.op(onnx_op, ins)], outs[0], to=_proto.INT32)


# ---- export ----------------------------------------------------------------------------

_NUMPY = {d.name: np.dtype(d.as_numpy_dtype) for d in dtypes.BY_INDEX}


def _np_spec(spec: Any) -> Tuple[Tuple[int, ...], np.dtype]:
    """A definition's (shape, dtype name) as (tuple, numpy dtype)."""
    shape, dtype = spec
    return tuple(shape), _NUMPY[dtype]


def _clean(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_./-]", "_", name.split(":")[0]) or "value"


def _concrete_of(target: Any) -> Tuple[Any, Optional[Any]]:
    """The concrete function to export, and the Keras model when it is one."""
    from tapeflow.graph import function as _function

    if isinstance(target, _function.ConcreteFunction):
        return target, None
    if isinstance(target, _function.Function):
        if target._input_signature is None and len(target._order) != 1:
            raise ValueError("tapeflow.onnx.export: pass a concrete function "
                             "(f.get_concrete_function(...)) or a tf.function with an "
                             "input_signature")
        return (target.get_concrete_function() if target._input_signature is not None
                else target._order[0]), None
    if hasattr(target, "predict") and hasattr(target, "variables"):  # a Keras model
        import tapeflow as tf
        from tapeflow.keras import export as keras_export

        spec = keras_export._input_specs(target)
        if isinstance(spec, list):
            raise NotImplementedError("tapeflow.onnx.export: models with several inputs "
                                      "are not supported yet")

        def serve(input):  # noqa: A002, ANN001, ANN202
            return target(input, training=False)

        return tf.function(serve, input_signature=[spec]).get_concrete_function(), target
    raise TypeError(f"tapeflow.onnx.export expects a ConcreteFunction, a tf.function with an "
                    f"input_signature or a Keras model, got {type(target).__name__}")


def export(target: Any, path: Any, opset: int = OPSET) -> str:
    """Writes ``target`` (a concrete function, a ``tf.function`` with an input_signature,
    or a Keras model) as an ONNX model at ``path``; returns the path. Inputs are named
    after the function's parameters (``input`` for a Keras model), outputs ``output_0``,
    ``output_1``, ... in ``tf.nest.flatten`` order. See the module doc for what exports."""
    from tapeflow.graph import function as _function

    if opset != OPSET:
        raise ValueError(f"tapeflow.onnx writes opset {OPSET} only, got opset={opset}")
    cf, _ = _concrete_of(target)
    general = any(t[0] == _function._TENSOR and (t[1] is None or None in t[1])
                  for t in _function._flat_types(cf._key))
    shape_free = general and cf._prove_shape_free()
    if shape_free:
        spec = cf._shape_free[0]
    else:
        paths = [p for ps in cf._graphs.values() for p in ps]
        if len(paths) != 1:
            raise NotImplementedError(
                "tapeflow.onnx.export: this function has several traced graphs (Python "
                "branches on tensors, or shapes a None-dimension signature could not "
                "serve with one graph); export one traced for a single shape and path")
        spec = paths[0]
    definition = spec.graph.definition()
    em = _Emitter()
    names: Dict[int, str] = {}
    slot_spec: Dict[int, Any] = {}
    # Inputs, named after the parameters (x, x_1, ... for a nest).
    tensor_types = [t for t in _function._flat_types(cf._key) if t[0] == _function._TENSOR]
    param_of = [name for name, t in cf._key for leaf in _function._flat_types(((name, t),))
                if leaf[0] == _function._TENSOR]
    shapes = next(s for s, ps in cf._graphs.items() if spec in ps)
    inputs = []
    used: Dict[str, int] = {}
    for slot, t, param, shape in zip(definition["inputs"], tensor_types, param_of, shapes):
        base = "input" if param in ("input", "args_0") else _clean(param)
        k = used.get(base, 0)
        used[base] = k + 1
        name = base if k == 0 else f"{base}_{k}"
        names[slot] = name
        dtype = np.dtype(dtypes.BY_INDEX[t[2]].as_numpy_dtype)
        slot_spec[slot] = (tuple(shape), dtype)
        dims = list(shape) if not shape_free else [
            None if t[1] is None or t[1][i] is None else d for i, d in enumerate(shape)]
        inputs.append(_proto.value_info(name, _proto.elem_type(dtype), dims))
    variable_names: Dict[int, str] = {}
    for index, var in enumerate(spec.variables):
        base = _clean(var.name)
        k = used.get(base, 0)
        used[base] = k + 1
        variable_names[index] = base if k == 0 else f"{base}_{k}"
        em.named_const(variable_names[index], var.numpy())
    _convert(em, definition, names, slot_spec, variable_names)
    outputs = []
    out_shapes = _output_shapes(cf, spec, shape_free)
    for k, t in enumerate(spec.template):
        name = f"output_{k}"
        if type(t) is int:
            slot = definition["outputs"][t]
            em.op("Identity", [names[slot]], name)
            shape, dtype = slot_spec[slot]
            outputs.append(_proto.value_info(name, _proto.elem_type(dtype), out_shapes[t]))
        else:
            value = t[1].numpy() if hasattr(t[1], "numpy") else None
            if value is None:
                raise NotImplementedError(f"tapeflow.onnx.export: output {k} is the Python "
                                          f"value {t[1]!r}, not a tensor")
            em.op("Identity", [em.const(value)], name)
            outputs.append(_proto.value_info(name, _proto.elem_type(value.dtype),
                                             list(value.shape)))
    from tapeflow import __version__

    graph = _proto.graph(_clean(cf._function._name), em.nodes, inputs, outputs,
                         em.initializers)
    data = _proto.model(graph, OPSET, IR_VERSION, "tapeflow", __version__)
    path = os.fspath(path)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _convert(em: _Emitter, definition: Dict[str, Any], names: Dict[int, str],
             slot_spec: Dict[int, Any], variable_names: Dict[int, str]) -> None:
    """Emits the nodes of one graph definition; ``names``/``slot_spec`` hold its input
    slots' ONNX names and specs and receive every other slot's."""
    for slot, array in definition["constants"]:
        value = np.asarray(array)
        names[slot] = em.const(value, hint="const")
        slot_spec[slot] = (value.shape, value.dtype)
    for i, node in enumerate(definition["nodes"]):
        op = node["op"]
        out_specs = [_np_spec(s) for s in node["specs"]]
        for slot, s in zip(node["outputs"], out_specs):
            slot_spec[slot] = s
        if op == "ReadVariableOp":
            names[node["outputs"][0]] = variable_names[node["attrs"]["variable"]]
            continue
        outs = []
        for slot in node["outputs"]:
            names[slot] = em.fresh(op)
            outs.append(names[slot])
        ins = [names[s] for s in node["inputs"]]
        if op == "cond":
            _cond(em, node, ins, [slot_spec[s] for s in node["inputs"]], outs, variable_names)
            continue
        convert = _CONVERTERS.get(op)
        if convert is None:
            why = {"AssignVariableOp": "assigns a Variable", "guard": "is a Python branch on a "
                   "tensor", "py_call": "calls Python"}.get(op, "has no ONNX conversion")
            where = f" (created at {node['origin']})" if node["origin"] else ""
            raise NotImplementedError(f"tapeflow.onnx.export: node {i} '{op}'{where} {why}")
        convert(em, op, node["attrs"], ins, [slot_spec[s] for s in node["inputs"]], outs,
                out_specs)


def _cond(em: _Emitter, node: Dict[str, Any], ins: List[str], specs: List[Any],
          outs: List[str], variable_names: Dict[int, str]) -> None:
    """tf.cond as ONNX If: each branch a subgraph reading the outer names it captured."""
    n_then = node["attrs"]["then_inputs"]
    parts = [(ins[1:1 + n_then], specs[1:1 + n_then]), (ins[1 + n_then:], specs[1 + n_then:])]
    branches = []
    for k, (sub, (sub_ins, sub_specs)) in enumerate(zip(node["subgraphs"], parts)):
        sem = em.child()
        names = dict(zip(sub["inputs"], sub_ins))
        slot_spec = dict(zip(sub["inputs"], sub_specs))
        _convert(sem, sub, names, slot_spec, variable_names)
        outputs = []
        for slot in sub["outputs"]:
            name = sem.op("Identity", [names[slot]])
            outputs.append(_proto.value_info(name, _proto.elem_type(slot_spec[slot][1]), None))
        branches.append(_proto.graph(em.fresh("then" if k == 0 else "else"), sem.nodes, [],
                                     outputs, sem.initializers))
    pred = ins[0]
    if specs[0][1] != np.bool_:
        pred = em.op("Cast", [pred], to=_proto.BOOL)
    em.nodes.append(_proto.node(
        "If", [pred], outs, em.fresh("n"),
        [_proto.attribute("then_branch", branches[0], kind="graph"),
         _proto.attribute("else_branch", branches[1], kind="graph")]))


def _output_shapes(cf: Any, spec: Any, shape_free: bool) -> List[List[Optional[int]]]:
    """Each graph output's shape, None where traces at different shapes disagree."""
    shapes = [list(s) for s, _ in spec.graph.output_specs]
    if not shape_free:
        return shapes
    for paths in cf._graphs.values():
        for other in paths:
            if other is spec or len(other.graph.output_specs) != len(shapes):
                continue
            for k, (s, _) in enumerate(other.graph.output_specs):
                if len(s) == len(shapes[k]):
                    shapes[k] = [a if a == b else None for a, b in zip(shapes[k], s)]
    return shapes
