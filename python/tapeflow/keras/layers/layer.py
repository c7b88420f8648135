"""``keras.layers.Layer``: the unit of state and computation.

Lifecycle as Keras 3: ``__call__`` converts inputs, calls ``build(input_shape)`` once
with a plain tuple, then ``call``. Weights come from ``add_weight`` (named 'variable',
'variable_1', ... unless named) and are tracked, with those of sub-layers assigned as
attributes or held in lists, in creation order. Layers called on symbolic
``KerasTensor``s (from ``keras.Input``) record a graph for the functional API.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

import tapeflow as tf
from tapeflow.keras.layers.input_spec import InputSpec, assert_input_compatibility
from tapeflow.keras import initializers, regularizers
from tapeflow.keras.utils.naming import auto_name, to_snake_case

_scope: List[str] = []       # names of the layers being built or called, outermost first
_training: List[Optional[bool]] = [None]  # the `training` flag of the outermost call


snake_case = to_snake_case
unique_name = auto_name


class KerasVariable(tf.Variable):
    """A layer weight: a tf.Variable with Keras's ``name`` ('kernel') and ``path``
    ('sequential/dense/kernel')."""

    __slots__ = ("_kname", "_path", "regularizer", "constraint")

    def __init__(self, value: Any, trainable: bool, name: str, path: str,
                 regularizer: Any = None, constraint: Any = None) -> None:
        super().__init__(value, trainable=trainable, name=name)
        self._kname = name
        self._path = path
        self.regularizer = regularizer
        self.constraint = constraint

    @property
    def name(self) -> str:
        return self._kname

    @property
    def path(self) -> str:
        return self._path

    @property
    def value(self) -> Any:  # type: ignore[override]
        return self.read_value()

    def __repr__(self) -> str:
        return (f"<Variable path={self._path}, shape={self.shape}, dtype={self.dtype.name}, "
                f"value={self.numpy()}>")

    __str__ = __repr__


class KerasTensor:
    """A symbolic tensor of the functional API: a shape (None = any), a dtype, and the
    layer call that produced it."""

    def __init__(self, shape: Sequence[Optional[int]], dtype: Any = "float32",
                 name: Optional[str] = None, history: Any = None) -> None:
        self.shape = tuple(shape)
        self._dtype = tf.as_dtype(dtype)
        self.name = name
        self._history = history  # (layer, [input KerasTensors], call kwargs) or None

    @property
    def dtype(self) -> str:
        """The dtype's name, as Keras 3's KerasTensor gives it (``'float32'``)."""
        return self._dtype.name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, "
                f"sparse=False, ragged=False, name={self.name}>")


def _flat(x: Any) -> List[Any]:
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _flat(item)]
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _flat(v)]
    return [x]


def _shape_of(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return type(x)(_shape_of(v) for v in x)
    if isinstance(x, dict):
        return {k: _shape_of(v) for k, v in x.items()}
    return tuple(x.shape)


def _to_tensors(x: Any, dtype: Any) -> Any:
    """numpy/array inputs -> Tensors; floating inputs cast to the layer's dtype."""
    if isinstance(x, (list, tuple)):
        return type(x)(_to_tensors(v, dtype) for v in x)
    if isinstance(x, dict):
        return {k: _to_tensors(v, dtype) for k, v in x.items()}
    if isinstance(x, KerasTensor) or x is None:
        return x
    t = tf.convert_to_tensor(x)
    if dtype is not None and t.dtype is not dtype and t.dtype.is_floating:
        t = tf.cast(t, dtype)
    return t


