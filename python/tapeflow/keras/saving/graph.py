"""Sequential and functional model configs in Keras 3's format, and the layer and
variable orders Keras uses (which fix the names of HDF5 groups and the order of an
optimizer's slot variables).

Keras orders a functional model's layers by depth in the graph (inputs first), ties
broken by the order a depth-first walk from the outputs first meets them
(``keras/src/ops/function.py: map_graph``). ``keras_layers`` recomputes exactly that
order from tapeflow's graph, so that ``layers/dense_1`` names the same layer in both
libraries whatever order the layers were called in.
"""

from __future__ import annotations

import collections
import heapq
from typing import Any, Dict, List, Optional, Tuple

from tapeflow.keras.layers.core import InputLayer
from tapeflow.keras.layers.layer import KerasTensor, _flat, dtype_policy
from tapeflow.keras.models import Functional, Sequential
from tapeflow.keras.saving.serialization_lib import (
    build_from_config,
    compile_config,
    deserialize_layer,
    serialize_keras_object,
    serialize_layer,
)


# ---------------------------------------------------------------------------------
# The graph of a tapeflow functional model, as Keras's nodes
# ---------------------------------------------------------------------------------
class _Node:
    """One call of a layer in the graph: (layer, positional input structure, kwargs)."""

    __slots__ = ("layer", "args", "kwargs", "key", "outputs")

    def __init__(self, layer: Any, args: Any, kwargs: Dict[str, Any], key: Tuple[int, Any]
                 ) -> None:
        self.layer, self.args, self.kwargs, self.key = layer, args, kwargs, key
        self.outputs: List[Any] = []

    @property
    def is_input(self) -> bool:
        return self.args is None

    def input_tensors(self) -> List[Any]:

        if self.args is None:
            return []
        return [t for t in _flat(self.args) + _flat(list(self.kwargs.values()))
                if isinstance(t, KerasTensor)]


class _Graph:
    def __init__(self, model: Any) -> None:
        self.model = model
        self.nodes: Dict[Any, _Node] = {}
        self.inputs = list(model.inputs)
        self.outputs = list(model.outputs)

    def node_of(self, t: Any) -> _Node:
        hist = getattr(t, "_history", None)
        if hist is None:
            raise ValueError(f"Cannot serialize the functional model '{self.model.name}': "
                             f"{t} was not produced by a layer.")
        layer, args, kwargs = hist
        key = (id(layer), "input" if args is None else id(args))
        node = self.nodes.get(key)
        if node is None:
            node = self.nodes[key] = _Node(layer, args, dict(kwargs or {}), key)
        if all(o is not t for o in node.outputs):
            node.outputs.append(t)
        return node

    def map_graph(self) -> Tuple[List[_Node], List[Any]]:
        """(nodes in topological order, layers in Keras's order)."""
        finished: set = set()
        in_progress: set = set()
        ordered: List[_Node] = []
        layer_index: Dict[int, int] = {}
        input_ids = {id(t) for t in self.inputs}

        def visit(t: Any) -> None:
            node = self.node_of(t)
            if node.key in finished:
                return
            if not node.is_input and id(t) in input_ids:
                finished.add(node.key)
                return
            if node.key in in_progress:
                raise ValueError(f"Tensor {t} from layer '{node.layer.name}' is part of a "
                                 "cycle.")
            layer_index.setdefault(id(node.layer), len(layer_index))
            in_progress.add(node.key)
            for x in node.input_tensors():
                visit(x)
            finished.add(node.key)
            in_progress.discard(node.key)
            ordered.append(node)

        for out in self.outputs:
            visit(out)
        in_graph = {n.key for n in ordered}
        node_depth: Dict[Any, int] = {}
        layer_depth: Dict[int, int] = {}
        layers: Dict[int, Any] = {}
        for node in reversed(ordered):
            depth = node_depth.setdefault(node.key, 0)
            depth = max(depth, layer_depth.get(id(node.layer), 0))
            layer_depth[id(node.layer)] = depth
            layers[id(node.layer)] = node.layer
            node_depth[node.key] = depth
            for x in node.input_tensors():
                parent = self.node_of(x)
                if parent.key in in_graph:
                    node_depth[parent.key] = max(depth + 1, node_depth.get(parent.key, 0))
        for t in self.inputs:  # inputs the outputs do not use
            node = self.node_of(t)
            if node.is_input and id(node.layer) not in layer_depth:
                layer_depth[id(node.layer)] = 0
                layer_index[id(node.layer)] = -1
                layers[id(node.layer)] = node.layer
                ordered.insert(0, node)
        order = sorted(layers, key=lambda k: (-layer_depth[k], layer_index[k]))
        return ordered, [layers[k] for k in order]


