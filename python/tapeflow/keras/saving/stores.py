"""Weight stores: the tree of ``<path>/vars/<i>`` arrays inside a ``.keras`` file or a
``.weights.h5`` file, in HDF5 (Keras's format, needs h5py) or, without h5py, in an
``.npz`` with the same keys (``"layers/dense/vars/0"``; readable by tapeflow only).

Everything is read from bytes in memory; nothing is extracted to disk. Reading refuses
what a hostile file could use: HDF5 soft/external links, external or virtual datasets,
non-numeric dtypes, object arrays (``allow_pickle=False``), and arrays whose declared
size is far larger than the bytes stored (decompression/shape bombs). Each array's
declared shape and dtype are checked before its data is read: against the variable it
is for, when the reader knows it, and against the reader's byte budget (what the
model's variables can hold), so a tiny file declaring a huge array is refused unread.
"""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from typing import Any, Dict, Iterator, List, Optional

import numpy as np

H5PY_MISSING = ("h5py is not installed: it is needed for Keras's HDF5 weights files "
                "(model.weights.h5 / .weights.h5). Install it with `pip install h5py`.")

# Same guards as Keras 3.15 (saving_lib.py).
_BOMB_FLOOR_BYTES = 1 << 32
_H5_MAX_EXPANSION = 1000
_NPZ_MAX_EXPANSION = 100


def import_h5py(required: bool = True) -> Any:
    """h5py, imported lazily (it is an optional extra)."""
    try:
        import h5py  # noqa: PLC0415
    except ImportError:
        if required:
            raise ImportError(H5PY_MISSING) from None
        return None
    return h5py


def _vars_path(path: str) -> str:
    return f"{path}/vars" if path else "vars"


