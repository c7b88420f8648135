"""``tf.train.Checkpoint``, ``CheckpointManager`` and ``latest_checkpoint``.

A checkpoint saves the Variables reachable from its keyword arguments through the
object graph: Variables, trackables (``tf.Module``, Keras layers, models and
optimizers, other Checkpoints) and the lists, tuples and dicts they hold as
attributes. Restoring matches that graph edge by edge (attribute name, list index, dict
key), as TF does, so a Variable reached by two paths (a model's kernel and the
optimizer's list of trainable variables) is one value, and an object that does not
exist yet (a Keras layer built on its first call, an optimizer's slot variables) gets
its value when it is assigned to its owner (deferred restoration).

File format (tapeflow's own; the names follow TF's):
  ``<prefix>.index``: UTF-8 JSON ``{"format": "tapeflow-checkpoint", "version": 1,
  "keys": [value key, ...], "nodes": [{"children": {edge name: node index},
  "key": value key}, ...]}``; node 0 is the Checkpoint; a node with a ``key`` is a
  Variable.
  ``<prefix>.data-00000-of-00001``: a numpy ``.npz`` archive of the values, member
  ``v<i>`` for the i-th key of ``"keys"`` in the index, written and read with
  ``allow_pickle=False`` (loading runs no code). Keys are TF-style object paths,
  ``model/dense_1/w/.ATTRIBUTES/VARIABLE_VALUE`` (the first path in a breadth-first
  walk with edges in sorted order; ``.`` and ``/`` in names are written ``..``, ``.S``,
  as TF).
  ``<dir>/checkpoint``: TF's text state file (``model_checkpoint_path: "ckpt-2"``,
  ``all_model_checkpoint_paths: ...``), which ``latest_checkpoint`` reads.
"""

from __future__ import annotations

import json
import os
import re
import time
import zipfile
from collections import deque
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from tapeflow.framework import errors
from tapeflow.framework import tracking
from tapeflow.framework.dtypes import int64
from tapeflow.framework.variables import Variable

_FORMAT = "tapeflow-checkpoint"
_DATA_SUFFIX = ".data-00000-of-00001"
_VALUE_SUFFIX = ".ATTRIBUTES/VARIABLE_VALUE"


# -- the object graph ------------------------------------------------------------------
def _is_trackable(x: Any) -> bool:
    return isinstance(x, (Variable, tracking.AutoTrackable))


def _holds_trackables(x: Any) -> bool:
    if _is_trackable(x):
        return True
    if isinstance(x, (list, tuple)):
        return any(_holds_trackables(v) for v in x)
    if isinstance(x, dict):
        return any(_holds_trackables(v) for v in x.values())
    return False


def _children(obj: Any) -> Dict[str, Any]:
    """The graph edges out of ``obj``: name -> child (Variables have none)."""
    if isinstance(obj, Variable):
        return {}
    if isinstance(obj, Checkpoint):
        items = list(obj._checkpoint_children().items())
    elif isinstance(obj, tracking.AutoTrackable):
        items = list(vars(obj).items())
    elif isinstance(obj, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(obj)]
    elif isinstance(obj, dict):
        items = [(str(k), v) for k, v in obj.items()]
    else:
        return {}
    return {name: v for name, v in items if _holds_trackables(v)}


def _escape(name: str) -> str:
    return name.replace(".", "..").replace("/", ".S")  # TF's escapes


def _build_graph(root: Any) -> Tuple[List[Dict[str, Any]], List[Any]]:
    """Nodes (as saved) and the object of each, breadth first, edges sorted by name."""
    index = {id(root): 0}
    objects = [root]
    nodes: List[Dict[str, Any]] = [{"children": {}}]
    paths = {0: ""}
    queue = deque([root])
    while queue:
        obj = queue.popleft()
        node = nodes[index[id(obj)]]
        for name, child in sorted(_children(obj).items()):
            if id(child) not in index:
                index[id(child)] = len(objects)
                objects.append(child)
                nodes.append({"children": {}})
                paths[index[id(child)]] = paths[index[id(obj)]] + _escape(name) + "/"
                queue.append(child)
            node["children"][name] = index[id(child)]
    for i, obj in enumerate(objects):
        if isinstance(obj, Variable):
            nodes[i]["key"] = paths[i] + _VALUE_SUFFIX
    return nodes, objects


# -- files -----------------------------------------------------------------------------
def _not_found(path: str) -> errors.NotFoundError:
    return errors.NotFoundError(
        None, None, "Unsuccessful TensorSliceReader constructor: Failed to find any "
        f"matching files for {path}")


