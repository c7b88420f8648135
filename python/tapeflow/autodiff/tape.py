"""The tape: records executed ops so gradients can be computed in reverse.

As TF's eager tape: every op is offered to every active tape (``record``); a tape keeps
the op only if one of its inputs is watched or was produced by an op it kept. Reading a
trainable Variable watches it. Backward functions are written with tapeflow ops, so a
still-open outer tape records the inner tape's gradient computation: nesting gives
higher derivatives without special code.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from tapeflow import _core

# Tapes inside their `with` block, innermost last.
entered: List["TapeState"] = []
# Those of them recording now (not paused). Ops test this list before doing any work,
# so while a tape computes its own gradient with no outer tape, ops record nothing.
active: List["TapeState"] = []

# backward(output_grads, needs) -> one gradient (or None) per input.
Backward = Callable[[Tuple[Any, ...], Tuple[bool, ...]], Sequence[Any]]

# TF op name -> id of the op's gradient rule in the native first-order engine
# (csrc/autodiff/backprop.h); ops not listed are differentiated by their Python rule only.
NATIVE_RULES = _core.grad_rules()
# Whether first-order gradients (no tape recording the backward pass) use that engine;
# tests turn it off to compare it with the Python rules.
native_backward = True


# TF op name -> rule(*inputs, *outputs, output_grads, needs) for ops recorded without a
# backward closure (their Record's backward is None): the binary ops (ops/_base.py), which
# Tensor's native operators also record.
PYTHON_RULES: Dict[str, Callable[..., Sequence[Any]]] = {}


def run_backward(rec: "Record", dys: Tuple[Any, ...], needs: Tuple[bool, ...]) -> Sequence[Any]:
    """A record's Python rule: its backward closure, or its op's entry in PYTHON_RULES."""
    if rec.backward is not None:
        return rec.backward(dys, needs)
    return PYTHON_RULES[rec.op](*rec.inputs, *rec.outputs, dys, needs)


class Record:
    """One recorded op: its inputs, outputs and backward function (the reference rule,
    made of tapeflow ops so that tapes can record it), plus what the native engine needs:
    the id of its rule for this op (-1: none) and the op's attributes (matmul's transposes,
    reduction axes, softmax's axis, or a saved Tensor). Made by ``record`` (natively, its
    slots set in place), never directly."""

    __slots__ = ("op", "inputs", "outputs", "backward", "rule", "attrs")

    op: str
    inputs: Tuple[Any, ...]
    outputs: Tuple[Any, ...]
    backward: Optional[Backward]  # None: PYTHON_RULES[op] (see run_backward)
    rule: int
    attrs: Any


class TapeState:
    """What one tape has recorded: the watched objects and the ops it kept."""

    __slots__ = ("ids", "watched", "records", "watch_accessed_variables", "paused")

    def __init__(self, watch_accessed_variables: bool) -> None:
        self.ids: set = set()          # ids of watched objects and recorded outputs
        self.watched: list = []        # watched Tensors/Variables, in order, kept alive
        self.records: List[Record] = []
        self.watch_accessed_variables = watch_accessed_variables
        self.paused = 0

    def watch(self, obj: Any) -> None:
        if id(obj) not in self.ids:
            self.ids.add(id(obj))
            self.watched.append(obj)


def _refresh() -> None:
    active[:] = [t for t in entered if t.paused == 0]


def enter(state: "TapeState") -> None:
    entered.append(state)
    _refresh()


def leave(state: "TapeState") -> None:
    if state in entered:
        entered.remove(state)
    _refresh()


def pause(state: "TapeState") -> None:
    state.paused += 1
    _refresh()


def resume(state: "TapeState") -> None:
    state.paused -= 1
    _refresh()


def _identity_backward(dys: Tuple[Any, ...], needs: Tuple[bool, ...]) -> Sequence[Any]:
    return (dys[0],)


_core._install_tape(Record, TapeState, NATIVE_RULES, _identity_backward)

# record(op, inputs, outputs, backward, attrs=None): offers an executed op to every active
# tape: a tape keeps it (one Record, shared by the tapes that keep it) when one of its
# inputs is watched or was recorded there, and then tracks its outputs. ``attrs`` are what
# the op's native rule reads besides its inputs and outputs (see Record).
# variable_read(var, value): a Variable was read into ``value``: tapes that watch
# accessed variables start watching it when it is trainable, and every tape watching it
# records the read (TF's ReadVariableOp), linking the value to the variable.
# Both run natively (csrc/bindings): ops call them on every recorded op.
record: Callable[..., None] = _core.tape_record
variable_read: Callable[[Any, Any], None] = _core.tape_variable_read
