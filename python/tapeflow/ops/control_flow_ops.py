"""``tf.cond``, ``tf.case``, ``tf.switch_case`` and ``tf.while_loop``.

Eagerly they are Python control flow. Inside a ``tf.function``, ``tf.cond`` on a
computed predicate traces both branches into one "cond" node of the graph (each branch a
graph of its own, run by the node on the predicate's value at every call), as TF does;
when the branch not taken cannot be traced on the current values, or a GradientTape is
recording, it falls back to the mechanism of a Python ``if`` on a tensor: the trace
follows the branch taken and records a guard, and a run that goes the other way traces
that path (see tapeflow/graph/function.py). ``tf.case``, ``tf.switch_case`` and
``tf.while_loop`` use guards today (a while loop is unrolled per trip count).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from tapeflow import nest
from tapeflow.autodiff import tape as _tape
from tapeflow.framework import tracing as _tracing
from tapeflow.framework.tensor import convert_to_tensor


def _check_predicate(t: Any) -> None:
    if t.shape.rank not in (0, None) and t._a.size != 1:
        raise ValueError(f"The predicate must be a scalar, got shape {t.shape}")


def _truth(pred: Any) -> bool:
    t = convert_to_tensor(pred)
    _check_predicate(t)
    return bool(t)


def cond(pred: Any, true_fn: Optional[Callable[[], Any]] = None,
         false_fn: Optional[Callable[[], Any]] = None, name: Optional[str] = None) -> Any:
    """``tf.cond``: ``true_fn()`` if ``pred`` else ``false_fn()``."""
    if not callable(true_fn):
        raise TypeError("true_fn must be callable.")
    if not callable(false_fn):
        raise TypeError("false_fn must be callable.")
    if _tracing.stack and not _tape.active:
        t = convert_to_tensor(pred)
        if _tracing.is_symbolic(t._a):
            _check_predicate(t)
            from tapeflow.graph import function as _function

            out = _function.trace_cond(t, true_fn, false_fn)
            if out is not _function._NOT_TRACED:
                return out
    return true_fn() if _truth(pred) else false_fn()


def case(pred_fn_pairs: Sequence[Any], default: Optional[Callable[[], Any]] = None,
         exclusive: bool = False, strict: bool = False, name: str = "case") -> Any:
    """``tf.case``: the function of the first true predicate, else ``default()``; with
    ``exclusive=True`` more than one true predicate is TF's InvalidArgumentError."""
    from tapeflow.framework import errors

    pairs = list(pred_fn_pairs.items() if isinstance(pred_fn_pairs, dict) else pred_fn_pairs)
    for p, fn in pairs:
        if not callable(fn):
            raise TypeError("fn for pred %s must be callable." % getattr(p, "name", p))
    chosen = None
    for p, fn in pairs:
        if _truth(p):
            if chosen is None:
                chosen = fn
                if not exclusive:
                    break
            else:
                raise errors.InvalidArgumentError(
                    None, None, "Input error: exclusive=True: more than 1 conditions "
                    f"({len(pairs)}) evaluated as True")
    if chosen is not None:
        return chosen()
    if default is None:
        if not pairs:
            raise ValueError("No predicates and no default")
        return pairs[-1][1]()  # TF: the last function is the default
    return default()


def switch_case(branch_index: Any, branch_fns: Any, default: Optional[Callable[[], Any]] = None,
                name: str = "switch_case") -> Any:
    """``tf.switch_case``: ``branch_fns[branch_index]()``; an index out of range runs
    ``default`` (or the last branch when there is none), as TF."""
    fns = sorted(branch_fns.items()) if isinstance(branch_fns, dict) else list(
        enumerate(branch_fns))
    if not fns:
        raise ValueError("Must provide at least one item in branch_fns")
    index = convert_to_tensor(branch_index)
    if not index.dtype.is_integer:
        raise TypeError(f"branch_index must be an int32 or int64 tensor, got {index.dtype}")
    for k, fn in fns:
        if _truth(index == k):
            return fn()
    return (default or fns[-1][1])()


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               shape_invariants: Any = None, parallel_iterations: int = 10,
               back_prop: bool = True, swap_memory: bool = False,
               maximum_iterations: Any = None, name: Optional[str] = None) -> Any:
    """``tf.while_loop``: repeats ``loop_vars = body(*loop_vars)`` while
    ``cond(*loop_vars)``; the result has loop_vars' structure (TF's checks on it)."""
    if not callable(cond):
        raise TypeError("'cond' must be callable.")
    if not callable(body):
        raise TypeError("'body' must be callable.")
    if parallel_iterations < 1:
        raise TypeError("'parallel_iterations' must be a positive integer.")
    packed = isinstance(loop_vars, (list, tuple))
    values = list(loop_vars) if packed else [loop_vars]
    limit = None if maximum_iterations is None else int(convert_to_tensor(maximum_iterations))
    i = 0
    while (limit is None or i < limit) and _truth(cond(*values)):
        out = body(*values)
        out = list(out) if isinstance(out, (list, tuple)) and packed else [out]
        nest.assert_same_structure(values, out, check_types=False)
        values = out
        i += 1
    if not packed:
        return values[0]
    return type(loop_vars)(values) if isinstance(loop_vars, tuple) and not hasattr(
        loop_vars, "_fields") else values if isinstance(loop_vars, list) else type(
            loop_vars)(*values)