class _Reader:
    """A saved checkpoint: its object graph and its values (read on demand)."""

    def __init__(self, path: str) -> None:
        path = os.fspath(path)
        self.path = path
        if os.path.isdir(path):
            raise errors.DataLossError(
                None, None, f"Unable to open table file {path}: FAILED_PRECONDITION: "
                f"{path}; Is a directory: perhaps your file is in a different file "
                "format and you need to use a different restore operator?")
        if not os.path.exists(path + ".index"):
            raise _not_found(path)
        try:
            with open(path + ".index", "rb") as f:
                meta = json.loads(f.read().decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
                raise ValueError("not a tapeflow checkpoint index")
            self.nodes: List[Dict[str, Any]] = meta["nodes"]
            keys = meta["keys"]
            if not isinstance(self.nodes, list) or not self.nodes \
                    or not isinstance(keys, list):
                raise ValueError("malformed object graph")
            for node in self.nodes:
                for child in node["children"].values():
                    if not isinstance(child, int) or not 0 <= child < len(self.nodes):
                        raise ValueError("malformed object graph")
            self._member = {k: f"v{i}" for i, k in enumerate(keys)}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise errors.DataLossError(
                None, None, f"Unable to open table file {path}.index: it is not a "
                f"tapeflow checkpoint ({e}): perhaps your file is in a different file "
                "format and you need to use a different restore operator?") from None
        data = path + _DATA_SUFFIX
        if not os.path.exists(data):
            raise _not_found(data)
        try:
            self._npz = np.load(data, allow_pickle=False)
        except (OSError, ValueError, zipfile.BadZipFile) as e:
            raise errors.DataLossError(
                None, None, f"Unable to read checkpoint data {data}: {e}") from None

    def keys(self) -> List[str]:
        return list(self._member)

    def value(self, key: str) -> np.ndarray:
        try:
            return self._npz[self._member[key]]
        except (KeyError, OSError, ValueError, zipfile.BadZipFile) as e:
            raise errors.DataLossError(
                None, None, f"Checkpoint {self.path} is corrupt: cannot read {key} "
                f"({e})") from None


def _write(path: str, root: Any) -> str:
    nodes, objects = _build_graph(root)
    keys = [n["key"] for n in nodes if "key" in n]
    values = {f"v{i}": objects[j].numpy() for i, j in
              enumerate(j for j, n in enumerate(nodes) if "key" in n)}
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    meta = {"format": _FORMAT, "version": 1, "keys": keys, "nodes": nodes}
    tmp = path + ".tmp"
    with open(tmp + _DATA_SUFFIX, "wb") as f:
        np.savez(f, **values)
    with open(tmp + ".index", "w", encoding="utf-8") as f:
        json.dump(meta, f)
    os.replace(tmp + _DATA_SUFFIX, path + _DATA_SUFFIX)
    os.replace(tmp + ".index", path + ".index")
    return path


# -- restoring -------------------------------------------------------------------------
class _Restore:
    """Matches a saved graph onto live objects, now and as they appear later."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader  # holds no live object: pending callbacks keep it
        self.matched: set = set()  # saved nodes given an object
        self.restored_ids: set = set()  # ids of live Variables given a value

    def match(self, node_id: int, obj: Any, owner: Any = None, name: str = "") -> None:
        if node_id in self.matched:
            return
        self.matched.add(node_id)
        node = self.reader.nodes[node_id]
        if "key" in node:
            if isinstance(obj, Variable):
                self._assign(obj, self.reader.value(node["key"]))
            return
        live = _children(obj)
        missing = [n for n in node["children"] if n not in live]
        if missing and type(obj) is list and isinstance(owner, tracking.AutoTrackable) \
                and vars(owner).get(name) is obj:
            obj = tracking.TrackedList(obj)  # hears the items appended later
            vars(owner)[name] = obj
        for child_name, child_id in node["children"].items():
            if child_name in live:
                self.match(child_id, live[child_name], obj, child_name)
            elif isinstance(obj, (tracking.AutoTrackable, tracking.TrackedList)):
                self._defer(obj, child_name, child_id)

    def _defer(self, owner: Any, name: str, node_id: int) -> None:
        tracking.defer(owner, name,
                       lambda obj, value: self._arrived(node_id, value, obj, name))

    def _arrived(self, node_id: int, value: Any, owner: Any, name: str) -> None:
        if _holds_trackables(value):
            self.match(node_id, value, owner, name)
        else:  # a placeholder (``self.slots = []``): wait for the real value
            self._defer(owner, name, node_id)

    def _assign(self, var: Variable, value: np.ndarray) -> None:
        if tuple(value.shape) != tuple(var.shape.as_list()):
            raise ValueError(
                f"Received incompatible tensor with shape {_shape_text(value.shape)} "
                f"when attempting to restore variable with shape "
                f"{_shape_text(var.shape.as_list())} and name {var.name}.")
        want = var.dtype.as_numpy_dtype
        var.assign(value if value.dtype == want else value.astype(want))
        self.restored_ids.add(id(var))


def _shape_text(shape: Any) -> str:
    shape = tuple(shape)
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(map(str, shape)) + ")"


class CheckpointLoadStatus:
    """What ``Checkpoint.restore`` returns: checks of how well the checkpoint matched
    the program (TF's semantics and AssertionError messages)."""

    def __init__(self, restore: _Restore, root: Any) -> None:
        self._restore = restore
        self._root = root

    def assert_consumed(self) -> "CheckpointLoadStatus":
        """Every value in the checkpoint went to an object, and every Variable of the
        program got a value."""
        self.assert_existing_objects_matched()  # TF checks the program's side first
        r = self._restore
        for node_id, node in enumerate(r.reader.nodes):
            if "key" in node and node_id not in r.matched:
                raise AssertionError(f"Unresolved object in checkpoint {node['key']}: "
                                     "has_checkpoint_values { value: true }")
        return self

    def assert_existing_objects_matched(self) -> "CheckpointLoadStatus":
        """Every Variable now reachable from the Checkpoint got a saved value."""
        r = self._restore
        _, objects = _build_graph(self._root)
        unmatched = [o for o in objects
                     if isinstance(o, Variable) and id(o) not in r.restored_ids]
        if unmatched:
            n = len(unmatched)
            shown = ", ".join(repr(v) for v in unmatched[:10])
            raise AssertionError(
                f"Found {n} Python objects that were not bound to checkpointed values, "
                "likely due to changes in the Python program. Showing "
                f"{min(n, 10)} of {n} unmatched objects: [{shown}]")
        return self

    def assert_nontrivial_match(self) -> "CheckpointLoadStatus":
        """Some Variable of the program got a saved value."""
        if not self._restore.restored_ids:
            raise AssertionError("No checkpointed values were restored: nothing in the "
                                 "checkpoint matched the Python objects.")
        return self

    def expect_partial(self) -> "CheckpointLoadStatus":
        """Silences warnings about unrestored values (tapeflow prints none)."""
        return self

    def run_restore_ops(self, session: Any = None) -> None:
        """Nothing to run: restoring is eager."""

    def initialize_or_restore(self, session: Any = None) -> None:
        """Nothing to run: restoring is eager."""


class InitializationOnlyStatus:
    """What ``restore(None)`` returns: nothing was restored."""

    def assert_consumed(self) -> Any:
        raise AssertionError("No checkpoint specified (save_path=None); nothing is "
                             "being restored.")

    assert_existing_objects_matched = assert_consumed
    assert_nontrivial_match = assert_consumed

    def expect_partial(self) -> "InitializationOnlyStatus":
        return self

    def run_restore_ops(self, session: Any = None) -> None:
        """Nothing to run."""

    def initialize_or_restore(self, session: Any = None) -> None:
        """Nothing to run: Variables are initialized when created."""


# -- tf.train.Checkpoint ---------------------------------------------------------------
def _check_trackable(name: str, value: Any) -> None:
    if not (_is_trackable(value) or isinstance(value, (list, tuple, dict))):
        raise ValueError(
            f"`Checkpoint` was expecting {name} to be a trackable object (an object "
            f"derived from `Trackable`), got {value}. If you believe this object "
            "should be trackable (i.e. it is part of the TensorFlow Python API and "
            "manages state), please open an issue.")


class Checkpoint(tracking.AutoTrackable):
    """Saves and restores the Variables of the objects given as keyword arguments
    (``tf.train.Checkpoint(model=model, optimizer=optimizer)``)."""

    def __init__(self, root: Any = None, **kwargs: Any) -> None:
        object.__setattr__(self, "_kids", {})
        object.__setattr__(self, "_save_counter", None)
        if root is not None:
            _check_trackable("root", root)
        object.__setattr__(self, "_root", root)
        for name, value in sorted(kwargs.items()):
            setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "save_counter":
            raise AttributeError("property 'save_counter' of 'Checkpoint' object has "
                                 "no setter")
        if not name.startswith("_"):
            _check_trackable(name, value)
            self._kids[name] = value
        super().__setattr__(name, value)

    def _checkpoint_children(self) -> Dict[str, Any]:
        out = dict(_children(self._root)) if self._root is not None else {}
        out.update(self._kids)
        if self._save_counter is not None:
            out["save_counter"] = self._save_counter
        return out

    @property
    def save_counter(self) -> Variable:
        """How many times ``save`` ran (an int64 Variable, made on first use)."""
        if self._save_counter is None:
            counter = Variable(0, dtype=int64, trainable=False, name="save_counter")
            object.__setattr__(self, "_save_counter", counter)
            tracking.child_added(self, "save_counter", counter)
        return self._save_counter

    def write(self, file_prefix: Any, options: Any = None) -> str:
        """Saves to ``file_prefix`` exactly (no counter, no state file)."""
        return _write(os.fspath(file_prefix), self)

    def save(self, file_prefix: Any, options: Any = None) -> str:
        """Saves to ``file_prefix-N`` (N = the save counter after counting this save),
        records it in the directory's ``checkpoint`` file, and returns that path."""
        counter = self.save_counter
        counter.assign_add(1)
        path = self.write(f"{os.fspath(file_prefix)}-{int(counter.numpy())}")
        _write_state(os.path.dirname(path), path, [path], [], None)
        return path

    def read(self, save_path: Any, options: Any = None) -> CheckpointLoadStatus:
        """Restores from ``save_path`` (a prefix as ``write`` or ``save`` returned)."""
        reader = _Reader(os.fspath(save_path))
        restore = _Restore(reader)
        restore.match(0, self)
        return CheckpointLoadStatus(restore, self)

    def restore(self, save_path: Any, options: Any = None) -> Any:
        """Restores from ``save_path`` (``None``: nothing, as TF); values for objects
        that do not exist yet are assigned when they are created."""
        if save_path is None:
            return InitializationOnlyStatus()
        self.save_counter  # noqa: B018 - made before matching, as TF
        try:
            return self.read(save_path, options)
        except errors.NotFoundError as e:
            raise errors.NotFoundError(
                None, None, "Error when restoring from checkpoint or SavedModel at "
                f"{os.fspath(save_path)}: {e.message}\nPlease double-check that the "
                "path is correct. You may be missing the checkpoint suffix (e.g. the "
                "'-1' in 'path/to/ckpt-1').") from None


# -- the directory's state file --------------------------------------------------------
def _write_state(directory: str, latest: str, paths: List[str], stamps: List[float],
                 preserved: Optional[float]) -> None:
    def rel(p: str) -> str:
        return os.path.relpath(p, directory) if directory else p

    lines = [f'model_checkpoint_path: "{rel(latest)}"']
    lines += [f'all_model_checkpoint_paths: "{rel(p)}"' for p in paths]
    lines += [f"all_model_checkpoint_timestamps: {s}" for s in stamps]
    if preserved is not None:
        lines.append(f"last_preserved_timestamp: {preserved}")
    state = os.path.join(directory, "checkpoint")
    with open(state + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(state + ".tmp", state)


def _read_state(directory: str) -> Dict[str, Any]:
    """The ``checkpoint`` file's fields; paths made absolute. Empty if none."""
    state = os.path.join(os.fspath(directory), "checkpoint")
    out: Dict[str, Any] = {"latest": None, "paths": [], "stamps": [], "preserved": None}
    try:
        with open(state, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return out
    for line in text.splitlines():
        m = re.match(r'\s*(\w+)\s*:\s*(.*?)\s*$', line)
        if not m:
            continue
        field, value = m.groups()
        if value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
            if not os.path.isabs(value):
                value = os.path.join(os.fspath(directory), value)
        if field == "model_checkpoint_path":
            out["latest"] = value
        elif field == "all_model_checkpoint_paths":
            out["paths"].append(value)
        elif field == "all_model_checkpoint_timestamps":
            out["stamps"].append(float(value))
        elif field == "last_preserved_timestamp":
            out["preserved"] = float(value)
    return out


def latest_checkpoint(checkpoint_dir: Any,
                      latest_filename: Optional[str] = None) -> Any:
    """The newest checkpoint recorded in ``checkpoint_dir``'s ``checkpoint`` file, or
    None (no file, or its checkpoint is gone), as ``tf.train.latest_checkpoint``."""
    latest = _read_state(checkpoint_dir)["latest"]
    if latest and os.path.exists(latest + ".index"):
        return latest
    return None


def list_variables(ckpt_dir_or_file: Any) -> List[Tuple[str, List[int]]]:
    """``(key, shape)`` of every saved value, sorted by key, as
    ``tf.train.list_variables`` (a directory means its latest checkpoint)."""
    return sorted(load_checkpoint(ckpt_dir_or_file).get_variable_to_shape_map().items())


class CheckpointReader:
    """Reads saved values by key (``tf.train.load_checkpoint``)."""

    def __init__(self, path: str) -> None:
        self._reader = _Reader(path)

    def get_variable_to_shape_map(self) -> Dict[str, List[int]]:
        out = {k: list(self._reader.value(k).shape) for k in self._reader.keys()}
        out["_CHECKPOINTABLE_OBJECT_GRAPH"] = []
        return out

    def get_variable_to_dtype_map(self) -> Dict[str, Any]:
        from tapeflow.framework.dtypes import as_dtype

        return {k: as_dtype(self._reader.value(k).dtype) for k in self._reader.keys()}

    def has_tensor(self, key: str) -> bool:
        return key in self._reader.keys()

    def get_tensor(self, key: str) -> np.ndarray:
        if key not in self._reader.keys():
            raise errors.NotFoundError(None, None, f"Key {key} not found in checkpoint")
        return self._reader.value(key)


def load_checkpoint(ckpt_dir_or_file: Any) -> CheckpointReader:
    """A reader of a checkpoint prefix, or of a directory's latest checkpoint."""
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given "
                             f"directory {path}")
        path = latest
    return CheckpointReader(path)


# -- tf.train.CheckpointManager --------------------------------------------------------
class CheckpointManager:
    """Numbered saves of one Checkpoint in a directory, keeping the newest
    ``max_to_keep`` (``tf.train.CheckpointManager``)."""

    def __init__(self, checkpoint: Checkpoint, directory: Any,
                 max_to_keep: Optional[int], keep_checkpoint_every_n_hours: Any = None,
                 checkpoint_name: str = "ckpt",
                 step_counter: Any = None, checkpoint_interval: Any = None,
                 init_fn: Any = None) -> None:
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError("Expected a positive integer or `None` for `max_to_keep`, "
                             f"got {max_to_keep}.")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._prefix = os.path.join(self._directory, checkpoint_name)
        state = _read_state(self._directory)
        inside = os.path.realpath(self._directory) + os.sep
        # Only files in the directory: a tampered state file must not make save()
        # delete anything elsewhere.
        kept = [(p, s) for p, s in zip(state["paths"], state["stamps"] or
                                       [time.time()] * len(state["paths"]))
                if os.path.realpath(p).startswith(inside)
                and os.path.exists(p + ".index")]
        self._kept: List[Tuple[str, float]] = kept
        self._preserved = state["preserved"] if state["preserved"] is not None \
            else time.time()
        self._latest = state["latest"] if state["latest"] and os.path.exists(
            state["latest"] + ".index") else None

    @property
    def directory(self) -> str:
        return self._directory

    @property
    def checkpoints(self) -> List[str]:
        """The kept checkpoints, oldest first."""
        return [p for p, _ in self._kept]

    @property
    def latest_checkpoint(self) -> Optional[str]:
        return self._latest

    def save(self, checkpoint_number: Any = None, check_interval: bool = True,
             options: Any = None) -> str:
        """Saves as ``<dir>/<name>-<N>`` (N: ``checkpoint_number``, else the save
        counter), deletes the oldest beyond ``max_to_keep`` and returns the path."""
        counter = self._checkpoint.save_counter
        counter.assign_add(1)
        number = int(counter.numpy()) if checkpoint_number is None else int(
            checkpoint_number)
        path = self._checkpoint.write(f"{self._prefix}-{number}")
        self._kept = [(p, s) for p, s in self._kept if p != path]
        self._kept.append((path, time.time()))
        while self._max_to_keep is not None and len(self._kept) > self._max_to_keep:
            old, _ = self._kept.pop(0)
            for suffix in (".index", _DATA_SUFFIX):
                try:
                    os.remove(old + suffix)
                except FileNotFoundError:
                    pass
        self._latest = path
        _write_state(self._directory, path, self.checkpoints,
                     [s for _, s in self._kept], self._preserved)
        return path

    def restore_or_initialize(self) -> Optional[str]:
        """Restores the latest checkpoint if there is one; returns its path."""
        if self._latest is not None:
            self._checkpoint.restore(self._latest)
            return self._latest
        return None