# ---------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------
class _Entry:
    """The ``store`` handed to ``save_own_variables``: a dict of arrays by key."""

    def __init__(self) -> None:
        self.values: Dict[str, np.ndarray] = {}

    def __setitem__(self, key: str, value: Any) -> None:
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
        _check_array_dtype(array.dtype, str(key))  # numeric only: nothing to pickle
        self.values[str(key)] = array

    def __getitem__(self, key: str) -> np.ndarray:
        return self.values[key]

    def keys(self) -> List[str]:
        return list(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __contains__(self, key: object) -> bool:
        return key in self.values


class WeightsWriter:
    """Collects ``(path, name, arrays)`` entries, then encodes them as HDF5 (Keras's
    layout: group ``<path>/vars`` with attribute ``name``, datasets "0", "1", ...)
    or as an npz with keys ``<path>/vars/<i>``."""

    def __init__(self, fmt: str) -> None:
        if fmt not in ("h5", "npz"):
            raise ValueError(f"Unknown weights format {fmt!r}")
        self.fmt = fmt
        self.entries: List[tuple] = []

    def make(self, path: str, name: Optional[str]) -> _Entry:
        entry = _Entry()
        self.entries.append((path, name, entry))
        return entry

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        if self.fmt == "npz":
            flat = {}
            for path, _, entry in self.entries:
                for key, value in entry.values.items():
                    flat[f"{_vars_path(path)}/{key}"] = value
            np.savez(buf, **flat)
            return buf.getvalue()
        h5py = import_h5py()
        with h5py.File(buf, "w") as f:
            for path, name, entry in self.entries:
                group = f.require_group(_vars_path(path))
                if name is not None:
                    group.attrs["name"] = name
                for key, value in entry.values.items():
                    group[key] = value
        return buf.getvalue()


# ---------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------
class _ReadEntry:
    """The ``store`` handed to ``load_own_variables``: arrays by key, read on demand."""

    def __init__(self, reader: "WeightsReader", path: str, keys: List[str]) -> None:
        self._reader, self._path, self._keys = reader, path, keys
        self.expected: Dict[str, Any] = {}  # key -> the variable its array is for

    def keys(self) -> List[str]:
        return list(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._keys:
            raise KeyError(key)
        return self._reader.read(self._path, key, self.expected.get(key))


def variable_shape(variable: Any) -> tuple:
    shape = variable.shape
    return tuple(shape.as_list()) if hasattr(shape, "as_list") else tuple(shape)


def shape_mismatch(where: str, shape: Any, variable: Any) -> ValueError:
    return ValueError(f"Weight '{where}' has shape {tuple(shape)}, but the model's "
                      f"variable '{variable.name}' has shape "
                      f"{variable_shape(variable)}.")


class WeightsReader:
    """Base: ``get(path)`` returns the entry of one saveable; ``read`` one array.

    ``budget`` (bytes, None for no limit) is what all arrays read may declare together;
    ``limit`` sets it from what the model's variables hold."""

    what = "the weights file"
    budget: Optional[int] = None
    budget_why = ""

    def limit(self, budget: int, why: str) -> None:
        self.budget, self.budget_why = int(budget), why

    def _admit(self, shape: Any, dtype: np.dtype, where: str, expect: Any) -> None:
        """Checks an array's header before its data is read."""
        _check_array_dtype(dtype, where)
        if expect is not None and tuple(shape) != variable_shape(expect):
            raise shape_mismatch(where, shape, expect)
        declared = math.prod(shape) * dtype.itemsize
        if self.budget is not None:
            if declared > self.budget:
                raise ValueError(
                    f"{self.what}: weight '{where}' declares {declared} bytes (shape "
                    f"{tuple(shape)}, {dtype}), more than the {self.budget} bytes left "
                    f"of what {self.budget_why}; refusing to read it.")
            self.budget -= declared

    def get(self, path: str) -> _ReadEntry:
        raise NotImplementedError

    def read(self, path: str, key: str, expect: Any = None) -> np.ndarray:
        """The array ``<path>/vars/<key>``; ``expect``: the variable it must fit."""
        raise NotImplementedError

    def close(self) -> None:
        pass


def _check_array_dtype(dtype: np.dtype, where: str) -> None:
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise ValueError(f"Not allowed: weight '{where}' has dtype {dtype}; only numeric "
                         "arrays are saved and read.")


class H5Reader(WeightsReader):
    def __init__(self, data: bytes, what: str) -> None:
        h5py = self._h5py = import_h5py()
        self.what = what
        try:
            self.file = h5py.File(io.BytesIO(data), "r")
        except OSError as e:
            raise ValueError(f"{what} is not a valid HDF5 file (damaged or truncated): "
                             f"{e}") from None

    def _group(self, path: str) -> Any:
        h5py = self._h5py
        current = self.file
        for part in path.split("/"):
            if not part:
                raise ValueError(f"Invalid path in H5 file: {path!r}")
            if part not in current:
                return None
            link = current.get(part, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise ValueError(f"Not allowed: H5 file with {type(link).__name__} at "
                                 f"'{path}'")
            current = current[part]
            if not isinstance(current, h5py.Group):
                raise ValueError(f"Invalid H5 file: '{path}' is not a group")
        return current

    def get(self, path: str) -> _ReadEntry:
        try:
            group = self._group(_vars_path(path))
        except (KeyError, OSError, RuntimeError) as e:
            raise ValueError(f"{self.what}: cannot read group '{path}': {e}") from None
        keys = list(group.keys()) if group is not None else []
        return _ReadEntry(self, path, keys)

    def read(self, path: str, key: str, expect: Any = None) -> np.ndarray:
        ds = self._dataset(path, key)
        where = f"{_vars_path(path)}/{key}"
        self._admit(ds.shape, ds.dtype, where, expect)
        try:
            return np.asarray(ds[()])
        except (KeyError, OSError, RuntimeError, TypeError) as e:
            raise ValueError(f"{self.what}: cannot read '{where}' (damaged file?): "
                             f"{e}") from None

    def _dataset(self, path: str, key: str) -> Any:
        h5py = self._h5py
        where = f"{_vars_path(path)}/{key}"
        try:
            group = self._group(_vars_path(path))
            link = group.get(key, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise ValueError(f"Not allowed: H5 file with {type(link).__name__} at "
                                 f"'{where}'")
            ds = group[key]
            if not isinstance(ds, h5py.Dataset):
                raise ValueError(f"Invalid H5 file: '{where}' is not a dataset")
            if ds.external:
                raise ValueError(f"Not allowed: H5 file with external dataset '{where}'")
            if ds.is_virtual:
                raise ValueError(f"Not allowed: H5 file with virtual dataset '{where}'")
            if ds.shape is None:
                raise ValueError(f"Invalid H5 file: dataset '{where}' holds no data")
            _check_array_dtype(ds.dtype, where)
            declared = math.prod(ds.shape or ()) * ds.dtype.itemsize
            stored = ds.id.get_storage_size()
            if declared > _BOMB_FLOOR_BYTES and declared > _H5_MAX_EXPANSION * stored:
                raise ValueError(f"Not allowed: H5 dataset '{where}' declares {declared} "
                                 f"bytes but stores {stored}: refusing a potential "
                                 "decompression/shape bomb.")
            return ds
        except (KeyError, OSError, RuntimeError, TypeError) as e:
            raise ValueError(f"{self.what}: cannot read '{where}' (damaged file?): "
                             f"{e}") from None

    def close(self) -> None:
        try:
            self.file.close()
        except Exception:  # noqa: BLE001 - closing a damaged file must not mask errors
            pass


class NpzReader(WeightsReader):
    def __init__(self, data: bytes, what: str) -> None:
        self.what = what
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            names = self.zip.namelist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise ValueError(f"{what} is not a valid .npz file (damaged or truncated): "
                             f"{e}") from None
        self.keys = {n[:-4]: n for n in names if n.endswith(".npy")}
        self.by_group: Dict[str, List[str]] = {}  # "<path>/vars" -> its keys, in order
        for k in self.keys:
            group, _, key = k.rpartition("/")
            self.by_group.setdefault(group, []).append(key)

    def get(self, path: str) -> _ReadEntry:
        return _ReadEntry(self, path, list(self.by_group.get(_vars_path(path), [])))

    def read(self, path: str, key: str, expect: Any = None) -> np.ndarray:
        from numpy.lib import format as npy_format

        where = f"{_vars_path(path)}/{key}"
        member = self.keys[where]
        try:
            info = self.zip.getinfo(member)
            with self.zip.open(info) as f:
                version = npy_format.read_magic(f)
                header = (npy_format.read_array_header_1_0 if version == (1, 0) else
                          npy_format.read_array_header_2_0)
                shape, _, dtype = header(f)
                _check_array_dtype(dtype, where)
                declared = math.prod(shape) * dtype.itemsize
                stored = max(info.compress_size, 1)
                if declared > _BOMB_FLOOR_BYTES and declared > _NPZ_MAX_EXPANSION * stored:
                    raise ValueError(f"Not allowed: npz weight '{where}' declares "
                                     f"{declared} bytes but stores {stored}: refusing a "
                                     "potential decompression bomb.")
        except (zipfile.BadZipFile, OSError, EOFError, KeyError) as e:
            raise ValueError(f"{self.what}: cannot read '{where}' (damaged file?): "
                             f"{e}") from None
        except ValueError as e:
            if str(e).startswith("Not allowed"):
                raise
            raise ValueError(f"{self.what}: cannot read '{where}': {e}") from None
        self._admit(shape, dtype, where, expect)
        try:
            with self.zip.open(info) as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        except (zipfile.BadZipFile, OSError, EOFError, KeyError, zlib.error) as e:
            raise ValueError(f"{self.what}: cannot read '{where}' (damaged file?): "
                             f"{e}") from None
        except ValueError as e:
            raise ValueError(f"{self.what}: cannot read '{where}': {e}") from None
