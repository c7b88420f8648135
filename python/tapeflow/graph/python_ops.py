"""Ops that run Python when the graph runs: ``tf.print``, ``tf.py_function`` and
``tf.numpy_function``. Eagerly they just call Python; inside a ``tf.function`` trace
they become graph nodes that call it at every run (``_core.py_call``)."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from tapeflow import _core, nest
from tapeflow.framework import dtypes
from tapeflow.framework import tracing as _tracing
from tapeflow.framework.device import to_host
from tapeflow.framework.tensor import Tensor, convert_to_tensor, wrap


def _format_scalar(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (float, np.floating)):
        return format(float(v), "g")
    return str(v)


def _format_array(a: np.ndarray, summarize: int, indent: int = 0) -> str:
    """TF's tf.print layout: numpy-like, no commas, ``...`` past 2 * summarize items."""
    if a.ndim == 0:
        return _format_scalar(a[()])
    n = a.shape[0]
    if summarize >= 0 and n > 2 * summarize:
        idx: List[Any] = list(range(summarize)) + [None] + list(range(n - summarize, n))
    else:
        idx = list(range(n))
    if a.ndim == 1:
        return "[" + " ".join("..." if i is None else _format_scalar(a[i]) for i in idx) + "]"
    sep = "\n" + " " * (indent + 1)
    parts = ["..." if i is None else _format_array(a[i], summarize, indent + 1) for i in idx]
    return "[" + sep.join(parts) + "]"


def _format(x: Any, summarize: int) -> str:
    if isinstance(x, Tensor) or hasattr(x, "_as_tensor"):
        t = x if isinstance(x, Tensor) else x._as_tensor()
        return _format_array(np.asarray(to_host(t._a)), summarize)
    if isinstance(x, str):
        return x
    if nest.is_nested(x):
        return str(nest.map_structure(lambda y: _Raw(_format(y, summarize)), x))
    return str(x)


class _Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _writer(output_stream: Any) -> Callable[[str], None]:
    """Where tf.print writes: the process's stderr/stdout file descriptors (as TF, not
    through sys.stdout), a ``file://`` path (appended), or a callable (logging)."""
    if output_stream is None or output_stream is sys.stderr or output_stream is sys.__stderr__:
        return lambda s: os.write(2, s.encode())
    if output_stream is sys.stdout or output_stream is sys.__stdout__:
        return lambda s: os.write(1, s.encode())
    if isinstance(output_stream, str) and output_stream.startswith("file://"):
        path = output_stream[len("file://"):]

        def append(s: str) -> None:
            with open(path, "a", encoding="utf-8") as f:
                f.write(s)
        return append
    if callable(output_stream):
        return lambda s: output_stream(s.rstrip("\n"))
    if hasattr(output_stream, "write"):
        return output_stream.write
    raise ValueError(f"Unsupported output stream, logging level, or file.{output_stream}. "
                     "Supported streams are sys.stdout, sys.stderr, tf.logging.info, "
                     "tf.logging.warning, tf.logging.error, tf.logging.fatal, "
                     "tf.logging.debug, or a 'file://' path")


def print_v2(*inputs: Any, output_stream: Any = None, summarize: int = 3,
             sep: str = " ", end: str = "\n", name: Optional[str] = None) -> None:
    """``tf.print``: prints tensors (TF's layout: ``[1 2 ... 9 10]``, bools as 1/0) and
    Python values, at every call of a tf.function (``print`` prints when tracing).
    By default to the process's standard error (file descriptor 2), as TF."""
    write = _writer(output_stream)
    flat = nest.flatten(list(inputs))
    positions = [i for i, x in enumerate(flat)
                 if isinstance(x, Tensor) or hasattr(x, "_as_tensor")]
    arrays = [(flat[i] if isinstance(flat[i], Tensor) else flat[i]._as_tensor())._a
              for i in positions]

    def emit(values: List[Any]) -> List[Any]:
        with _tracing.suspended():
            _emit(values)
        return []

    def _emit(values: List[Any]) -> None:
        leaves = list(flat)
        for i, a in zip(positions, values):
            leaves[i] = wrap(a)
        items = nest.pack_sequence_as(list(inputs), leaves)
        write(sep.join(_format(x, summarize) for x in items) + end)

    _core.py_call(emit, arrays, run_when_traced=False)


def _outputs(result: Any, Tout: Any) -> List[Any]:
    """The Python function's results as Arrays of the dtypes Tout lists."""
    single = not isinstance(Tout, (list, tuple))
    touts = [Tout] if single else list(Tout)
    values = [result] if single else (list(result) if isinstance(result, (list, tuple))
                                      else [result])
    if result is None and touts == []:
        values = []
    if len(values) != len(touts):
        raise ValueError(f"py_function: the function returned {len(values)} values for "
                         f"{len(touts)} Tout dtypes")
    return [convert_to_tensor(v, dtype=dtypes.as_dtype(t))._a for v, t in zip(values, touts)]


def _as_decorator(op: Callable[..., Any], func: Any, inp: Any, Tout: Any,
                  **kwargs: Any) -> Any:
    """TF's decorator form: ``@tf.py_function(Tout=...)`` makes ``f(*args)`` run
    ``op(f, args, Tout)``."""
    if func is None:
        return lambda f: _as_decorator(op, f, inp, Tout, **kwargs)
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        return op(func, list(args), Tout, **kwargs)

    return wrapper


def py_function(func: Optional[Callable[..., Any]] = None, inp: Optional[Sequence[Any]] = None,
                Tout: Any = None, name: Optional[str] = None) -> Any:
    """``tf.py_function``: runs ``func`` on Tensors, eagerly or at every graph run,
    converting its results to ``Tout`` (a dtype or a list of dtypes). Without ``inp``,
    a decorator (``@tf.py_function(Tout=tf.float32)``), as TF."""
    if func is None or inp is None:
        return _as_decorator(py_function, func, inp, Tout)
    tensors = [convert_to_tensor(x) for x in inp]
    single = not isinstance(Tout, (list, tuple))

    def call(arrays: List[Any]) -> List[Any]:
        with _tracing.suspended():
            return _outputs(func(*[wrap(a) for a in arrays]), Tout)

    outs = [wrap(a) for a in _core.py_call(call, [t._a for t in tensors])]
    return outs[0] if single else outs


def numpy_function(func: Optional[Callable[..., Any]] = None,
                   inp: Optional[Sequence[Any]] = None, Tout: Any = None,
                   stateful: bool = True, name: Optional[str] = None) -> Any:
    """``tf.numpy_function``: as py_function, with numpy arrays in and out (also a
    decorator without ``inp``)."""
    if func is None or inp is None:
        return _as_decorator(numpy_function, func, inp, Tout, stateful=stateful)
    tensors = [convert_to_tensor(x) for x in inp]
    single = not isinstance(Tout, (list, tuple))

    def call(arrays: List[Any]) -> List[Any]:
        with _tracing.suspended():
            return _outputs(func(*[np.array(to_host(a)) for a in arrays]), Tout)

    outs = [wrap(a) for a in _core.py_call(call, [t._a for t in tensors])]
    return outs[0] if single else outs
