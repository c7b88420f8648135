"""The ``.keras`` zip archive and the walk over a model's state, as Keras 3.15's
``keras/src/saving/saving_lib.py`` does them.

Archive: an uncompressed zip holding ``metadata.json`` (``keras_version``,
``date_saved``), ``config.json`` (the model's serialized config) and
``model.weights.h5`` (or ``model.weights.npz`` when h5py is missing).

Weights: every layer and optimizer reachable from the model gets a group
``<path>/vars`` (attribute ``name``: the object's name) holding its own variables as
datasets "0", "1", ... (a layer's trainable variables first, then the others, in
creation order). Paths come from how objects are reached, never from their names:
Sequential and functional models list their layers under ``layers/``, each named after
its snake-cased class plus a counter (``layers/dense``, ``layers/dense_1``); other
attributes holding layers or lists of layers add their attribute name
(``b/ds/dense_1``); a compiled model's optimizer is ``optimizer``.

Loading reads the archive into memory, never extracts anything, and refuses members
whose names are absolute or contain ``..``. Members are decompressed in chunks up to a
cap, checked first against their declared size: ``config.json`` up to
``_MAX_CONFIG_BYTES``; the weights file up to what the model built from the config can
hold (``_weights_allowance``). A file that declares or inflates to more is refused
with a ValueError naming the member and the sizes, before the excess is read.
"""

from __future__ import annotations

import datetime
import io
import json
import math
import os
import tempfile
import warnings
import zipfile
import zlib
from typing import Any, Dict, Iterator, List, Optional, Tuple

from tapeflow import keras
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.models import Functional, Model, Sequential
from tapeflow.keras.optimizers import Optimizer
from tapeflow.keras.saving import graph, stores
from tapeflow.keras.saving.serialization_lib import (
    CustomObjectScope,
    check_config_is_safe,
    deserialize_layer,
    is_saveable,
    serialize_layer,
    to_snake_case,
)

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
VARS_H5 = "model.weights.h5"
VARS_NPZ = "model.weights.npz"

_ZIP_BOMB_FLOOR_BYTES = 1 << 32  # as Keras: 4 GiB, and 100x the stored size
_ZIP_MAX_EXPANSION = 100
_READ_CHUNK_BYTES = 1 << 20
# The weights file may hold this many times the bytes of the model's variables (an
# optimizer's slots, when the file has them and the model is loaded uncompiled) plus,
# for HDF5's own structures, so much per variable and per file.
_WEIGHTS_BYTES_FACTOR = 8
_WEIGHTS_BYTES_PER_VARIABLE = 64 << 10
_WEIGHTS_BYTES_FLOOR = 1 << 20

# Attributes of tapeflow's Layer/Model/Sequential/Functional that hold internal state
# (Keras skips its base classes' attributes the same way).
_INTERNAL_ATTRS = frozenset({
    "_sublayers", "_own_weights", "_added_losses", "_weight_counter", "_build_shape_hint",
    "_call_takes_mask", "_call_takes_training", "_dtype", "_trainable",
    "activity_regularizer", "built", "name", "_compile_config", "_compiled_metrics",
    "_in_fit", "_loss_fn", "_loss_tracker", "_metric_specs", "compiled", "history", "loss",
    "stop_training", "_input_shape", "_output_shapes", "_stack", "_inputs_struct",
    "_outputs_struct", "inputs", "outputs", "_nodes", "_input_dtype", "_input_name",
    "_build_shapes_dict", "_loss_weights", "_metrics_spec", "_metric_outputs",
    "_output_losses", "_output_name_list"})


def keras_version() -> str:

    return keras.__version__


# ---------------------------------------------------------------------------------
# The walk over saveable state (same order and paths as Keras)
# ---------------------------------------------------------------------------------
def _name_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


_SKIP_CACHE: Dict[type, frozenset] = {}


def _skip_names(obj: Any) -> frozenset:

    for base in (Functional, Sequential, Model, Layer):
        if isinstance(obj, base):
            break
    skip = _SKIP_CACHE.get(base)
    if skip is None:
        names = set(dir(base)) | _INTERNAL_ATTRS
        if base is Model:
            names.discard("layers")
        skip = _SKIP_CACHE[base] = frozenset(names)
    return skip


