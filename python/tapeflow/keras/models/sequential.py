"""``keras.Sequential``: a plain stack of layers; ``call`` is a loop."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from tapeflow.keras.layers.core import InputLayer
from tapeflow.keras.layers.layer import KerasTensor, Layer, _scope
from tapeflow.keras.models.model import Model


class Sequential(Model):
    """Layers applied in order. Built on the first call, or at once when the first
    layer is an ``Input`` (or has ``input_shape``)."""

    def __init__(self, layers: Optional[Sequence[Layer]] = None, trainable: bool = True,
                 name: Optional[str] = None) -> None:
        super().__init__(trainable=trainable, name=name)
        self._input_shape: Optional[tuple] = None
        self._stack: List[Layer] = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_from_input()

    @property
    def layers(self) -> List[Layer]:
        return list(self._stack)

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Appends a layer (an ``Input`` sets the model's input shape)."""
        if isinstance(layer, KerasTensor):
            hist = layer._history
            layer = hist[0] if hist else InputLayer(batch_shape=layer.shape)
        if isinstance(layer, InputLayer):
            if self._stack or self._input_shape is not None:
                raise ValueError("An Input must be the first thing added to a Sequential.")
            self._input_shape = layer.batch_shape
            return
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential "
                             f"model. Received: {layer} (of type {type(layer)})")
        # The names added so far, kept beside _stack: a scan per add is O(n^2) to load.
        names = self.__dict__.setdefault("_stack_names", set())
        if layer.name in names and any(e.name == layer.name for e in self._stack):
            raise ValueError(f"All layers added to a Sequential model should have unique "
                             f"names. Name '{layer.name}' is already the name of a layer in "
                             "this model. Update the `name` argument to pass a unique name.")
        if not self._stack and self._input_shape is None and layer._build_shape_hint:
            self._input_shape = layer._build_shape_hint
        self._stack.append(layer)
        names.add(layer.name)
        self._sublayers.append(layer)
        if rebuild:
            self.built = False
            self._maybe_build_from_input()

    def pop(self) -> Layer:
        layer = self._stack.pop()
        self.__dict__.get("_stack_names", set()).discard(layer.name)
        self._sublayers.remove(layer)
        self.built = False
        self._maybe_build_from_input()
        return layer

    def _maybe_build_from_input(self) -> None:
        if self._input_shape is not None and self._stack and not self.built:
            self.build(self._input_shape)

    def build(self, input_shape: Any = None) -> None:
        """Builds every layer by running the stack on a symbolic input."""
        shape = tuple(input_shape) if input_shape is not None else self._input_shape
        if shape is None:
            raise ValueError("Sequential.build needs an input shape")
        self._input_shape = shape
        x: Any = KerasTensor(shape)
        _scope.append(self.name)
        # Set once, filled in place: setting it per layer rescans it each time (O(n^2)).
        self._output_shapes = shapes = getattr(self, "_output_shapes", {})
        try:
            for layer in self._stack:
                x = layer(x)
                shapes[layer.name] = x.shape
        finally:
            _scope.pop()
        self.built = True

    @property
    def inputs(self) -> List[Any]:
        """The symbolic input of the built stack (Keras's ``Sequential.inputs``): with
        each layer's ``output``, what ``keras.Model(model.inputs, [l.output for l in
        model.layers])`` needs to extract features."""
        if not self.built or not self._stack:
            raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet.")
        return [self._stack[0].input]

    @property
    def outputs(self) -> List[Any]:
        """The symbolic output of the built stack (Keras's ``Sequential.outputs``)."""
        if not self.built or not self._stack:
            raise AttributeError(f"Sequential model '{self.name}' has no defined outputs yet.")
        return [self._stack[-1].output]

    def _maybe_build(self, input_shape: Any) -> None:
        if not self.built:
            self.build((None,) + tuple(input_shape)[1:])

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        x = inputs
        for layer in self._stack:
            x = layer(x, training=training)
        return x

    def get_config(self) -> Dict[str, Any]:
        """Keras's Sequential config (each layer serialized as ``.keras`` files hold it):
        the one writer, ``saving.graph``."""
        from tapeflow.keras.saving import graph  # saving imports models: resolved on use

        return graph.sequential_config(self)

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Any = None) -> "Sequential":
        """A Sequential from ``get_config()``'s dict (Keras's ``Sequential.from_config``):
        Keras's own reader of ``.keras`` configs, ``saving.graph``."""
        from tapeflow.keras.saving import graph  # saving imports models: resolved on use

        return graph.sequential_from_config(config, custom_objects, cls)
