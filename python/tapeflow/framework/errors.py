"""TensorFlow's exception hierarchy (``tf.errors``).

Mirrors ``tf.errors.OpError`` and its subclasses: each takes ``(node_def, op, message)``
and exposes ``.message``, ``.op`` and ``.error_code``. The native core raises these
classes directly (see ``_core._set_error_classes``). Where TF has no equivalent Python
base, we add one that helps users: ``ResourceExhaustedError`` is also a ``MemoryError``.
"""

from __future__ import annotations

from typing import Any

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """The base class of errors raised by failing ops, as ``tf.errors.OpError``."""

    def __init__(
        self, node_def: Any, op: Any, message: str, error_code: int = UNKNOWN, *args: Any
    ) -> None:
        super().__init__(message, *args)
        self._node_def = node_def
        self._op = op
        self._message = message
        self._error_code = error_code

    @property
    def message(self) -> str:
        return self._message

    @property
    def op(self) -> Any:
        return self._op

    @property
    def node_def(self) -> Any:
        return self._node_def

    @property
    def error_code(self) -> int:
        return self._error_code

    def __str__(self) -> str:
        return self._message


def _make(name: str, code: int, *bases: type) -> type:
    def __init__(self, node_def: Any, op: Any, message: str, *args: Any) -> None:
        OpError.__init__(self, node_def, op, message, code, *args)

    return type(name, (OpError, *bases), {"__init__": __init__, "__module__": __name__})


CancelledError = _make("CancelledError", CANCELLED)
UnknownError = _make("UnknownError", UNKNOWN)
InvalidArgumentError = _make("InvalidArgumentError", INVALID_ARGUMENT)
DeadlineExceededError = _make("DeadlineExceededError", DEADLINE_EXCEEDED)
NotFoundError = _make("NotFoundError", NOT_FOUND)
AlreadyExistsError = _make("AlreadyExistsError", ALREADY_EXISTS)
PermissionDeniedError = _make("PermissionDeniedError", PERMISSION_DENIED)
ResourceExhaustedError = _make("ResourceExhaustedError", RESOURCE_EXHAUSTED, MemoryError)
FailedPreconditionError = _make("FailedPreconditionError", FAILED_PRECONDITION)
AbortedError = _make("AbortedError", ABORTED)
OutOfRangeError = _make("OutOfRangeError", OUT_OF_RANGE)
UnimplementedError = _make("UnimplementedError", UNIMPLEMENTED)
InternalError = _make("InternalError", INTERNAL)
UnavailableError = _make("UnavailableError", UNAVAILABLE)
DataLossError = _make("DataLossError", DATA_LOSS)
UnauthenticatedError = _make("UnauthenticatedError", UNAUTHENTICATED)



class OperatorNotAllowedInGraphError(TypeError):
    """A Python operation on a symbolic tensor inside a tf.function (``bool(t)``, ...)."""


class _GuardFailed(Exception):
    """A traced graph met a value for which its trace took another Python branch (the
    caller traces that path; never reaches users)."""


# The classes the native core raises, by its error kind.
CORE_ERROR_CLASSES = {
    "InvalidArgument": InvalidArgumentError,
    "OutOfRange": OutOfRangeError,
    "ResourceExhausted": ResourceExhaustedError,
    "Unimplemented": UnimplementedError,
    "Internal": InternalError,
    "GuardFailed": _GuardFailed,
}