def _children(obj: Any) -> Iterator[Tuple[str, Any]]:
    """(attribute, value) pairs to descend into, in Keras's order."""

    if not isinstance(obj, Layer):
        return
    if isinstance(obj, (Sequential, Functional)):
        yield "layers", graph.keras_layers(obj)
    skip = _skip_names(obj)
    names = [n for n in dir(obj) if not n.startswith("__") and n not in skip]
    for name in sorted(names, key=_name_key):
        if name == "layers" and isinstance(obj, Model):
            value: Any = graph.keras_layers(obj)
        else:
            try:
                value = getattr(obj, name)
            except Exception:  # noqa: BLE001 - as Keras: unreadable attributes are skipped
                continue
        if is_saveable(value) or isinstance(value, (list, tuple, dict)):
            yield name, value


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def _container_items(container: Any) -> Iterator[Tuple[str, Any]]:
    used: Dict[str, int] = {}

    def unique(name: str) -> str:
        if name in used:
            used[name] += 1
            return f"{name}_{used[name]}"
        used[name] = 0
        return name

    values = list(container.values()) if isinstance(container, dict) else list(container)
    for item in values:
        if is_saveable(item):
            yield unique(to_snake_case(type(item).__name__)), item
        elif isinstance(item, (list, tuple, dict)):
            yield unique("container"), item


def walk(root: Any) -> Iterator[Tuple[str, Any, Any]]:
    """Every saveable reachable from ``root``: (path, object, owning model or None)."""
    visited: set = set()
    visited_containers: set = set()

    def visit(obj: Any, path: str, owner: Any) -> Iterator[Tuple[str, Any, Any]]:
        if id(obj) in visited:
            return
        visited.add(id(obj))
        yield path, obj, owner
        for name, child in _children(obj):
            yield from dispatch(child, _join(path, name), obj)

    def dispatch(child: Any, path: str, owner: Any) -> Iterator[Tuple[str, Any, Any]]:
        if is_saveable(child):
            yield from visit(child, path, owner)
        elif isinstance(child, (list, tuple, dict)):
            if id(child) in visited_containers:
                return
            visited_containers.add(id(child))
            for name, item in _container_items(child):
                yield from dispatch(item, _join(path, name), owner)

    yield from visit(root, "", None)


def _own_variables(layer: Any) -> List[Any]:
    """Keras's ``_trainable_variables + _non_trainable_variables`` of one layer."""
    own = list(getattr(layer, "_own_weights", []))
    return [w for w in own if w.trainable] + [w for w in own if not w.trainable]


def _optimizer_in_keras_order(opt: Any, model: Any) -> Optional[Any]:
    """A fresh copy of ``opt`` built on the model's variables in Keras's order with
    the same values, when ``opt`` was built in another order (functional models whose
    call order differs from Keras's layer order); None when no reordering is needed."""
    if not getattr(opt, "built", False) or model is None:
        return None
    built_on = list(getattr(opt, "_trainable_variables", []) or [])
    keras_order = graph.keras_trainable_variables(model)
    if [id(v) for v in built_on] == [id(v) for v in keras_order]:
        return None
    if {id(v) for v in built_on} != {id(v) for v in keras_order}:
        return None
    try:
        fresh = type(opt).from_config(opt.get_config())
        fresh.build(keras_order)
    except Exception:  # noqa: BLE001 - a custom optimizer we cannot clone: keep its order
        return None
    old = {v.name: v for v in opt.variables}
    if len(old) != len(opt.variables) or set(old) != {v.name for v in fresh.variables} \
            or len(fresh.variables) != len(opt.variables):
        return None
    return fresh, old


def _save_own(obj: Any, entry: Any, owner: Any) -> None:

    if isinstance(obj, Optimizer):
        pair = _optimizer_in_keras_order(obj, owner)
        if pair is not None:
            fresh, old = pair
            for i, v in enumerate(fresh.variables):
                entry[str(i)] = old[v.name].numpy()
            return
    if hasattr(obj, "save_own_variables"):
        obj.save_own_variables(entry)
        return
    for i, v in enumerate(_own_variables(obj)):
        entry[str(i)] = v.numpy()


def _load_own(obj: Any, entry: Any, path: str, owner: Any) -> None:

    if isinstance(obj, Optimizer):
        pair = _optimizer_in_keras_order(obj, owner)
        if pair is not None and len(entry) == len(obj.variables):
            fresh, old = pair
            for i, v in enumerate(fresh.variables):
                where, var = f"{path}/vars/{i}", old[v.name]
                _assign(var, _read_for(entry, var, str(i), where), where)
            return
        if type(obj).load_own_variables is Optimizer.load_own_variables:
            # It reads "<i>" into variables[i]: check each header before reading it.
            entry.expected.update((str(i), v) for i, v in enumerate(obj.variables))
    if hasattr(obj, "load_own_variables"):
        obj.load_own_variables(entry)
        return
    variables = _own_variables(obj)
    if len(entry) != len(variables):
        where = path or "the model itself"
        if not variables and not obj.built:
            raise ValueError(
                f"Layer '{obj.name}' (at '{where}') was never built and thus it doesn't "
                f"have any variables. However the weights file lists {len(entry)} "
                "variables for this layer. Its parent's build() must create the state of "
                "its child layers, or the layer needs `build_from_config()`/"
                "`get_build_config()`.")
        raise ValueError(f"Layer '{obj.name}' (at '{where}') expected {len(variables)} "
                         f"variables, but received {len(entry)} variables during loading. "
                         f"Expected: {[v.name for v in variables]}")
    for i, v in enumerate(variables):
        where = f"{path}/vars/{i}" if path else f"vars/{i}"
        _assign(v, _read_for(entry, v, str(i), where), where)


