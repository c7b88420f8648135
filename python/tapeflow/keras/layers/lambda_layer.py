"""``keras.layers.Lambda``: a layer that calls a Python function.

As Keras 3 (``keras/src/layers/core/lambda_layer.py``): ``arguments`` are passed as
keyword arguments, and ``mask``/``training`` too when the function takes them;
``output_shape`` (a shape without the batch axis, or a function of the input shape)
gives the symbolic output shape, which is otherwise found by running the function.

Serialization writes Keras's format: a Python lambda as ``{"class_name":
"__lambda__", "config": {"code", "defaults", "closure"}}`` (marshalled bytecode), a
named function by name. Reading a lambda back runs that bytecode, so
``Lambda.from_config`` refuses it with Keras's ValueError unless ``safe_mode=False`` is
passed or ``keras.config.enable_unsafe_deserialization()`` was called. Files are
stricter than Keras: ``keras.models.load_model`` never runs code from a file, whatever
``safe_mode`` says (tapeflow's design), so a Lambda holding a Python lambda loads only
in memory; one holding a registered (or ``custom_objects``) function loads anywhere.
"""

from __future__ import annotations

import binascii
import codecs
import inspect
import marshal
import types
from typing import Any, Callable, Dict, Optional, Tuple

from tapeflow.keras.layers.layer import Layer

_LAMBDA_REFUSED = (
    "Requested the deserialization of a `Lambda` layer whose `function` is a Python "
    "lambda. This carries a potential risk of arbitrary code execution and thus it is "
    "disallowed by default. If you trust the source of the artifact, you can override "
    "this error by passing `safe_mode=False` to the loading function, or calling "
    "`keras.config.enable_unsafe_deserialization()."
)


def func_dump(func: Callable[..., Any]) -> Tuple[str, Any, Any]:
    """``(code, defaults, closure)`` of a Python function: its bytecode marshalled and
    base64-encoded, as Keras's ``python_utils.func_dump``."""
    code = codecs.encode(marshal.dumps(func.__code__), "base64").decode("ascii")
    closure = (
        tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    )
    return code, func.__defaults__, closure


def func_load(
    code: Any,
    defaults: Any = None,
    closure: Any = None,
    globs: Optional[Dict[str, Any]] = None,
) -> Callable[..., Any]:
    """The function ``func_dump`` described (Keras's ``python_utils.func_load``).

    This executes the given bytecode: call it only on trusted input. Its globals are
    this module's (``tf`` is tapeflow) unless `globs` is given. Unlike Keras, a list of
    defaults (as JSON gives it back) is accepted.
    """
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    cells = None if closure is None else tuple(types.CellType(v) for v in closure)
    try:
        raw = codecs.decode(code.encode("ascii"), "base64")
    except (UnicodeEncodeError, binascii.Error):
        raw = code.encode("raw_unicode_escape")
    fn_code = marshal.loads(raw)
    if globs is None:
        import tapeflow as tf  # noqa: F401 - visible to the loaded function

        globs = dict(globals(), tf=tf)
    return types.FunctionType(
        fn_code, globs, name=fn_code.co_name, argdefs=defaults, closure=cells
    )


