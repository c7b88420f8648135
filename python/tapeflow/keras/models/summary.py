"""``model.summary()``: Keras 3's boxed table of layers, shapes and parameter counts."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

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


def _wrap(text: str, width: int) -> List[str]:
    """A cell's lines as rich (Keras's table renderer) lays them out: words filled
    greedily into `width` columns, a word longer than a line on its own, cut to
    width - 1 characters and an ellipsis."""
    lines: List[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if len(candidate) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return [ln if len(ln) <= width else ln[:width - 1] + "…" for ln in lines]


def _connections(model: Any) -> Tuple[bool, Dict[int, str]]:
    """Whether a functional model is a plain chain (Keras prints it like a Sequential),
    and each layer's "Connected to" text: ``name[node_index][tensor_index]`` of every
    input of each of its calls, as Keras's summary."""
    from tapeflow.keras.layers.layer import _flat

    nodes = list(getattr(model, "_nodes", []))
    calls: Dict[int, Any] = {}  # call (its history tuple) -> (layer, input tensors)
    outputs_of: Dict[int, List[Any]] = {}  # call -> its output tensors, in order seen
    for t in nodes:
        hist = t._history
        if hist is None or hist[1] is None:
            continue
        calls.setdefault(id(hist), (hist[0], _flat(hist[1])))
        outputs_of.setdefault(id(hist), []).append(t)
    calls_of_layer: Dict[int, List[int]] = {}
    for key, (layer, _) in calls.items():
        calls_of_layer.setdefault(id(layer), []).append(key)
    consumers: Dict[int, int] = {}
    text: Dict[int, List[str]] = {}
    for key, (layer, ins) in calls.items():
        for x in ins:
            consumers[id(x)] = consumers.get(id(x), 0) + 1
            hist = x._history
            if hist is None or hist[1] is None or id(hist) not in calls:
                src = hist[0] if hist else None
                ref = f"{getattr(src, 'name', '?')}[0][0]"
            else:
                src = hist[0]
                ref = (f"{src.name}[{calls_of_layer[id(src)].index(id(hist))}]"
                       f"[{outputs_of[id(hist)].index(x)}]")
            text.setdefault(id(layer), []).append(ref)
    chain = (len(getattr(model, "inputs", [])) == 1 and len(getattr(model, "outputs", [])) == 1
             and all(len(ins) == 1 for _, ins in calls.values())
             and all(len(keys) == 1 for keys in calls_of_layer.values())
             and all(n == 1 for n in consumers.values()))
    return chain, {k: ", ".join(v) for k, v in text.items()}


def summary_text(model: Any) -> str:
    from tapeflow.keras.layers.core import InputLayer
    from tapeflow.keras.models.sequential import Sequential

    chain, connected = (True, {}) if isinstance(model, Sequential) or not hasattr(
        model, "_nodes") else _connections(model)
    # Keras's column widths on an 80-column terminal, after rich fits them with borders.
    widths = (33, 24, 15) if chain else (21, 19, 12, 19)
    top = "┏" + "┳".join("━" * w for w in widths) + "┓"
    mid = "┡" + "╇".join("━" * w for w in widths) + "┩"
    between = "├" + "┼".join("─" * w for w in widths) + "┤"
    bottom = "└" + "┴".join("─" * w for w in widths) + "┘"
    right = 2  # the Param # column

    def row(cells: List[str], sep: str) -> List[str]:
        wrapped = [_wrap(c, w - 2) for c, w in zip(cells, widths)]
        height = max(len(w) for w in wrapped)
        out = []
        for i in range(height):
            parts = []
            for k, (cell, w) in enumerate(zip(wrapped, widths)):
                text = cell[i] if i < len(cell) else ""
                parts.append(f" {text:>{w - 2}} " if k == right else f" {text:<{w - 2}} ")
            out.append(sep + sep.join(parts) + sep)
        return out

    header = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])
    lines = [f'Model: "{model.name}"', top, *row(header, "┃"), mid]
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
        cells = [f"{layer.name} ({type(layer).__name__})", shape, params]
        if not chain:
            cells.append(connected.get(id(layer), "-"))
        lines.extend(row(cells, "│"))
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