def _assign(variable: Any, value: Any, where: str) -> None:
    if tuple(value.shape) != stores.variable_shape(variable):
        raise stores.shape_mismatch(where, value.shape, variable)
    variable.assign(value.astype(variable.dtype.as_numpy_dtype, copy=False))


def _read_for(entry: Any, variable: Any, key: str, where: str) -> Any:
    """The array for ``variable``, its shape checked before its data is read."""
    if key not in entry:
        raise ValueError(f"The weights file has no '{where}' for the model's variable "
                         f"'{variable.name}' (it has {sorted(entry.keys())}).")
    entry.expected[key] = variable
    return entry[key]


def save_state(model: Any, writer: stores.WeightsWriter) -> None:
    for path, obj, owner in walk(model):
        name = obj.name if isinstance(getattr(obj, "name", None), str) else None
        _save_own(obj, writer.make(path, name), owner)


def load_state(model: Any, reader: stores.WeightsReader) -> None:
    for path, obj, owner in walk(model):
        _load_own(obj, reader.get(path), path, owner)


def _weights_allowance(model: Any) -> Tuple[int, str]:
    """The most bytes a weights file for ``model`` may hold, and why: a multiple of
    its variables' bytes plus room per variable (see the constants above)."""

    nbytes = count = 0
    for _, obj, _ in walk(model):
        variables = obj.variables if isinstance(obj, Optimizer) else _own_variables(obj)
        for v in variables:
            count += 1
            nbytes += math.prod(stores.variable_shape(v)) * v.dtype.size
    allowance = (_WEIGHTS_BYTES_FACTOR * nbytes + _WEIGHTS_BYTES_PER_VARIABLE * count
                 + _WEIGHTS_BYTES_FLOOR)
    return allowance, (f"the model's {count} variables of {nbytes} bytes allow "
                       f"({allowance} bytes)")


# ---------------------------------------------------------------------------------
# Whole models
# ---------------------------------------------------------------------------------
def _weights_format() -> str:
    if stores.import_h5py(required=False) is not None:
        return "h5"
    warnings.warn("h5py is not installed: writing the weights as model.weights.npz inside "
                  "the .keras file. tapeflow reads it back, but Keras needs "
                  "model.weights.h5; `pip install h5py` to write Keras-compatible files.",
                  stacklevel=3)
    return "npz"