class Layer(tf.__internal__.tracking.AutoTrackable):
    """Base class of all layers (``keras.layers.Layer``)."""

    # What calls must pass (keras.layers.InputSpec), checked on every eager call once set
    # (Dense sets it when built).
    input_spec: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """As Keras 3: a subclass's ``build`` marks the layer built (and remembers the
        shape it was built for) however it is called, directly or by the first call."""
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is None or getattr(build, "_marks_built", False):
            return

        @functools.wraps(build)
        def build_and_mark(self: "Layer", *args: Any, **kw: Any) -> Any:
            if args and not hasattr(self, "_build_shapes_dict"):
                self._build_shapes_dict = {"input_shape": args[0]}
            out = build(self, *args, **kw)
            self.built = True
            return out

        build_and_mark._marks_built = True  # type: ignore[attr-defined]
        cls.build = build_and_mark  # type: ignore[assignment]

    def __init__(self, *, activity_regularizer: Any = None, trainable: bool = True,
                 dtype: Any = None, autocast: bool = True, name: Optional[str] = None,
                 **kwargs: Any) -> None:
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        kwargs.pop("batch_size", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{kwargs}")
        self._init_tracking()
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = trainable
        self._dtype = tf.as_dtype(_dtype_name(dtype) or "float32")
        self.built = False
        self.activity_regularizer = regularizers.get(activity_regularizer)
        if batch_input_shape is not None:
            self._build_shape_hint: Optional[tuple] = tuple(batch_input_shape)
        elif input_shape is not None:
            self._build_shape_hint = (None,) + tuple(input_shape)
        elif input_dim is not None:
            self._build_shape_hint = (None, input_dim)
        else:
            self._build_shape_hint = None
        sig = inspect.signature(self.call).parameters
        self._call_takes_training = "training" in sig
        self._call_takes_mask = "mask" in sig

    def _init_tracking(self) -> None:
        d = self.__dict__
        if "_sublayers" not in d:
            d["_sublayers"] = []
            d["_own_weights"] = []
            d["_added_losses"] = []
            d["_weight_counter"] = 0

    def __setattr__(self, name: str, value: Any) -> None:
        if "_sublayers" not in self.__dict__:
            self._init_tracking()
        if not name.startswith("__"):
            for v in _flat(value) if isinstance(value, (list, tuple, dict)) else [value]:
                if isinstance(v, Layer) and v is not self and all(v is not s for s in self._sublayers):
                    self._sublayers.append(v)
                elif isinstance(v, tf.Variable) and not isinstance(v, KerasVariable) \
                        and all(v is not w for w in self._own_weights):
                    self._own_weights.append(v)
        super().__setattr__(name, value)  # AutoTrackable: reaches pending restores

    # -- properties ---------------------------------------------------------------
    @property
    def dtype(self) -> str:
        return self._dtype.name

    @property
    def compute_dtype(self) -> str:
        return self._dtype.name

    @property
    def variable_dtype(self) -> str:
        return self._dtype.name

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._sublayers:
            layer.trainable = value

    @property
    def layers(self) -> List["Layer"]:
        return list(self._sublayers)

    def _all_weights(self) -> List[Any]:
        seen, out = set(), []
        for w in self._own_weights:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        for layer in self._sublayers:
            for w in layer._all_weights():
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self) -> List[Any]:
        if not self.trainable:
            return []
        out = [w for w in self._own_weights if w.trainable]
        seen = {id(w) for w in out}
        for layer in self._sublayers:
            for w in layer.trainable_weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def non_trainable_weights(self) -> List[Any]:
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self._all_weights() if id(w) not in trainable]

    @property
    def weights(self) -> List[Any]:
        """Trainable weights, then non-trainable ones (Keras 3's order)."""
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    # -- weights ------------------------------------------------------------------
    def add_weight(self, shape: Any = None, initializer: Any = None, dtype: Any = None,
                   trainable: bool = True, autocast: bool = True, regularizer: Any = None,
                   constraint: Any = None, aggregation: str = "none",
                   name: Optional[str] = None, **kwargs: Any) -> KerasVariable:
        """Creates and tracks a weight (``Layer.add_weight``)."""
        self._init_tracking()
        shape = () if shape is None else tuple(int(d) for d in shape)
        dt = tf.as_dtype(_dtype_name(dtype) or self._dtype.name)
        if initializer is None:
            initializer = "glorot_uniform" if dt.is_floating else "zeros"
        init = initializers.get(initializer)
        if name is None:
            name = "variable" if self._weight_counter == 0 else f"variable_{self._weight_counter}"
            self._weight_counter += 1
        value = init(shape, dtype=dt) if not isinstance(init, type) else init()(shape, dt)
        path = "/".join(_scope + [name]) if _scope and _scope[-1] == self.name else \
            "/".join(_scope + [self.name, name])
        var = KerasVariable(tf.cast(value, dt) if value.dtype != dt else value, trainable,
                            name, path, regularizers.get(regularizer), constraint)
        self._own_weights.append(var)
        return var

    def get_weights(self) -> List[np.ndarray]:
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a "
                             f"weight list of length {len(weights)}, but the layer was expecting "
                             f"{len(params)} weights.")
        for p, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(p.shape) != w.shape:
                raise ValueError(f"Layer {self.name} weight shape {tuple(p.shape)} is not "
                                 f"compatible with provided weight shape {w.shape}.")
            p.assign(w.astype(p.dtype.as_numpy_dtype))

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but "
                             "the layer isn't built. You can build it manually via: "
                             f"`layer.build(input_shape)`.")
        return int(sum(np.prod(w.shape.as_list()) if w.shape.rank else 1 for w in self.weights))

    # -- losses -----------------------------------------------------------------
    def add_loss(self, loss: Any) -> None:
        self._init_tracking()
        self._added_losses.append(tf.convert_to_tensor(loss))

    @property
    def losses(self) -> List[Any]:
        """Losses from add_loss in the last call, then weight regularization terms."""
        out = list(self._added_losses)
        for w in self._own_weights:
            reg = getattr(w, "regularizer", None)
            if reg is not None:
                out.append(reg(w))
        for layer in self._sublayers:
            out.extend(layer.losses)
        return out

    def _clear_losses(self) -> None:
        self._added_losses.clear()
        for layer in self._sublayers:
            layer._clear_losses()

    # -- calling --------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return inputs

    def _maybe_build(self, input_shape: Any) -> None:
        if self.built:
            return
        self._build_shapes_dict = {"input_shape": input_shape}  # Keras's build_config
        _scope.append(self.name)
        try:
            self.build(input_shape)
        finally:
            _scope.pop()
        self.built = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._init_tracking()
        if not args and "inputs" not in kwargs:
            raise ValueError(f"Layer {self.name} was called without inputs.")
        inputs = args[0] if args else kwargs.pop("inputs")
        rest = args[1:]
        if type(inputs) is tf.Tensor and (inputs.dtype is self._dtype or
                                          not inputs.dtype.is_floating):
            pass  # the common case inside a model: nothing to convert or check
        else:
            flat = _flat(inputs)
            for bad in flat:
                if isinstance(bad, (int, float, bool)) and not isinstance(inputs, (int, float)):
                    raise ValueError("Only input tensors may be passed as positional "
                                     "arguments. The following argument value should be "
                                     f"passed as a keyword argument: {bad} (of type "
                                     f"{type(bad)})")
            if any(isinstance(x, KerasTensor) for x in flat):
                return self._symbolic_call(inputs, rest, kwargs)
            inputs = _to_tensors(inputs, self._dtype if self._dtype.is_floating else None)
        if not self.built:
            self._maybe_build(_shape_of(inputs))
        spec = self.input_spec
        if spec is not None and isinstance(spec, InputSpec):
            array = getattr(inputs, "_a", None)
            if array is None or not spec.fits(array.shape):
                if hasattr(inputs, "shape"):
                    assert_input_compatibility(spec, inputs, self.name)
        outermost = len(_scope) == 0
        training = kwargs.get("training")
        if outermost:
            self._clear_losses()
            _training.append(training)
        elif training is None:
            training = _training[-1]
        if self._call_takes_training:
            kwargs["training"] = training
        elif "training" in kwargs:
            kwargs.pop("training")
        if not self._call_takes_mask:
            kwargs.pop("mask", None)
        _scope.append(self.name)
        try:
            out = self.call(inputs, *rest, **kwargs)
        finally:
            _scope.pop()
            if outermost:
                _training.pop()
        if self.activity_regularizer is not None:
            for o in _flat(out):
                self.add_loss(self.activity_regularizer(o))
        return out

    def _symbolic_call(self, inputs: Any, rest: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        """Runs the layer on zeros shaped like the symbolic inputs (unknown dims as 1)
        to learn its output shapes, and returns KerasTensors remembering the call."""
        shapes = _shape_of(inputs)
        self._maybe_build(shapes)
        spec = self.input_spec
        if isinstance(spec, InputSpec):  # on the symbolic shapes: None dims stay None
            for x in _flat(inputs):
                assert_input_compatibility(spec, x, self.name)
        if self._declares_output_shape():
            return self._symbolic_from_shape(inputs, shapes, kwargs)

        def concrete(x: Any) -> Any:
            if isinstance(x, KerasTensor):
                return tf.zeros([1 if d is None else d for d in x.shape], x.dtype)
            if isinstance(x, (list, tuple)):
                return type(x)(concrete(v) for v in x)
            if isinstance(x, dict):
                return {k: concrete(v) for k, v in x.items()}
            return x

        kw = dict(kwargs)
        kw.setdefault("training", False)
        out = Layer.__call__(self, concrete(inputs), *rest, **kw)
        first = _flat(inputs)[0]
        batch_unknown = isinstance(first, KerasTensor) and first.shape and first.shape[0] is None

        def symbolic(o: Any) -> Any:
            if isinstance(o, (list, tuple)):
                return type(o)(symbolic(v) for v in o)
            shape = list(o.shape)
            if batch_unknown and shape:
                shape[0] = None
            return KerasTensor(shape, o.dtype, name=self.name,
                               history=(self, inputs, dict(kwargs)))

        result = symbolic(out)
        if "_first_call" not in self.__dict__:  # Keras's layer.input/output: the first call
            object.__setattr__(self, "_first_call", (inputs, result))
        return result

    # Whether a symbolic output keeps its input's dtype instead of the compute dtype
    # (Keras's Flatten and Permute override compute_output_spec for this).
    _symbolic_keeps_dtype = False

    def _declares_output_shape(self) -> bool:
        """Whether symbolic calls take shapes from ``compute_output_shape`` (overridden
        by the layer's class) instead of running the layer on zeros."""
        return type(self).compute_output_shape is not Layer.compute_output_shape

    def _symbolic_from_shape(self, inputs: Any, shapes: Any,
                             kwargs: Dict[str, Any]) -> Any:
        """Keras's default ``compute_output_spec`` for a layer that overrides
        ``compute_output_shape``: KerasTensors of that shape, in the compute dtype (or
        the input's, see _symbolic_keeps_dtype), without running ``call``; so unknown
        dims stay unknown."""
        first = _flat(inputs)[0]
        dtype = first._dtype if self._symbolic_keeps_dtype else self._dtype
        out_shape = self.compute_output_shape(shapes)
        history = (self, inputs, dict(kwargs))
        several = isinstance(out_shape, list) and out_shape and isinstance(
            out_shape[0], (tuple, list))
        if several:
            result: Any = [KerasTensor(s, dtype, name=self.name, history=history)
                           for s in out_shape]
        else:
            result = KerasTensor(out_shape, dtype, name=self.name, history=history)
        if "_first_call" not in self.__dict__:
            object.__setattr__(self, "_first_call", (inputs, result))
        return result

    @property
    def input(self) -> Any:
        """The symbolic input of this layer's first functional call (Keras's
        ``layer.input``); AttributeError if it was never called on KerasTensors."""
        return self._first_call_part(0, "input")

    @property
    def output(self) -> Any:
        """The symbolic output of this layer's first functional call (``layer.output``)."""
        return self._first_call_part(1, "output")

    def _first_call_part(self, i: int, what: str) -> Any:
        call = self.__dict__.get("_first_call")
        if call is None:
            raise AttributeError(f"The layer {self.name} has never been called and thus "
                                 f"has no defined {what}.")
        return call[i]

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for an input shape (``None`` dims allowed), by a symbolic call."""
        out = self(KerasTensor(tuple(input_shape), self._dtype))
        return tuple(out.shape) if not isinstance(out, (list, tuple)) else \
            [tuple(o.shape) for o in out]

    # -- config -------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable, "dtype": dtype_policy(self._dtype.name)}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Layer":
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name", "float32")
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def dtype_policy(name: str) -> Dict[str, Any]:
    """Keras 3's serialized DTypePolicy."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
            "registered_name": None}


def _dtype_name(dtype: Any) -> Optional[str]:
    if dtype is None:
        return None
    if isinstance(dtype, dict):
        return dtype.get("config", {}).get("name")
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        return dtype.name
    return str(dtype)
