"""Keras 3's object serialization: ``{"module", "class_name", "config",
"registered_name"}`` dicts (plus ``"build_config"``/``"compile_config"`` for layers and
models), written and read the way ``keras/src/saving/serialization_lib.py`` does.

Reading is deliberately narrow. A config can only name:

* tapeflow's own Keras classes, looked up by ``class_name`` in the namespace its
  ``module`` designates (``keras.layers``, ``keras.optimizers``, ``keras.losses``, ...),
  never by importing the module;
* classes and functions the caller passed in ``custom_objects`` or registered with
  ``keras.saving.register_keras_serializable``.

Anything else (an unknown class, a ``__lambda__``, such as a ``Lambda`` layer's
Python lambda) raises ``ValueError`` naming it. Nothing in a config is ever evaluated or
unpickled here; only ``Lambda.from_config`` called directly, with ``safe_mode=False``
or after ``enable_unsafe_deserialization()``, runs a lambda's stored bytecode.
"""

from __future__ import annotations

import inspect
import re
import threading
import warnings
from typing import Any, Callable, Dict, Iterator, Optional, Sequence

import numpy as np

from tapeflow.keras import activations, losses, metrics
from tapeflow.keras.layers.layer import KerasTensor, Layer
from tapeflow.keras.models import Functional, Model, Sequential
from tapeflow.keras.utils.registry import _CUSTOM, BUILTINS, builtin_kind
from tapeflow.keras.utils.registry import register_keras_serializable as reg
from tapeflow.keras.optimizers import Optimizer

# ---------------------------------------------------------------------------------
# Registry and custom-object scopes
# ---------------------------------------------------------------------------------
_SCOPES = threading.local()


def _registry() -> Dict[str, Any]:
    # One registry for the whole of tapeflow.keras: the one `Sequential.from_config`
    # and `Sequential.from_config` consult too.

    return _CUSTOM


def _scope_objects() -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for d in getattr(_SCOPES, "stack", []):
        out.update(d)
    return out


class CustomObjectScope:
    """``with keras.saving.custom_object_scope({"MyLayer": MyLayer}): ...``: makes
    the given classes/functions visible to deserialization inside the block."""

    def __init__(self, custom_objects: Optional[Dict[str, Any]] = None) -> None:
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self) -> "CustomObjectScope":
        if not hasattr(_SCOPES, "stack"):
            _SCOPES.stack = []
        _SCOPES.stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _SCOPES.stack.pop()


custom_object_scope = CustomObjectScope


def register_keras_serializable(package: str = "Custom", name: Optional[str] = None
                                ) -> Callable[[Any], Any]:
    """Registers a class or function under ``"package>name"`` so that
    ``load_model`` finds it (``keras.saving.register_keras_serializable``)."""

    inner = reg(package=package, name=name)

    def decorator(obj: Any) -> Any:
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a "
                             "get_config() method.")
        return inner(obj)  # as Keras: registering a name again replaces it

    return decorator


def get_registered_name(obj: Any) -> str:
    """``"package>name"`` for a registered class/function, else its ``__name__``."""
    own = obj.__dict__.get("_registered_name") if hasattr(obj, "__dict__") else None
    if isinstance(own, str) and _registry().get(own) is obj:
        return own
    return obj.__name__