def model_to_bytes(model: Any, weights_format: Optional[str] = None) -> bytes:
    """The ``.keras`` archive of ``model``."""
    if not model.built:
        warnings.warn("You are saving a model that has not yet been built. It might not "
                      "contain any weights yet. Consider building the model first by "
                      "calling it on some data.", stacklevel=3)
    fmt = weights_format or _weights_format()
    config = serialize_layer(model)
    config_json = json.dumps(config)
    metadata_json = json.dumps({
        "keras_version": keras_version(),
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    writer = stores.WeightsWriter(fmt)
    save_state(model, writer)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(METADATA_FILENAME, metadata_json)
        zf.writestr(CONFIG_FILENAME, config_json)
        zf.writestr(VARS_H5 if fmt == "h5" else VARS_NPZ, writer.to_bytes())
    return buf.getvalue()


def write_file_atomically(filepath: str, data: bytes) -> None:
    """Writes ``data`` to ``filepath`` through a temporary file in the same folder, so
    a failed save never leaves a half-written file behind."""
    folder = os.path.dirname(os.path.abspath(filepath))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".keras-part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, filepath)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class _TooLarge(ValueError):
    """A member that declares or decompresses to more than its cap."""


class Archive:
    """A ``.keras`` zip read fully into memory, with every member name checked."""

    def __init__(self, data: bytes, what: str) -> None:
        self.what = what
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
                NotImplementedError) as e:
            raise ValueError(f"{what} is not a valid .keras file: it is not a readable zip "
                             f"archive (damaged or truncated?): {e}") from None
        seen = set()
        for info in infos:
            name = info.filename
            if _unsafe_member(name):
                raise ValueError(f"{what} is not a valid .keras file: it contains the "
                                 f"unsafe member name {name!r} (absolute path or '..'). "
                                 "Refusing to load it.")
            if name in seen:
                raise ValueError(f"{what} is not a valid .keras file: duplicate member "
                                 f"{name!r}.")
            seen.add(name)
        self.names = seen

    def read(self, name: str, cap: int, why: str) -> bytes:
        """Member ``name``, refused if it declares or decompresses to more than
        ``cap`` bytes (``why``: what sets the cap, for the message)."""
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise ValueError(f"{self.what} is not a valid .keras file: it has no "
                             f"{name}.") from None
        if info.file_size > _ZIP_BOMB_FLOOR_BYTES and \
                info.file_size > _ZIP_MAX_EXPANSION * info.compress_size:
            raise ValueError(f"Not allowed: ZIP member '{name}' declares {info.file_size} "
                             f"bytes but stores {info.compress_size}; refusing to load a "
                             "potential decompression bomb.")
        if info.file_size > cap:
            raise _TooLarge(f"{self.what}: member '{name}' declares {info.file_size} "
                             f"bytes uncompressed ({info.compress_size} stored), more "
                             f"than the {cap} bytes {why}; refusing to read it.")
        chunks, total = [], 0
        try:
            with self.zip.open(info) as f:  # the declared size is not trusted either
                while True:
                    chunk = f.read(min(_READ_CHUNK_BYTES, cap + 1 - total))
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > cap:
                        raise _TooLarge(
                            f"{self.what}: member '{name}' decompresses to more than "
                            f"the {cap} bytes {why} (it declares {info.file_size}); "
                            "refusing to read further.")
                    chunks.append(chunk)
        except _TooLarge:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError,
                NotImplementedError) as e:
            raise ValueError(f"{self.what} is damaged: cannot read {name}: {e}") from None
        return b"".join(chunks)

    def weights_reader(self, model: Any) -> stores.WeightsReader:
        """The weights member's reader, capped by what ``model`` can hold."""
        cap, why = _weights_allowance(model)
        if VARS_H5 in self.names:
            reader: stores.WeightsReader = stores.H5Reader(
                self.read(VARS_H5, cap, "that " + why), f"{self.what}: {VARS_H5}")
        elif VARS_NPZ in self.names:
            reader = stores.NpzReader(self.read(VARS_NPZ, cap, "that " + why),
                                      f"{self.what}: {VARS_NPZ}")
        else:
                raise ValueError(f"{self.what} is not a valid .keras file: expected a "
                             f"{VARS_H5} or {VARS_NPZ} file.")
        reader.limit(cap, why)
        return reader


def _unsafe_member(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name:
        return True
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return True
    return any(part == ".." for part in name.split("/"))


_MAX_CONFIG_BYTES = 128 << 20  # a model's config is KBs to a few MBs


def read_config(archive: Archive) -> Dict[str, Any]:
    raw = archive.read(CONFIG_FILENAME, _MAX_CONFIG_BYTES, "allowed for a config")
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ValueError(f"{archive.what} is not a valid .keras file: config.json is not "
                         f"valid JSON: {e}") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"{archive.what} is not a valid .keras file: config.json does not "
                         "describe a Keras object.")
    return config


def model_from_bytes(data: bytes, what: str, custom_objects: Optional[Dict[str, Any]] = None,
                     compile: bool = True) -> Any:
    """Re-creates a model from the bytes of a ``.keras`` archive."""

    archive = Archive(data, what)
    config = read_config(archive)
    check_config_is_safe(config)
    if not compile:
        config = dict(config)
        config["compile_config"] = None
    try:
        with CustomObjectScope(custom_objects):
            model = deserialize_layer(config, custom_objects)
    except (KeyError, TypeError, IndexError, AttributeError, RecursionError) as e:
        raise ValueError(f"Could not load {what}: invalid or unsupported config.json "
                         f"({type(e).__name__}: {e})") from e
    if not isinstance(model, Model):
        raise ValueError(f"{what} does not hold a model (config.json describes a "
                         f"{type(model).__name__}).")
    reader = None
    try:
        reader = archive.weights_reader(model)
        load_state(model, reader)
    except ValueError as e:
        if model.built or not ("never built" in str(e) or isinstance(e, _TooLarge)):
            raise
        raise ValueError(
            f"{e}\nThe model '{model.name}' ({type(model).__name__}) is not built after "
            "loading: it was saved without a build_config (the input shape it was built "
            "with is unknown). Give the class `get_build_config()` (e.g. returning "
            "{'input_shape': [None, 3]}) or `build_from_config(config)`, or re-create "
            "and build the model in code and use `load_weights()`.") from None
    finally:
        if reader is not None:
            reader.close()
    return model


def load_weights_from_bytes(model: Any, data: bytes, what: str, is_keras_archive: bool
                            ) -> None:
    if is_keras_archive:
        reader = Archive(data, what).weights_reader(model)
    else:
        reader = stores.H5Reader(data, what)
        reader.limit(*_weights_allowance(model))
    try:
        load_state(model, reader)
    finally:
        reader.close()


def weights_to_bytes(model: Any) -> bytes:
    writer = stores.WeightsWriter("h5")
    save_state(model, writer)
    return writer.to_bytes()
