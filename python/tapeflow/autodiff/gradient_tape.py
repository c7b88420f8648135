"""``tf.GradientTape``, ``tf.custom_gradient`` and friends.

Semantics mirror TF 2: trainable Variables read inside the block are watched (unless
``watch_accessed_variables=False``); constants need ``tape.watch``. ``gradient`` sums
non-scalar targets, returns the sources' structure, ``None`` for unconnected or integer
sources (or zeros with ``UnconnectedGradients.ZERO``). A non-persistent tape answers
once. Nested tapes give higher derivatives because backward functions run ordinary,
recorded ops.
"""

from __future__ import annotations

import enum
import functools
from typing import Any, Callable, List, Optional, Sequence, Tuple

from tapeflow import _core
from tapeflow.autodiff import tape as _tape
from tapeflow.framework.tensor import Tensor, convert_to_tensor, wrap
from tapeflow.nest import flatten as _flatten, pack_sequence_as
from tapeflow.ops._base import MAX_FLOAT_INDEX



class UnconnectedGradients(enum.Enum):
    """What ``gradient`` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


def _pack_as(structure: Any, flat: List[Any]) -> Any:
    """``flat`` in ``structure``'s shape (``tf.nest.pack_sequence_as``)."""
    return pack_sequence_as(structure, flat)


def _handle_or_self(x: Any) -> Any:
    """A Variable-like object as the variable it stands for (TF compares variables by
    resource handle, so ``gradient(v.assign_add(1.), v)`` is ones); anything else as is."""
    return getattr(x, "_handle", x)


def _is_float(x: Any) -> bool:
    return x._a.dtype_index <= MAX_FLOAT_INDEX


