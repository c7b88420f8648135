"""The tape: records executed ops so gradients can be computed in reverse.

As TF's eager tape: every op is offered to every active tape (``record``); a tape keeps
the op only if one of its inputs is watched or was produced by an op it kept. Reading a
trainable Variable watches it. The tapes themselves are native (csrc/autodiff/tape.h);
this module holds which are active and every op's gradient rule. Rules are written with
tapeflow ops, so a still-open outer tape records the inner tape's gradient computation:
nesting gives higher derivatives without special code."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple

from tapeflow import _core

# Tapes inside their `with` block, innermost last.
entered: List["TapeState"] = []
# Those of them recording now (not paused). Ops test this list before doing any work,
# so while a tape computes its own gradient with no outer tape, ops record nothing.
active: List["TapeState"] = []

# rule(inputs, outputs, output_grads, needs, attrs) -> one gradient (or None) per input.
Rule = Callable[[Tuple[Any, ...], Tuple[Any, ...], Tuple[Any, ...], Tuple[bool, ...], Any],
                Sequence[Any]]

# TF op name -> its gradient rule: the op's one derivative, registered next to the op (in
# ops/*.py) with ``@gradient``, written with tapeflow ops so that it serves every order.
# First-order walks run it natively: csrc/autodiff traces each rule once per signature
# into a graph and caches it (see autodiff/backprop.h); a tape recording the backward
# pass runs it here, in Python, so that it records the rule's ops.
RULES: Dict[str, Rule] = {}

# Whether first-order gradients (no tape recording the backward pass) use the native walk;
# tests turn it off to compare it with the Python walk.
native_backward = True


def gradient(*op_names: str) -> Callable[[Rule], Rule]:
    """Registers the decorated function as the gradient rule of ``op_names``.

    The rule is called as ``rule(inputs, outputs, dys, needs, attrs)``: the op's input and
    output Tensors, the gradients of its outputs, which inputs need a gradient, and the
    attributes its record carries (plain data: ints, floats, strings, slices, tuples). It
    must compute only from those (never from Tensors it closes over), since its trace is
    reused for every call with the same attributes, dtypes and shapes."""
    def register(rule: Rule) -> Rule:
        for name in op_names:
            if name in RULES:
                raise ValueError(f"op {name!r} already has a gradient rule")
            RULES[name] = rule
        return rule

    return register


def run_rule(rec: "Record", dys: Tuple[Any, ...], needs: Tuple[bool, ...]) -> Sequence[Any]:
    """A record's rule on its own inputs and outputs."""
    return RULES[rec.op](rec.inputs, rec.outputs, dys, needs, rec.attrs)


# One recorded op (``op``, ``inputs``, ``outputs``, ``attrs``: what its rule reads besides
# Tensors) and one tape's state (``watch(obj)``, ``watched``, ``records``,
# ``watch_accessed_variables``, ``paused``): native objects (csrc/autodiff/tape.h), made
# by ``record`` and by GradientTape.
Record = _core.Record
TapeState = _core.Tape


def _refresh() -> None:
    active[:] = [t for t in entered if t.paused == 0]


def enter(state: "TapeState") -> None:
    entered.append(state)
    if state.paused == 0:  # the innermost: `active` stays `entered`'s order
        active.append(state)


def leave(state: "TapeState") -> None:
    if entered and entered[-1] is state:  # the usual, innermost-first exit
        entered.pop()
        if active and active[-1] is state:
            active.pop()
        return
    if state in entered:
        entered.remove(state)
    _refresh()


def pause(state: "TapeState") -> None:
    state.paused += 1
    _refresh()


def resume(state: "TapeState") -> None:
    state.paused -= 1
    _refresh()


@gradient("ReadVariableOp", "Identity")
def _identity_grad(inputs: Tuple[Any, ...], outputs: Tuple[Any, ...], dys: Tuple[Any, ...],
                   needs: Tuple[bool, ...], attrs: Any) -> Sequence[Any]:
    return (dys[0],)


# record(op, inputs, outputs, attrs=None): offers an executed op to every active tape: a
# tape keeps it (one Record, shared by the tapes that keep it) when one of its inputs is
# watched or was recorded there, and then tracks its outputs. ``attrs``: what the op's
# rule reads besides its inputs and outputs.
# variable_read(var, value): a Variable was read into ``value``: tapes that watch
# accessed variables start watching it when it is trainable, and every tape watching it
# records the read (TF's ReadVariableOp), linking the value to the variable.
# Both run natively (csrc/bindings): ops call them on every recorded op.
record: Callable[..., None] = _core.tape_record
variable_read: Callable[[Any, Any], None] = _core.tape_variable_read
