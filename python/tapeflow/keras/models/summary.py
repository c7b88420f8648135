"""``model.summary()``: Keras 3's boxed table of layers, shapes and parameter counts."""

from __future__ import annotations

from typing import Any, List

import numpy as np


def _size(weights: List[Any]) -> int:
    return int(sum(int(np.prod(w.shape.as_list())) if w.shape.rank else 1 for w in weights))


def _bytes(weights: List[Any]) -> int:
    return int(sum((int(np.prod(w.shape.as_list())) if w.shape.rank else 1) * w.dtype.size
                   for w in weights))


def readable_size(n: int) -> str:
    """36.00 B, 1.23 KB, 4.56 MB (units of 1024), as Keras."""
    units = ["B", "KB", "MB", "GB", "TB"]
    size = float(n)
    for unit in units:
        if size < 1024 or unit == units[-1]:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} TB"


def _shape_str(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_str(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def summary_text(model: Any) -> str:
    from tapeflow.keras.layers.core import InputLayer
    from tapeflow.keras.models.sequential import Sequential

    widths = (33, 24, 15)
    top = "┏" + "┳".join("━" * w for w in widths) + "┓"
    mid = "┡" + "╇".join("━" * w for w in widths) + "┩"
    between = "├" + "┼".join("─" * w for w in widths) + "┤"
    bottom = "└" + "┴".join("─" * w for w in widths) + "┘"

    def row(cells: List[str], sep: str) -> str:
        a, b, c = cells
        return (f"{sep} {a:<{widths[0] - 2}} {sep} {b:<{widths[1] - 2}} {sep} "
                f"{c:>{widths[2] - 2}} {sep}")

    lines = [f'Model: "{model.name}"', top, row(["Layer (type)", "Output Shape", "Param #"], "┃"),
             mid]
    shapes = getattr(model, "_output_shapes", {}) if isinstance(model, Sequential) else {}
    for i, layer in enumerate(model.layers):
        if i:
            lines.append(between)
        if layer.built:
            params = f"{_size(layer.weights):,}"
            if isinstance(layer, InputLayer):
                shape = _shape_str(layer.batch_shape)
            elif isinstance(model, Sequential):
                shape = _shape_str(shapes.get(layer.name))
            else:
                shape = _shape_str(_functional_shape(model, layer))
        else:
            params, shape = "0 (unbuilt)", "?"
        lines.append(row([f"{layer.name} ({type(layer).__name__})", shape, params], "│"))
    lines.append(bottom)
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    opt_vars = []
    opt = getattr(model, "optimizer", None)
    if opt is not None and getattr(opt, "built", True):
        opt_vars = list(getattr(opt, "variables", []) or [])
    total = trainable + non_trainable + opt_vars
    # Counts with thousands separators, as Keras 3 prints them (686,001).
    lines.append(f" Total params: {_size(total):,} ({readable_size(_bytes(total))})")
    lines.append(f" Trainable params: {_size(trainable):,} ({readable_size(_bytes(trainable))})")
    lines.append(f" Non-trainable params: {_size(non_trainable):,} "
                 f"({readable_size(_bytes(non_trainable))})")
    if opt_vars:
        lines.append(f" Optimizer params: {_size(opt_vars):,} ({readable_size(_bytes(opt_vars))})")
    return "\n".join(lines)


def _functional_shape(model: Any, layer: Any) -> Any:
    for t in list(getattr(model, "inputs", [])) + list(getattr(model, "_nodes", [])):
        hist = t._history
        if hist and hist[0] is layer:
            return t.shape
    return None