class GradientTape:
    """Records operations for automatic differentiation (``tf.GradientTape``)."""

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._state: Optional[_tape.TapeState] = None
        self._last_watched: Sequence[Any] = ()  # what it watched, after a one-shot gradient
        self._used = False
        self._recording = False
        self._exited = False

    # -- context ----------------------------------------------------------------------
    def __enter__(self) -> "GradientTape":
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to "
                             "re-enter an already-active tape.")
        if self._state is None:
            self._state = _tape.TapeState(self._watch_accessed_variables)
        _tape.enter(self._state)
        self._recording = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._recording:
            self._pop()
        self._exited = True

    def _pop(self) -> None:
        _tape.leave(self._state)
        self._recording = False

    def watch(self, tensor: Any) -> None:
        """Starts tracking tensors or variables (any nest of them)."""
        if self._state is None:
            self._state = _tape.TapeState(self._watch_accessed_variables)
        for t in _flatten(tensor):
            if not (isinstance(t, Tensor) or hasattr(t, "_as_tensor")):
                raise ValueError(f"Passed in object {t!r} of type {type(t).__name__!r}, "
                                 "not tf.Tensor or tf.Variable or ExtensionType.")
            if not _is_float(t):
                import logging

                logging.getLogger("tapeflow").warning("The dtype of the watched tensor must be floating (e.g. "
                             "tf.float32), got %r", t.dtype)
            self._state.watch(t)

    def stop_recording(self) -> "_StopRecording":
        """A context in which ops are not recorded (``tape.stop_recording()``)."""
        if not self._recording:
            if self._exited:
                raise ValueError("Tape is not recording.")
            raise RuntimeError("Trying to stop recording a tape which is not recording.")
        return _StopRecording(self._state)

    def reset(self) -> None:
        """Forgets everything recorded so far (``tape.reset()``)."""
        recording = self._recording
        if recording:
            self._pop()
        self._state = None
        self._used = False
        self._last_watched = ()
        if recording:
            self.__enter__()

    def watched_variables(self) -> Tuple[Any, ...]:
        """The Variables this tape watches, in the order they were first watched."""
        watched = self._last_watched if self._state is None else self._state.watched
        found = [v for v in watched if hasattr(v, "_as_tensor")]
        return tuple(sorted(found, key=lambda v: getattr(v, "_uid", 0)))  # creation order

    # -- gradients ------------------------------------------------------------------------
    def gradient(self, target: Any, sources: Any, output_gradients: Any = None,
                 unconnected_gradients: Any = UnconnectedGradients.NONE) -> Any:
        """d(sum of target) / d(sources), in the sources' structure."""
        if self._state is None or self._used:
            self._check_usable()
        if target is None:
            raise TypeError("Argument `target` should be a list or nested structure of "
                            "Tensors, Variables or CompositeTensors to be differentiated, "
                            "but received None.")
        if unconnected_gradients is not UnconnectedGradients.NONE:
            unconnected_gradients = UnconnectedGradients(unconnected_gradients)
        flat_sources = _flatten(sources)
        for i, s in enumerate(flat_sources):
            if type(s) is not Tensor:
                if not (isinstance(s, Tensor) or hasattr(s, "_as_tensor")):
                    raise ValueError(f"Passed in object {s!r} of type {type(s).__name__!r}, "
                                     "not tf.Tensor or tf.Variable or ExtensionType.")
                flat_sources[i] = _handle_or_self(s)
        targets = [t if type(t) is Tensor else _handle_or_self(t) for t in _flatten(target)]
        out_grads = None if output_gradients is None else _flatten(output_gradients)
        state = self._state
        # Inside its own block, TF stops a non-persistent tape for good, while a
        # persistent one records its own backward pass (for higher derivatives).
        if self._recording and not self._persistent:
            self._pop()
        # (A tape outside its block is not among the active ones: nothing to pause.)
        grads = _backprop(state, targets, out_grads, flat_sources)
        if not self._persistent:  # drop the records (the tape left `active` above)
            self._used = True
            # TF still lists the Variables (watched_variables); watched constants go.
            self._last_watched = [v for v in state.watched if hasattr(v, "_as_tensor")]
            self._state = None
        if unconnected_gradients is UnconnectedGradients.ZERO:
            from tapeflow.ops import math_ops

            grads = [math_ops.zeros_like(s) if g is None else g
                     for s, g in zip(flat_sources, grads)]
        return _pack_as(sources, grads)

    def _check_usable(self) -> None:
        """TF's RuntimeError for a second use of a non-persistent tape (gradient,
        jacobian and batch_jacobian alike)."""
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute "
                               "one set of gradients (or jacobians)")
        if self._state is None:
            raise RuntimeError("GradientTape.gradient can only be called once on "
                               "non-persistent tapes.")

    def jacobian(self, target: Any, sources: Any, unconnected_gradients: Any =
                 UnconnectedGradients.NONE, parallel_iterations: Any = None,
                 experimental_use_pfor: bool = True) -> Any:
        """d target[i...] / d source, of shape target.shape + source.shape: one backward
        pass per target element with a one-hot output gradient (TF's loop fallback)."""
        from tapeflow.ops import array_ops, math_ops

        self._check_usable()
        target = convert_to_tensor(target)
        flat_sources = _flatten(sources)
        n = target._a.size
        rows: List[List[Any]] = [[] for _ in flat_sources]
        persistent, self._persistent = self._persistent, True
        try:
            for i in range(n):
                onehot = array_ops.reshape(array_ops.one_hot(i, n, dtype=target.dtype),
                                           target._a.shape)
                g = self.gradient(target, flat_sources, output_gradients=onehot,
                                  unconnected_gradients=unconnected_gradients)
                for k, gk in enumerate(g):
                    rows[k].append(gk)
        finally:
            self._persistent = persistent
        if not persistent:
            self._used = True
        out = []
        for s, r in zip(flat_sources, rows):
            s_t = convert_to_tensor(s)
            shape = list(target._a.shape) + list(s_t._a.shape)
            if not r or all(x is None for x in r):
                out.append(array_ops.zeros(shape, s_t.dtype) if (not r or UnconnectedGradients(
                    unconnected_gradients) is UnconnectedGradients.ZERO) else None)
                continue
            r = [math_ops.zeros_like(s_t) if x is None else x for x in r]
            out.append(array_ops.reshape(array_ops.stack(r), shape))
        return _pack_as(sources, out)

    def batch_jacobian(self, target: Any, source: Any, unconnected_gradients: Any =
                       UnconnectedGradients.NONE, parallel_iterations: Any = None,
                       experimental_use_pfor: bool = True) -> Any:
        """d target[b, i...] / d source[b, j...] for each batch row b: one backward pass
        per inner target element, all rows at once (rows must not interact, as in TF)."""
        from tapeflow.ops import array_ops

        self._check_usable()
        target = convert_to_tensor(target)
        src = convert_to_tensor(source)
        if target._a.ndim == 0 or src._a.ndim == 0 or \
                target._a.shape[0] != src._a.shape[0]:
            raise ValueError(f"Need first dimension of target shape ({target.shape}) and "
                             f"source shape ({src.shape}) to match.")
        batch = target._a.shape[0]
        inner = target._a.size // batch if batch else 0
        out_shape = [batch] + list(target._a.shape[1:]) + list(src._a.shape[1:])
        persistent, self._persistent = self._persistent, True
        cols = []
        try:
            for j in range(inner):
                onehot = array_ops.reshape(
                    array_ops.broadcast_to(array_ops.one_hot(j, inner, dtype=target.dtype),
                                           (batch, inner)), target._a.shape)
                cols.append(self.gradient(target, source, output_gradients=onehot,
                                          unconnected_gradients=unconnected_gradients))
        finally:
            self._persistent = persistent
        if not persistent:
            self._used = True
        if not cols or any(c is None for c in cols):
            return array_ops.zeros(out_shape, src.dtype)
        stacked = array_ops.stack(cols, axis=1)  # (batch, inner, source dims...)
        return array_ops.reshape(stacked, out_shape)


class _StopRecording:
    def __init__(self, state: Optional[_tape.TapeState]) -> None:
        self._state = state

    def __enter__(self) -> None:
        if self._state is not None:
            _tape.pause(self._state)

    def __exit__(self, *exc: Any) -> None:
        if self._state is not None:
            _tape.resume(self._state)