def _is_lambda_config(value: Any) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__lambda__"


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer (``keras.layers.Lambda``).

    Args:
        function: the function to call on the inputs. It also receives ``mask`` and
            ``training`` if it has parameters of those names.
        output_shape: the output shape without the batch axis (the batch axis is the
            input's), a list of such shapes for several outputs, or a function of the
            whole input shape. If None, symbolic calls run the function to find it.
        mask: None, a function ``(inputs, mask) -> mask``, or a constant mask
            returned by ``compute_mask``.
        arguments: keyword arguments passed to `function`.

    Raises:
        TypeError: if `function` is not a Python callable (Keras's "unsupported
            callable").
    """

    def __init__(
        self,
        function: Callable[..., Any],
        output_shape: Any = None,
        mask: Any = None,
        arguments: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.arguments = arguments or {}
        self.function = function
        self.supports_masking = mask is not None
        self.mask = mask
        self._output_shape = output_shape
        params = inspect.getfullargspec(function).args
        self._fn_expects_training_arg = "training" in params
        self._fn_expects_mask_arg = "mask" in params

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """``mask(inputs, mask)`` if `mask` is a function, else the constant mask."""
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def _declares_output_shape(self) -> bool:
        return self._output_shape is not None

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for `input_shape`, from ``output_shape`` (Keras's rules) or,
        without it, by running the function symbolically."""
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = input_shape
        while isinstance(batch, (list, tuple)) and batch:
            batch = batch[0]
        shape = self._output_shape
        if (
            isinstance(shape, (list, tuple))
            and shape
            and all(isinstance(s, (list, tuple)) for s in shape)
        ):
            return [(batch,) + tuple(s) for s in shape]
        return (batch,) + tuple(shape)

    # -- config -----------------------------------------------------------------
    @staticmethod
    def _serialize_function_to_config(fn: Any) -> Any:
        """Keras's form: a lambda as bytecode, a named function by its registered
        name (``{"module": "builtins", "class_name": "function", ...}``)."""
        from tapeflow.keras.saving import serialization_lib

        if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
            code, defaults, closure = func_dump(fn)
            return {
                "class_name": "__lambda__",
                "config": {"code": code, "defaults": defaults, "closure": closure},
            }
        if inspect.isfunction(fn) or inspect.isbuiltin(fn):
            kind = type(fn).__name__
            return {
                "module": "builtins",
                "class_name": kind,
                "config": serialization_lib.get_registered_name(fn),
                "registered_name": kind,
            }
        if callable(fn):
            return serialization_lib.serialize_keras_object(fn)
        raise ValueError(
            f"Invalid input type for serialization. Received: {fn} of type {type(fn)}."
        )

    def get_config(self) -> Dict[str, Any]:
        from tapeflow.keras.saving import serialization_lib

        config: Dict[str, Any] = {
            "function": self._serialize_function_to_config(self.function)
        }
        if self._output_shape is not None:
            config["output_shape"] = (
                self._serialize_function_to_config(self._output_shape)
                if callable(self._output_shape)
                else self._output_shape
            )
        if self.mask is not None:
            config["mask"] = (
                self._serialize_function_to_config(self.mask)
                if callable(self.mask)
                else serialization_lib.serialize_keras_object(self.mask)
            )
        config["arguments"] = serialization_lib.serialize_keras_object(self.arguments)
        return {**super().get_config(), **config}

    @classmethod
    def from_config(
        cls,
        config: Dict[str, Any],
        custom_objects: Optional[Dict[str, Any]] = None,
        safe_mode: Optional[bool] = None,
    ) -> "Lambda":
        """Rebuilds a Lambda from ``get_config()`` (or a Keras config).

        Args:
            config: the layer's config.
            custom_objects: functions to resolve by name.
            safe_mode: False allows Python lambdas (their bytecode is executed); None
                follows ``keras.config.enable_unsafe_deserialization()`` (safe unless
                it was called), as Keras.

        Raises:
            ValueError: a Python lambda in safe mode (Keras's message), or a named
                function that is neither registered nor in `custom_objects`.
        """
        from tapeflow.keras.saving import serialization_lib

        if safe_mode is None:
            safe_mode = serialization_lib.in_safe_mode()
        safe = safe_mode is not False
        config = dict(config)

        def restore(value: Any) -> Any:
            if _is_lambda_config(value):
                if safe:
                    raise ValueError(_LAMBDA_REFUSED)
                inner = value.get("config") or {}
                return func_load(
                    inner.get("code"),
                    defaults=inner.get("defaults"),
                    closure=inner.get("closure"),
                )
            if isinstance(value, dict):
                return serialization_lib.deserialize_keras_object(
                    value, custom_objects=custom_objects
                )
            return value

        config["function"] = restore(config["function"])
        if "output_shape" in config:
            shape = restore(config["output_shape"])
            if isinstance(shape, list):
                shape = [tuple(s) if isinstance(s, list) else s for s in shape]
                if not any(isinstance(s, tuple) for s in shape):
                    shape = tuple(shape)
            config["output_shape"] = shape
        if "mask" in config:
            config["mask"] = restore(config["mask"])
        if "arguments" in config:
            config["arguments"] = serialization_lib.deserialize_keras_object(
                config["arguments"], custom_objects=custom_objects
            )
        return super().from_config(config)  # type: ignore[return-value]


__all__ = ["Lambda"]