def keras_layers(model: Any) -> List[Any]:
    """``model.layers`` in Keras's order (functional models: by graph depth)."""

    if isinstance(model, Functional):
        return _Graph(model).map_graph()[1]
    return list(model.layers)


def keras_trainable_variables(layer: Any) -> List[Any]:
    """``layer.trainable_variables`` in Keras's order: the layer's own, then its
    sub-layers' (functional models: in Keras's layer order)."""

    if not layer.trainable:
        return []
    out = [w for w in getattr(layer, "_own_weights", []) if w.trainable]
    subs = keras_layers(layer) if isinstance(layer, Functional) else \
        list(getattr(layer, "_sublayers", []))
    seen = {id(w) for w in out}
    for sub in subs:
        for w in keras_trainable_variables(sub):
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
    native = list(layer.trainable_weights)
    if {id(w) for w in native} != seen or len(native) != len(out):
        return native  # an unusual layer: keep tapeflow's own list
    return out


# ---------------------------------------------------------------------------------
# Configs: tapeflow -> Keras
# ---------------------------------------------------------------------------------
def sequential_config(model: Any) -> Dict[str, Any]:
    """Keras's Sequential config: an InputLayer entry when the input shape is
    known, each layer with its build_config, ``build_input_shape``."""

    input_shape = getattr(model, "_input_shape", None)
    layers: List[Dict[str, Any]] = []
    if input_shape is not None:
        layers.append({"module": "keras.layers", "class_name": "InputLayer",
                       "config": {"batch_shape": list(input_shape),
                                  "dtype": getattr(model, "_input_dtype", "float32"),
                                  "sparse": False, "ragged": False,
                                  "name": getattr(model, "_input_name", "input_layer"),
                                  "optional": False},
                       "registered_name": None})
    shapes = getattr(model, "_output_shapes", {}) or {}
    prev = input_shape
    for layer in model.layers:
        built_shape = list(prev) if (prev is not None and layer.built) else None
        layers.append(serialize_layer(layer, build_input_shape=built_shape))
        out = shapes.get(layer.name)
        prev = tuple(out) if out is not None else None
    config: Dict[str, Any] = {"name": model.name, "trainable": model.trainable,
                              "dtype": dtype_policy(model.dtype), "layers": layers}
    if input_shape is not None:
        config["build_input_shape"] = list(input_shape)
    return config


def _tensor_ref(graph: _Graph, node_index: Dict[Any, int], t: Any) -> List[Any]:
    node = graph.node_of(t)
    tensor_index = next(i for i, o in enumerate(node.outputs) if o is t)
    return [node.layer.name, node_index[node.key], tensor_index]


def _serialize_struct(graph: _Graph, node_index: Dict[Any, int], x: Any) -> Any:

    if isinstance(x, KerasTensor):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(x.shape), "dtype": x.dtype,
                           "keras_history": _tensor_ref(graph, node_index, x)}}
    if isinstance(x, (list, tuple)):
        return [_serialize_struct(graph, node_index, v) for v in x]
    if isinstance(x, dict):
        return {str(k): _serialize_struct(graph, node_index, v) for k, v in x.items()}
    return serialize_keras_object(x)


def _struct_shape(x: Any) -> Any:

    if isinstance(x, KerasTensor):
        return list(x.shape)
    if isinstance(x, (list, tuple)):
        return [_struct_shape(v) for v in x]
    return None


def _io_refs(graph: _Graph, node_index: Dict[Any, int], struct: Any) -> Any:
    if isinstance(struct, (list, tuple)):
        return [_tensor_ref(graph, node_index, t) for t in struct]
    if isinstance(struct, dict):
        return {str(k): _tensor_ref(graph, node_index, t) for k, t in struct.items()}
    return _tensor_ref(graph, node_index, struct)