def _backprop(tape: _tape.TapeState, targets: List[Any], output_grads: Optional[List[Any]],
              sources: List[Any]) -> List[Any]:
    """Reverse pass over the records; one gradient (or None) per source.

    One walk (csrc/autodiff/walk.h) in two modes. With no tape recording (the first-order
    case) it runs on core Arrays (``_core.backprop``): each rule's cached graph, or
    ``_python_rule`` the first time (while the engine traces it). Otherwise it runs on
    Tensors (``_core.recorded_backprop``), every rule in Python, so that the recording
    tapes see the gradient's ops."""
    # Per target: (the target, its output gradient or None: ones, its value).
    seeds = []
    for i, t in enumerate(targets):
        value = t if type(t) is Tensor else convert_to_tensor(t)
        seed = None
        if output_grads is not None and output_grads[i] is not None:
            seed = convert_to_tensor(output_grads[i], dtype=value.dtype)
        seeds.append((t, seed, value))
    if not _tape.active and _tape.native_backward:
        return _core.backprop(tape, seeds, sources, _python_rule)

    from tapeflow.ops import math_ops

    floats = [s for s in sources if s._a.dtype_index <= MAX_FLOAT_INDEX]
    tensor_seeds = [(t, math_ops.ones_like(v) if g is None else g) for t, g, v in seeds]
    found = iter(_core.recorded_backprop(tape, tensor_seeds, floats, _tape.run_rule,
                                         math_ops.add, math_ops.zeros_like))
    return [next(found) if s._a.dtype_index <= MAX_FLOAT_INDEX else None for s in sources]


def _python_rule(rec: _tape.Record, inputs: Optional[List[Any]], outputs: Optional[List[Any]],
                 dys: Tuple[Any, ...], needs: Tuple[bool, ...]) -> List[Any]:
    """A record's rule for the native walk: Arrays in, Arrays (or None) out. While the walk
    traces the rule, ``inputs`` and ``outputs`` are the graph's stand-ins for the record's
    values, and the rule must read those; otherwise (None) it reads the record's own."""
    rule = _tape.RULES[rec.op]
    ins = rec.inputs if inputs is None else tuple([wrap(a) for a in inputs])
    outs = rec.outputs if outputs is None else tuple([wrap(a) for a in outputs])
    grads = rule(ins, outs, tuple([wrap(d) for d in dys]), needs, rec.attrs)
    return [None if g is None else g._a if isinstance(g, Tensor) else convert_to_tensor(g)._a
            for g in grads]


def custom_gradient(f: Optional[Callable[..., Any]] = None) -> Any:
    """Decorator for a function returning ``(y, grad_fn)`` (``tf.custom_gradient``).

    ``grad_fn(*dys)`` returns one gradient per Tensor argument; when the function reads
    Variables, ``grad_fn(*dys, variables=...)`` returns ``(input_grads, variable_grads)``.
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        inputs = [convert_to_tensor(a) if isinstance(a, Tensor) or hasattr(a, "_as_tensor")
                  else a for a in args]
        tensor_inputs = tuple(a for a in inputs if isinstance(a, Tensor))
        with _Inner() as inner:
            result, grad_fn = f(*inputs, **kwargs)
        variables = list(inner.watched_variables())
        flat_out = [convert_to_tensor(r) for r in _flatten(result)]
        # Fresh outputs that the tapes link to the inputs through grad_fn.
        outs = tuple(wrap(o._a) for o in flat_out)
        for state in _tape.active:  # the forward ran unrecorded: watch what it read
            if state.watch_accessed_variables:
                for v in variables:
                    if v.trainable:
                        state.watch(v)
        if _tape.active:
            def backward(dys: Tuple[Any, ...], needs: Tuple[bool, ...]) -> Sequence[Any]:
                if variables:
                    in_g, var_g = grad_fn(*dys, variables=variables)
                else:
                    in_g, var_g = grad_fn(*dys), []
                in_g = list(in_g) if isinstance(in_g, (list, tuple)) else [in_g]
                return list(in_g) + list(var_g)

            _tape.record("CustomGradient", tensor_inputs + tuple(variables), outs, backward)
        return _pack_as(result, list(outs))

    return wrapper


@_tape.gradient("CustomGradient")
def _custom_gradient_grad(inputs: Tuple[Any, ...], outputs: Tuple[Any, ...],
                          dys: Tuple[Any, ...], needs: Tuple[bool, ...],
                          backward: Callable[..., Sequence[Any]]) -> Sequence[Any]:
    """The user's gradient function (the record's attribute: not data, so never cached)."""
    return backward(dys, needs)


class _Inner:
    """Runs the forward of a custom_gradient function without recording it, noting
    which Variables it reads."""

    def __enter__(self) -> "_Inner":
        self._paused = list(_tape.active)
        for t in self._paused:
            _tape.pause(t)
        self._tape = GradientTape(persistent=True)
        self._tape.__enter__()
        return self

    def watched_variables(self) -> Tuple[Any, ...]:
        return self._tape.watched_variables()

    def __exit__(self, *exc: Any) -> None:
        self._tape.__exit__()
        for t in self._paused:
            _tape.resume(t)