def get_registered_object(name: Optional[str], custom_objects: Optional[Dict[str, Any]] = None
                          ) -> Any:
    """The class/function registered (or passed in a scope or ``custom_objects``)
    under ``name``, or None."""
    if not name:
        return None
    scoped = _scope_objects()
    if name in scoped:
        return scoped[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    reg = _registry()
    if ">" in name and name in reg:
        return reg[name]
    return None


def get_custom_objects() -> Dict[str, Any]:
    """The global registry of custom objects (``keras.saving.get_custom_objects``)."""
    return _registry()


# ---------------------------------------------------------------------------------
# Which tapeflow classes are Keras built-ins, and under which module
# ---------------------------------------------------------------------------------
def to_snake_case(name: str) -> str:
    """Keras's ``naming.to_snake_case`` (HDF5 group names come from it)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _class_table(kind: str) -> Dict[str, Any]:
    """Built-in classes of one kind by class name (the registry their namespaces fill)."""
    return BUILTINS.get(kind, {})


_KIND_MODULES = {
    "layer": "keras.layers", "optimizer": "keras.optimizers",
    "schedule": "keras.optimizers.schedules", "loss": "keras.losses",
    "metric": "keras.metrics", "initializer": "keras.initializers",
    "regularizer": "keras.regularizers",
}


def _kind_of_module(module: str) -> Optional[str]:
    """Which namespace a Keras ``module`` string designates."""
    parts = module.split(".")
    if parts[0] != "keras":
        return None
    if "schedules" in parts:
        return "schedule"
    for part in parts[1:]:
        for kind, key in (("layer", "layers"), ("layer", "models"), ("optimizer", "optimizers"),
                          ("loss", "losses"), ("metric", "metrics"),
                          ("initializer", "initializers"), ("regularizer", "regularizers"),
                          ("activation", "activations"), ("constraint", "constraints"),
                          ("dtype_policy", "dtype_policies")):
            if part == key:
                return kind
    return "layer" if len(parts) == 1 else None  # "keras": Sequential, Model, Input ...


def _builtin_kind(cls: Any) -> Optional[str]:
    """The kind of a tapeflow built-in class (None for user classes)."""
    return builtin_kind(cls)


def _is_builtin_function(fn: Any) -> Optional[str]:
    """The Keras module of a tapeflow built-in loss/metric/activation function."""

    name = getattr(fn, "__name__", None)
    if name is None:
        return None
    if losses.ALL_OBJECTS_DICT.get(name) is fn:
        return "keras.losses"
    if getattr(metrics, "_FUNCTIONS", {}).get(name) is fn or \
            metrics.ALL_OBJECTS_DICT.get(name) is fn:
        return "keras.metrics"
    if getattr(activations, "_BY_NAME", {}).get(name) is fn:
        return "keras.activations"
    return None


# ---------------------------------------------------------------------------------
# Serialization
# ---------------------------------------------------------------------------------
def serialize_keras_object(obj: Any) -> Any:
    """``obj`` as Keras's JSON-compatible serialized form."""
    import tapeflow as tf

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": str(obj.dtype)}}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, KerasTensor):
        raise ValueError("A KerasTensor can only be serialized as part of a functional "
                         "model's graph.")
    if isinstance(obj, tf.DType):
        return obj.name
    if tf.is_tensor(obj):
        value = np.asarray(obj)
        return {"class_name": "__tensor__",
                "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(obj, Layer):
        return serialize_layer(obj)
    if isinstance(obj, Optimizer):
        return _serialize_with_config(obj)
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return serialize_function(obj)
    if hasattr(obj, "get_config"):
        return _serialize_with_config(obj)
    raise ValueError(f"Cannot serialize {obj!r} (of type {type(obj).__name__}): it has no "
                     "get_config() method.")


def serialize_function(fn: Any) -> Dict[str, Any]:
    """A function as Keras writes it: built-ins by name, others by registered name."""
    name = getattr(fn, "__name__", None)
    if name is None or name == "<lambda>":
        raise ValueError(f"Cannot serialize {fn!r}: tapeflow does not save lambdas or "
                         "anonymous functions (they could only be restored by executing "
                         "code). Use a named, registered function.")
    builtin = _is_builtin_function(fn)
    if builtin is not None:
        return {"module": builtin, "class_name": "function", "config": name,
                "registered_name": name}
    return {"module": fn.__module__, "class_name": "function", "config": name,
            "registered_name": get_registered_name(fn)}


def _serialize_with_config(obj: Any) -> Dict[str, Any]:
    cls = type(obj)
    kind = _builtin_kind(cls)
    config = serialize_keras_object(obj.get_config())
    if kind == "loss":

        out = losses.serialize(obj)
        return {**out, "config": config}
    if kind is not None:
        return {"module": _KIND_MODULES[kind], "class_name": cls.__name__,
                "config": config, "registered_name": None}
    return {"module": cls.__module__, "class_name": cls.__name__, "config": config,
            "registered_name": get_registered_name(cls)}


# Keras builds these layers in __init__ and writes no build_config for them.
_BUILT_AT_INIT = ("InputLayer", "Dropout", "Activation", "ReLU", "LeakyReLU", "ELU",
                  "Softmax")


def serialize_layer(layer: Any, build_input_shape: Any = "unknown") -> Dict[str, Any]:
    """A layer or model as Keras's dict, with ``build_config`` (when the input shape
    it was built with is known) and, for models, ``compile_config``."""

    cls = type(layer)
    if isinstance(layer, Functional) and cls.get_config is Functional.get_config:
        return graph.functional_config(layer)
    if isinstance(layer, Sequential) and cls.get_config is Sequential.get_config:
        config = graph.sequential_config(layer)
    else:
        config = serialize_keras_object(layer.get_config())
    if _builtin_kind(cls) == "layer":
        module = "keras" if cls.__name__ in ("Sequential", "Model") else "keras.layers"
        out: Dict[str, Any] = {"module": module, "class_name": cls.__name__,
                               "config": config, "registered_name": None}
    else:
        out = {"module": cls.__module__, "class_name": cls.__name__, "config": config,
               "registered_name": get_registered_name(cls)}
    build_config = _build_config(layer, build_input_shape)
    if build_config is not None and cls.__name__ not in _BUILT_AT_INIT:
        out["build_config"] = build_config
    if isinstance(layer, Model):
        out["compile_config"] = compile_config(layer)
    return out


def _build_config(layer: Any, build_input_shape: Any) -> Optional[Dict[str, Any]]:

    getter = getattr(layer, "get_build_config", None)
    if callable(getter):
        bc = getter()
        return serialize_keras_object(bc) if bc is not None else None
    if not layer.built:
        return None
    if isinstance(layer, Sequential):
        shape = getattr(layer, "_input_shape", None)
        return {"input_shape": list(shape)} if shape is not None else None
    shapes = getattr(layer, "_build_shapes_dict", None)
    if isinstance(shapes, dict) and shapes:
        if len(shapes) == 1:
            return {"input_shape": serialize_keras_object(next(iter(shapes.values())))}
        return {"shapes_dict": serialize_keras_object(shapes)}
    if build_input_shape != "unknown" and build_input_shape is not None:
        return {"input_shape": serialize_keras_object(build_input_shape)}
    return None


def compile_config(model: Any) -> Dict[str, Any]:
    """Keras's ``get_compile_config()``: {} for an uncompiled model."""
    if not getattr(model, "compiled", False):
        return {}
    cc = dict(getattr(model, "_compile_config", None) or {})
    jit = cc.get("jit_compile", "auto")
    out = {
        "optimizer": serialize_keras_object(model.optimizer) if model.optimizer is not None
        else None,
        "loss": _serialize_spec(cc.get("loss")),
        "loss_weights": serialize_keras_object(cc.get("loss_weights")),
        "metrics": _serialize_spec(cc.get("metrics")),
        "weighted_metrics": _serialize_spec(cc.get("weighted_metrics")),
        "run_eagerly": bool(cc.get("run_eagerly", False)),
        "steps_per_execution": cc.get("steps_per_execution", 1),
        "jit_compile": False if jit == "auto" else jit,
    }
    return out


def _serialize_spec(spec: Any) -> Any:
    """Loss/metric arguments of compile(): names stay strings, objects and functions
    are serialized, lists and dicts recurse."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, (list, tuple)):
        return [_serialize_spec(s) for s in spec]
    if isinstance(spec, dict):
        return {str(k): _serialize_spec(v) for k, v in spec.items()}
    return serialize_keras_object(spec)


# ---------------------------------------------------------------------------------
# Deserialization
# ---------------------------------------------------------------------------------
_LAYER_BASE_KWARGS = ("name", "trainable", "dtype", "activity_regularizer", "autocast",
                      "input_shape", "input_dim", "batch_input_shape", "batch_size")

# Keras options tapeflow lacks, whose value here means "off" (dropped silently).
_KERAS_DEFAULTS = {"renorm_momentum": 0.99, "data_format": "channels_last"}


def _walk_dicts(obj: Any) -> Iterator[Dict[str, Any]]:
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            yield x
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)


def check_config_is_safe(config: Any) -> None:
    """Refuses configs that ask for code to run (``__lambda__`` objects, e.g. a
    ``Lambda`` layer's Python lambda), whatever ``safe_mode`` says: tapeflow never
    executes code from a file. (A Lambda layer whose function is named loads: the name
    resolves only to registered or ``custom_objects`` functions.)"""
    for d in _walk_dicts(config):
        if d.get("class_name") == "__lambda__":
            raise ValueError(
                "Requested the deserialization of a Python lambda. Loading it would "
                "execute code stored in the file, which tapeflow never does (neither "
                "safe_mode=False nor keras.config.enable_unsafe_deserialization() "
                "changes this). Rewrite the lambda as a named function or a custom "
                "layer and pass it in `custom_objects`.")


# Keras's global safe mode: None (unset, safe), or False after
# keras.config.enable_unsafe_deserialization(). Only Lambda.from_config reads it.
_SAFE_MODE: Dict[str, Optional[bool]] = {"value": None}


def enable_unsafe_deserialization() -> None:
    """Allows ``Lambda.from_config`` to rebuild Python lambdas from their bytecode
    (``keras.config.enable_unsafe_deserialization``). Files loaded with
    ``load_model`` still never run code."""
    _SAFE_MODE["value"] = False


def in_safe_mode() -> Optional[bool]:
    """Keras's ``in_safe_mode``: None unless unsafe deserialization was enabled."""
    return _SAFE_MODE["value"]


def _not_found(config: Dict[str, Any]) -> ValueError:
    name = config.get("class_name")
    module = config.get("module")
    return ValueError(
        f"Could not locate class '{name}' (module={module!r}, "
        f"registered_name={config.get('registered_name')!r}). Make sure custom classes "
        "are decorated with `@keras.saving.register_keras_serializable()` or passed in "
        "`custom_objects`; built-in Keras classes must be ones tapeflow implements.")


def resolve_class(config: Dict[str, Any], kind: Optional[str] = None,
                  custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """The class a config names, from custom objects, the registry or tapeflow's
    built-ins (by name in the designated namespace only)."""
    class_name = config.get("class_name")
    if not isinstance(class_name, str):
        raise ValueError(f"Invalid config: 'class_name' must be a string. Received: "
                         f"{config!r:.200}")
    module = config.get("module")
    registered = config.get("registered_name", class_name)
    found = get_registered_object(registered if isinstance(registered, str) else None,
                                  custom_objects)
    if found is not None:
        return found
    if isinstance(module, str) and (module == "keras" or module.startswith("keras.")):
        mkind = _kind_of_module(module)
        cls = _class_table(mkind or "").get(class_name)
        if cls is None and kind is not None and mkind is None:
            cls = _class_table(kind).get(class_name)
        if cls is not None:
            return cls
        raise ValueError(f"Could not locate class '{class_name}' (module {module!r}): it is "
                         "a Keras built-in that tapeflow does not implement.")
    # A custom object saved without registration: Keras looks it up by class name.
    for name in (registered, class_name):
        if isinstance(name, str):
            obj = get_registered_object(name, custom_objects)
            if obj is None and isinstance(name, str):
                obj = _scope_objects().get(name) or (custom_objects or {}).get(name)
            if obj is not None:
                return obj
    raise _not_found(config)


def resolve_function(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None
                     ) -> Callable[..., Any]:
    """A ``{"class_name": "function", ...}`` entry as a Python function."""

    name = config.get("config")
    if not isinstance(name, str):
        raise ValueError(f"Invalid function config: {config!r:.200}")
    registered = config.get("registered_name")
    for key in (registered, name):
        if isinstance(key, str):
            obj = get_registered_object(key, custom_objects) or \
                _scope_objects().get(key) or (custom_objects or {}).get(key)
            if obj is not None:
                return obj
    module = str(config.get("module") or "")
    if module in ("builtins", "keras") or module.startswith("keras."):
        for table in (losses.ALL_OBJECTS_DICT, getattr(metrics, "_FUNCTIONS", {}),
                      getattr(activations, "_BY_NAME", {})):
            fn = table.get(name)
            if fn is not None and not inspect.isclass(fn):
                return fn
    raise ValueError(f"Could not locate function '{name}' (module {module!r}). Make sure "
                     "custom functions are decorated with "
                     "`@keras.saving.register_keras_serializable()` or passed in "
                     "`custom_objects`.")


def _sanitize(cls: Any, config: Dict[str, Any], what: str,
              extra_allowed: Sequence[str] = ()) -> Dict[str, Any]:
    """A Keras config for a tapeflow built-in class: keeps the arguments its
    constructor takes; drops Keras-only options that are off (None/False/default);
    refuses Keras-only options that are on, naming them."""
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return dict(config)
    allowed = {n for n, p in params.items()
               if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} | set(extra_allowed)
    takes_var_kw = any(p.kind == p.VAR_KEYWORD for p in params.values())
    out = {}
    for key, value in config.items():
        if key in allowed or (takes_var_kw and not extra_allowed):
            if key.endswith("_constraint") and value is not None:
                raise ValueError(f"Cannot load {what}: `{key}` (weight constraints) is "
                                 "not supported by tapeflow.")
            out[key] = value
            continue
        if value is None or value is False or value == {} or value == [] or \
                _KERAS_DEFAULTS.get(key, object()) == value:
            continue
        raise ValueError(f"Cannot load {what}: option `{key}={value!r}` is not supported "
                         "by tapeflow.")
    return out


def _convert_builtin_config_value(value: Any, custom_objects: Optional[Dict[str, Any]],
                                  what: str) -> Any:
    """Nested values of a built-in layer's config: initializers, regularizers,
    functions, numpy arrays become objects tapeflow's constructors take."""
    if isinstance(value, list):
        return [_convert_builtin_config_value(v, custom_objects, what) for v in value]
    if not isinstance(value, dict) or "class_name" not in value:
        return value
    cn = value["class_name"]
    inner = value.get("config")
    if cn in ("__numpy__", "__tensor__"):
        return _array_from_config(inner)
    if cn == "function":
        return resolve_function(value, custom_objects)
    if cn in ("DTypePolicy", "FloatDTypePolicy"):
        return value
    module = str(value.get("module") or "")
    kind = _kind_of_module(module) if module else None
    if kind == "constraint":
        raise ValueError(f"Cannot load {what}: constraints ({cn}) are not supported by "
                         "tapeflow.")
    if kind in ("initializer", "regularizer") or (kind is None and module == ""):
        cls = resolve_class(value, kind, custom_objects)
        cfg = inner if isinstance(inner, dict) else {}
        if _builtin_kind(cls) in ("initializer", "regularizer"):
            cfg = _sanitize(cls, cfg, f"{what}: {cn}")
            return cls(**cfg)
        return cls.from_config(cfg)
    return deserialize_keras_object(value, custom_objects)


def _array_from_config(inner: Any) -> np.ndarray:
    if not isinstance(inner, dict) or "value" not in inner:
        raise ValueError(f"Invalid array config: {inner!r:.200}")
    dtype = np.dtype(str(inner.get("dtype", "float32")))
    if dtype.kind not in "biufc":
        raise ValueError(f"Invalid array dtype in config: {dtype}")
    return np.array(inner["value"], dtype=dtype)


def deserialize_layer(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None,
                      build: bool = True, compile: bool = True) -> Any:
    """A layer or model from its Keras dict: built from ``build_config`` and compiled
    from ``compile_config`` as Keras does."""

    if not isinstance(config, dict):
        raise ValueError(f"Invalid layer config: expected a dict, received {config!r:.200}")
    cls = resolve_class(config, "layer", custom_objects)
    if not (inspect.isclass(cls) and issubclass(cls, Layer)):
        raise ValueError(f"'{config.get('class_name')}' is not a layer or model class.")
    inner = config.get("config")
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise ValueError(f"Invalid config for {config.get('class_name')}: expected a dict.")
    builtin = _builtin_kind(cls) == "layer"
    with CustomObjectScope(custom_objects):
        if cls is Functional or (cls is Model and "layers" in inner):
            layer = graph.functional_from_config(inner, custom_objects)
        elif issubclass(cls, Functional) and cls.from_config is Functional.from_config:
            layer = graph.functional_from_config(inner, custom_objects)
        elif cls is Sequential:
            layer = graph.sequential_from_config(inner, custom_objects)
        elif builtin:
            what = f"layer '{inner.get('name')}' ({cls.__name__})"
            cfg = {k: _convert_builtin_config_value(v, custom_objects, what)
                   for k, v in inner.items()}
            if cls.__name__ == "InputLayer":
                cfg = _input_layer_config(cfg)
            else:
                cfg = _sanitize(cls, cfg, what, extra_allowed=_LAYER_BASE_KWARGS)
            layer = cls.from_config(cfg)
        else:
            layer = cls.from_config(dict(inner))
        if not isinstance(layer, Layer):
            raise ValueError(f"{cls.__name__}.from_config did not return a layer.")
        bc = config.get("build_config")
        if build and bc and not layer.built:
            build_from_config(layer, bc)
        cc = config.get("compile_config")
        if compile and cc and isinstance(layer, Model):
            compile_from_config(layer, cc, custom_objects)
    return layer


def _input_layer_config(cfg: Dict[str, Any]) -> Dict[str, Any]:
    out = {"batch_shape": cfg.get("batch_shape"), "dtype": cfg.get("dtype"),
           "name": cfg.get("name")}
    if out["batch_shape"] is None:
        if cfg.get("batch_input_shape") is not None:  # Keras 2 files
            out["batch_shape"] = cfg["batch_input_shape"]
        elif cfg.get("shape") is not None:
            out["batch_shape"] = [cfg.get("batch_size")] + list(cfg["shape"])
        else:
            raise ValueError(f"Invalid InputLayer config (no shape): {cfg!r:.200}")
    if cfg.get("sparse") or cfg.get("ragged"):
        raise ValueError("Sparse and ragged inputs are not supported by tapeflow.")
    out["batch_shape"] = tuple(out["batch_shape"])
    return out


def build_from_config(layer: Any, build_config: Dict[str, Any]) -> None:
    """Creates a layer's weights from its ``build_config``: the layer's own
    ``build_from_config`` if it has one, else a symbolic call on the input shape (which
    also builds sub-layers that a ``build()`` leaves to the first call)."""

    custom = getattr(layer, "build_from_config", None)
    if callable(custom):
        custom(build_config)
        return
    if not isinstance(build_config, dict):
        raise ValueError(f"Invalid build_config for layer '{layer.name}': {build_config!r}")
    if "shapes_dict" in build_config and isinstance(build_config["shapes_dict"], dict):
        shapes = {k.replace("_shape", "") if k.endswith("_shape") else k: v
                  for k, v in build_config["shapes_dict"].items()}
        layer.build(**{k + "_shape": tuple(v) for k, v in shapes.items()})
        layer.built = True
        return
    shape = build_config.get("input_shape")
    if shape is None:
        return
    if isinstance(layer, Sequential):
        layer.build(tuple(shape))
        return

    def symbolic(s: Any) -> Any:
        if isinstance(s, (list, tuple)) and s and isinstance(s[0], (list, tuple)):
            return [symbolic(x) for x in s]
        if not isinstance(s, (list, tuple)) or not all(
                d is None or isinstance(d, int) for d in s):
            raise ValueError(f"Invalid input_shape in the build_config of layer "
                             f"'{layer.name}': {s!r}")
        return KerasTensor(tuple(s), layer.dtype if _is_float(layer.dtype) else "float32")

    layer(symbolic(shape))


def _is_float(dtype: Any) -> bool:
    return str(dtype).startswith(("float", "bfloat"))


def compile_from_config(model: Any, config: Dict[str, Any],
                        custom_objects: Optional[Dict[str, Any]] = None) -> None:
    """``model.compile(**compile_config)`` with deserialized optimizer, losses and
    metrics; then builds the optimizer's variables (so its saved state can load)."""

    if type(model).compile is not Model.compile:
        warnings.warn("`compile()` was not called as part of model loading because the "
                      "model's `compile()` method is custom. All subclassed Models that "
                      "have `compile()` overridden should also override "
                      "`get_compile_config()` and `compile_from_config(config)`. "
                      "Alternatively, you can call `compile()` manually after loading.",
                      stacklevel=2)
        return
    if not isinstance(config, dict):
        raise ValueError(f"Invalid compile_config: {config!r:.200}")
    kwargs: Dict[str, Any] = {}
    opt = config.get("optimizer")
    if isinstance(opt, dict):
        opt = deserialize_keras_object(opt, custom_objects, kind="optimizer")
    if opt is not None:
        kwargs["optimizer"] = opt
    kwargs["loss"] = _deserialize_spec(config.get("loss"), "loss", custom_objects)
    kwargs["metrics"] = _deserialize_spec(config.get("metrics"), "metric", custom_objects)
    kwargs["weighted_metrics"] = _deserialize_spec(config.get("weighted_metrics"), "metric",
                                                   custom_objects)
    for key in ("loss_weights", "run_eagerly", "steps_per_execution", "jit_compile"):
        if key in config:
            kwargs[key] = config[key]
    params = inspect.signature(model.compile).parameters
    model.compile(**{k: v for k, v in kwargs.items() if k in params})
    build_optimizer(model)


def build_optimizer(model: Any) -> None:
    """Creates the optimizer's slot variables for the model's trainable weights, in
    Keras's variable order (so saved optimizer state maps variable for variable)."""

    opt = getattr(model, "optimizer", None)
    if opt is None or getattr(opt, "built", True) or not model.built:
        return
    variables = graph.keras_trainable_variables(model)
    if variables:
        opt.build(variables)


def _deserialize_spec(spec: Any, kind: str, custom_objects: Optional[Dict[str, Any]]) -> Any:
    if spec is None or isinstance(spec, (str, bool, int, float)):
        return spec
    if isinstance(spec, list):
        return [_deserialize_spec(s, kind, custom_objects) for s in spec]
    if isinstance(spec, dict):
        if "class_name" in spec:
            return deserialize_keras_object(spec, custom_objects, kind=kind)
        return {k: _deserialize_spec(v, kind, custom_objects) for k, v in spec.items()}
    raise ValueError(f"Invalid {kind} in compile_config: {spec!r:.200}")


def deserialize_keras_object(config: Any, custom_objects: Optional[Dict[str, Any]] = None,
                             safe_mode: bool = True, kind: Optional[str] = None) -> Any:
    """The object a Keras config describes (``keras.saving.deserialize_keras_object``).

    ``safe_mode`` is accepted for compatibility; tapeflow is always safe: it never
    deserializes lambdas or other code."""
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(c, custom_objects, safe_mode, kind) for c in config]
    if not isinstance(config, dict):
        raise ValueError(f"Could not parse config: {config!r:.200}")
    if "class_name" not in config or "config" not in config:
        return {k: deserialize_keras_object(v, custom_objects, safe_mode) for k, v in
                config.items()}
    check_config_is_safe(config)
    cn = config["class_name"]
    inner = config.get("config")
    if cn in ("__numpy__", "__tensor__"):
        return _array_from_config(inner)
    if cn == "__bytes__":
        return str(inner.get("value", "")).encode("utf-8")
    if cn == "__ellipsis__":
        return Ellipsis
    if cn == "function":
        return resolve_function(config, custom_objects)
    if cn in ("DTypePolicy", "FloatDTypePolicy"):
        return (inner or {}).get("name", "float32")
    module = config.get("module")
    mkind = _kind_of_module(module) if isinstance(module, str) else None
    cls = resolve_class(config, kind, custom_objects)

    if inspect.isclass(cls) and issubclass(cls, Layer):
        return deserialize_layer(config, custom_objects)
    if not inspect.isclass(cls):
        return cls  # a function registered under this name
    inner = dict(inner or {})
    bkind = _builtin_kind(cls)
    with CustomObjectScope(custom_objects):
        if bkind == "optimizer":

            inner = _sanitize(cls, inner, f"optimizer {cn}",
                              extra_allowed=tuple(inspect.signature(
                                  Optimizer.__init__).parameters))
            return cls.from_config(inner, custom_objects=custom_objects)
        if bkind in ("initializer", "regularizer"):
            return cls(**_sanitize(cls, inner, f"{bkind} {cn}"))
        if bkind in ("loss", "metric", "schedule"):
            if "fn" in inner and isinstance(inner["fn"], dict):
                inner["fn"] = resolve_function(inner["fn"], custom_objects)
            if cn not in ("LossFunctionWrapper", "MeanMetricWrapper"):
                inner = _sanitize(cls, inner, f"{bkind} {cn}",
                                  extra_allowed=("name", "dtype", "reduction"))
            return cls.from_config(inner)
        if mkind is not None and bkind is None and not (
                get_registered_object(config.get("registered_name"), custom_objects)):
            raise _not_found(config)
        if not hasattr(cls, "from_config"):
            raise ValueError(f"Unable to reconstruct an instance of '{cn}' because the class "
                             "is missing a `from_config()` method.")
        return cls.from_config(inner)


def is_saveable(obj: Any) -> bool:

    return isinstance(obj, (Layer, Optimizer))

# graph.py reads this module's functions at import: bound last (a cycle by design).
from tapeflow.keras.saving import graph  # noqa: E402