def functional_config(model: Any) -> Dict[str, Any]:
    """The full Keras dict of a functional model (layers with ``inbound_nodes``,
    ``input_layers``, ``output_layers``)."""

    graph = _Graph(model)
    nodes, layers = graph.map_graph()
    per_layer: Dict[int, List[_Node]] = {}
    node_index: Dict[Any, int] = {}
    for node in nodes:
        lst = per_layer.setdefault(id(node.layer), [])
        node_index[node.key] = len(lst) if not node.is_input else 0
        if not node.is_input:
            lst.append(node)
    entries = []
    for layer in layers:
        lnodes = per_layer.get(id(layer), [])
        shape = _struct_shape(lnodes[0].args) if lnodes else None
        entry = serialize_layer(layer, build_input_shape=shape)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": [_serialize_struct(graph, node_index, n.args)],
             "kwargs": {k: _serialize_struct(graph, node_index, v)
                        for k, v in n.kwargs.items() if k != "training"}}
            for n in lnodes]
        entries.append(entry)
    config = {"name": model.name, "trainable": model.trainable, "layers": entries,
              "input_layers": _io_refs(graph, node_index, model._inputs_struct),
              "output_layers": _io_refs(graph, node_index, model._outputs_struct)}
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": config, "registered_name": "Functional",
            "build_config": {"input_shape": None},
            "compile_config": compile_config(model)}


# ---------------------------------------------------------------------------------
# Configs: Keras -> tapeflow
# ---------------------------------------------------------------------------------
def sequential_from_config(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]],
                           cls: Any = Sequential) -> Any:
    """A Sequential (or subclass ``cls``) from Keras's config dict."""

    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ValueError("Invalid Sequential config: 'layers' must be a list.")
    model = cls(name=config.get("name"), trainable=bool(config.get("trainable", True)))
    built_layers = []
    for entry in entries:
        if isinstance(entry, dict) and entry.get("class_name") == "InputLayer":
            layer = deserialize_layer(entry, custom_objects)
            if not isinstance(layer, InputLayer):
                raise ValueError("Invalid Sequential config: bad InputLayer entry.")
            model.add(layer, rebuild=False)
            object.__setattr__(model, "_input_dtype", layer.dtype)
            object.__setattr__(model, "_input_name", layer.name)
            continue
        layer = deserialize_layer(entry, custom_objects, build=False)
        model.add(layer, rebuild=False)
        built_layers.append((layer, entry.get("build_config")))
    shape = getattr(model, "_input_shape", None)
    if shape is None and isinstance(config.get("build_input_shape"), (list, tuple)):
        shape = tuple(config["build_input_shape"])
    if shape is not None and model.layers:
        model.build(tuple(shape))
    else:

        for layer, bc in built_layers:
            if bc and not layer.built:
                build_from_config(layer, bc)
    return model


class _NotReady(Exception):
    """A call's input comes from a layer call not made yet (args: that layer)."""


def _is_ref(x: Any) -> bool:
    return isinstance(x, list) and len(x) == 3 and isinstance(x[0], str) and \
        isinstance(x[1], int) and isinstance(x[2], int)


