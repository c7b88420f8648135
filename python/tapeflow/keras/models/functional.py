"""Functional models: ``keras.Model(inputs, outputs)`` over a graph of layer calls."""

from __future__ import annotations

from typing import Any, Dict, List

from tapeflow.keras.layers.core import InputLayer
from tapeflow.keras.layers.layer import KerasTensor, Layer, _flat
from tapeflow.keras.models.model import Model


class Functional(Model):
    """A model defined by symbolic inputs and outputs (the functional API)."""

    def __init__(self, inputs: Any, outputs: Any, name: Any = None, **kwargs: Any) -> None:
        super().__init__(name=name or _functional_name(), **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = _flat(inputs)
        self.outputs = _flat(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise ValueError(f"All `inputs` and `outputs` values must be KerasTensors. "
                                 f"Received: {t}")
        self._nodes = self._topological_nodes()
        for layer in self._graph_layers():
            if layer not in self._sublayers:
                self._sublayers.append(layer)
        self.built = True

    def _topological_nodes(self) -> List[KerasTensor]:
        order: List[KerasTensor] = []
        seen = set()
        input_ids = {id(t) for t in self.inputs}

        def visit(t: KerasTensor) -> None:
            if id(t) in seen:
                return
            seen.add(id(t))
            hist = t._history
            if id(t) not in input_ids:
                if hist is None or hist[1] is None:
                    raise ValueError(f"Graph disconnected: cannot reach {t} from the inputs.")
                for parent in _flat(hist[1]):
                    if isinstance(parent, KerasTensor):
                        visit(parent)
            order.append(t)

        for out in self.outputs:
            visit(out)
        return order

    def _graph_layers(self) -> List[Layer]:
        layers: List[Layer] = []
        for t in self._nodes:
            hist = t._history
            if hist and hist[1] is not None and all(hist[0] is not x for x in layers):
                layers.append(hist[0])
        return layers

    @property
    def layers(self) -> List[Layer]:
        ins = [t._history[0] for t in self.inputs if t._history and
               isinstance(t._history[0], InputLayer)]
        return ins + self._graph_layers()

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        values: Dict[int, Any] = {}
        for t, v in zip(self.inputs, _flat(inputs)):
            values[id(t)] = v
        done: Dict[int, Any] = {}
        for t in self._nodes:
            if id(t) in values:
                continue
            layer, args, kwargs = t._history
            key = id(t._history)
            if key not in done:

                def resolve(a: Any) -> Any:
                    if isinstance(a, KerasTensor):
                        return values[id(a)]
                    if isinstance(a, (list, tuple)):
                        return type(a)(resolve(v) for v in a)
                    return a

                done[key] = layer(resolve(args), **{**kwargs, "training": training})
            out = done[key]
            values[id(t)] = out
        outs = [values[id(t)] for t in self.outputs]
        if isinstance(self._outputs_struct, (list, tuple)):
            return type(self._outputs_struct)(outs)
        if isinstance(self._outputs_struct, dict):  # _flat takes the values in key order
            return dict(zip(self._outputs_struct.keys(), outs))
        return outs[0]

    def get_config(self) -> Dict[str, Any]:
        """Keras's functional config (layers with their inbound nodes, input_layers,
        output_layers): the one writer, ``saving.graph``."""
        from tapeflow.keras.saving import graph  # saving imports models: resolved on use

        return graph.functional_config(self)["config"]


def _functional_name() -> str:
    from tapeflow.keras.layers.layer import unique_name

    return unique_name("functional")
