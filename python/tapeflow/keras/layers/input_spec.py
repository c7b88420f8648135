"""``keras.layers.InputSpec``: what a layer accepts (rank, dtype, sizes of some axes),
checked on every call as Keras 3's ``assert_input_compatibility`` does, with its
messages."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence


class InputSpec:
    """The rank, dtype and axis sizes a layer's input must have (``keras.InputSpec``)."""

    def __init__(self, dtype: Any = None, shape: Optional[Sequence[Optional[int]]] = None,
                 ndim: Optional[int] = None, max_ndim: Optional[int] = None,
                 min_ndim: Optional[int] = None, axes: Optional[Dict[int, int]] = None,
                 allow_last_axis_squeeze: bool = False, name: Optional[str] = None,
                 optional: bool = False) -> None:
        self.dtype = None if dtype is None else str(getattr(dtype, "name", dtype))
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim is not None else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(f"Axis {max(self.axes)} is greater than the maximum "
                                 f"allowed value: {max_dim}")

    def fits(self, shape: Any) -> bool:
        """Whether a concrete shape (a tuple of ints) passes every check but the dtype's
        (the per-call fast path; a False means: run the full check for its message)."""
        n = len(shape)
        if self.dtype is not None or (self.ndim is not None and n != self.ndim) or (
                self.min_ndim is not None and n < self.min_ndim) or (
                self.max_ndim is not None and n > self.max_ndim):
            return False
        for axis, value in self.axes.items():
            if value is not None and -n <= axis < n and shape[axis] != value:
                return False
        if self.shape is not None:
            for want, got in zip(self.shape, shape):
                if want is not None and want != got:
                    return False
        return True

    def __repr__(self) -> str:
        spec = [f"dtype={self.dtype}" if self.dtype else "",
                f"shape={self.shape}" if self.shape else "",
                f"ndim={self.ndim}" if self.ndim else "",
                f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                f"min_ndim={self.min_ndim}" if self.min_ndim else "",
                f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(x for x in spec if x)})"

    def get_config(self) -> Dict[str, Any]:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}


def assert_input_compatibility(spec: InputSpec, x: Any, layer_name: str,
                               index: int = 0) -> None:
    """Keras 3's checks of one input against its spec (ValueError with Keras's words)."""
    if not hasattr(x, "shape"):
        raise ValueError(f"Inputs to a layer should be tensors. Got '{x}' (of type "
                         f"{type(x)}) as input for layer '{layer_name}'.")
    shape = tuple(x.shape)
    ndim = len(shape)
    head = f"Input {index} with name '{spec.name}' of layer '{layer_name}' is " \
           "incompatible with the layer: "
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise ValueError(f"{head}expected ndim={spec.ndim}, found ndim={ndim}. Full shape "
                         f"received: {shape}")
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(f"{head}expected max_ndim={spec.max_ndim}, found ndim={ndim}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(f"{head}expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                         f"Full shape received: {shape}")
    if spec.dtype is not None:
        dtype = str(getattr(x.dtype, "name", x.dtype))
        if dtype != spec.dtype:
            raise ValueError(f"{head}expected dtype={spec.dtype}, found dtype={dtype}")
    for axis, value in spec.axes.items():
        if value is not None and -ndim <= axis < ndim and shape[axis] not in (value, None):
            raise ValueError(f"{head}expected axis {axis} of input shape to have value "
                             f"{value}, but received input with shape {shape}")
    if spec.shape is not None:
        for want, got in zip(spec.shape, shape):
            if want is not None and got is not None and want != got:
                raise ValueError(f"{head}expected shape={spec.shape}, found shape={shape}")