def functional_from_config(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]]
                           ) -> Any:
    """Re-creates a functional model: every layer from its config, then each
    recorded call replayed on KerasTensors once its inputs exist (Keras's algorithm),
    then ``Model(inputs, outputs)``."""

    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ValueError("Invalid functional config: 'layers' must be a list.")
    created: Dict[str, Any] = {}
    outputs: Dict[str, List[List[Any]]] = {}
    pending: Dict[str, List[Any]] = {}
    order: List[str] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ValueError("Invalid functional config: layer entries must be dicts.")
        name = entry.get("name") or (entry.get("config") or {}).get("name")
        if not isinstance(name, str) or name in created:
            raise ValueError(f"Invalid functional config: missing or duplicate layer name "
                             f"{name!r}.")
        layer = deserialize_layer(entry, custom_objects, build=False)
        created[name] = layer
        order.append(name)
        if isinstance(layer, InputLayer):
            outputs[name] = [[layer.output]]
        else:
            nodes = entry.get("inbound_nodes") or []
            if not isinstance(nodes, list):
                raise ValueError(f"Invalid inbound_nodes for layer '{name}'.")
            pending[name] = collections.deque(nodes)

    def tensor(ref: Any) -> Any:
        lname, ni, ti = ref
        if lname not in created:
            raise ValueError(f"Invalid functional config: unknown layer '{lname}'.")
        outs = outputs.get(lname, [])
        if ni >= len(outs):
            raise _NotReady(lname)
        if ti >= len(outs[ni]):
            raise ValueError(f"Invalid functional config: layer '{lname}' has no output "
                             f"{ti}.")
        return outs[ni][ti]

    def resolve(x: Any) -> Any:
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            ref = (x.get("config") or {}).get("keras_history")
            if not _is_ref(ref):
                raise ValueError(f"Invalid keras_history: {ref!r}")
            return tensor(ref)
        if isinstance(x, list):
            return [resolve(v) for v in x]
        if isinstance(x, dict) and "class_name" not in x:
            return {k: resolve(v) for k, v in x.items()}
        if isinstance(x, dict):
            from tapeflow.keras.saving.serialization_lib import deserialize_keras_object

            return deserialize_keras_object(x, custom_objects)
        return x

    def call_args(node: Any) -> Tuple[List[Any], Dict[str, Any]]:
        if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
            args = node.get("args", [])
            kwargs = node.get("kwargs", {}) or {}
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise ValueError(f"Invalid inbound node: {node!r:.200}")
            args = [resolve(a) for a in args]
            kwargs = {k: resolve(v) for k, v in kwargs.items()
                      if v is not None and k != "training"}
            return args, kwargs
        if isinstance(node, list):  # Keras 2: [[name, node_index, tensor_index, kwargs]]
            tensors, kwargs = [], {}
            for item in node:
                if not (isinstance(item, list) and len(item) >= 3):
                    raise ValueError(f"Invalid inbound node: {node!r:.200}")
                tensors.append(tensor(item[:3]))
                if len(item) > 3 and isinstance(item[3], dict):
                    kwargs.update({k: resolve(v) for k, v in item[3].items()
                                   if v is not None})
            return [tensors[0] if len(tensors) == 1 else tensors], kwargs
        raise ValueError(f"Invalid inbound node: {node!r:.200}")

    # Keras's replay: passes over the layers in order, each making every call whose
    # inputs exist. Done as a queue keyed (pass, position), where a layer waiting for
    # another's output is queued again only when that layer makes a call: the same
    # calls in the same order, in O(n log n) where rescanning passes is O(n^2).
    position = {name: i for i, name in enumerate(order)}
    queue = [(0, i) for i, name in enumerate(order) if pending.get(name)]
    queued = set(queue)
    waiting: Dict[str, Dict[str, None]] = {}  # layer -> the layers waiting for it
    while queue:
        rnd, pos = heapq.heappop(queue)
        queued.discard((rnd, pos))
        name = order[pos]
        nodes = pending[name]
        start = len(nodes)
        while nodes:
            try:
                args, kwargs = call_args(nodes[0])
            except _NotReady as e:
                waiting.setdefault(e.args[0], {})[name] = None
                break
            out = created[name](*args, **kwargs)
            outputs.setdefault(name, []).append(_flat(out))
            nodes.popleft()
        if len(nodes) < start:
            for w in waiting.pop(name, {}):
                item = (rnd if position[w] > pos else rnd + 1, position[w])
                if item not in queued:
                    queued.add(item)
                    heapq.heappush(queue, item)
    stuck = [n for n, v in pending.items() if v]
    if stuck:
        raise ValueError("Invalid functional config: cannot compute the inputs of "
                         f"layers {stuck} (missing or cyclic connections).")

    def io(spec: Any, what: str) -> Any:
        if _is_ref(spec):
            return tensor(spec)
        if isinstance(spec, list) and all(_is_ref(s) for s in spec) and spec:
            return [tensor(s) for s in spec]
        if isinstance(spec, dict) and spec and all(_is_ref(s) for s in spec.values()):
            return {k: tensor(s) for k, s in spec.items()}
        raise ValueError(f"Invalid functional config: bad {what}: {spec!r:.200}")

    try:
        inputs = io(config.get("input_layers"), "input_layers")
        outs = io(config.get("output_layers"), "output_layers")
    except _NotReady:
        raise ValueError("Invalid functional config: an input or output refers to a "
                         "layer call that does not exist.") from None
    if isinstance(inputs, dict):
        inputs = list(inputs.values())
    model = Functional(inputs, outs, name=config.get("name"))
    if config.get("trainable") is False:
        model.trainable = False
    return model
