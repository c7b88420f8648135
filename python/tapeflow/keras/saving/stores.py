"""Weight stores: the tree of ``<path>/vars/<i>`` arrays inside a ``.keras`` file or a
``.weights.h5`` file, in HDF5 (Keras's format, needs h5py) or, without h5py, in an
``.npz`` with the same keys (``"layers/dense/vars/0"``; readable by tapeflow only).

Everything is read from bytes in memory; nothing is extracted to disk. Reading refuses
what a hostile file could use: HDF5 soft/external links, external or virtual datasets,
non-numeric dtypes, object arrays (``allow_pickle=False``), and arrays whose declared
size is far larger than the bytes stored (decompression/shape bombs).
"""

from __future__ import annotations

import io
import math
import zipfile
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
        return self._reader.read(self._path, key)


class WeightsReader:
    """Base: ``get(path)`` returns the entry of one saveable."""

    def get(self, path: str) -> _ReadEntry:
        raise NotImplementedError

    def read(self, path: str, key: str) -> np.ndarray:
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

    def read(self, path: str, key: str) -> np.ndarray:
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
            _check_array_dtype(ds.dtype, where)
            declared = math.prod(ds.shape or ()) * ds.dtype.itemsize
            stored = ds.id.get_storage_size()
            if declared > _BOMB_FLOOR_BYTES and declared > _H5_MAX_EXPANSION * stored:
                raise ValueError(f"Not allowed: H5 dataset '{where}' declares {declared} "
                                 f"bytes but stores {stored}: refusing a potential "
                                 "decompression/shape bomb.")
            return np.asarray(ds[()])
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

    def get(self, path: str) -> _ReadEntry:
        prefix = _vars_path(path) + "/"
        keys = [k[len(prefix):] for k in self.keys
                if k.startswith(prefix) and "/" not in k[len(prefix):]]
        return _ReadEntry(self, path, keys)

    def read(self, path: str, key: str) -> np.ndarray:
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
            with self.zip.open(info) as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        except (zipfile.BadZipFile, OSError, EOFError, KeyError) as e:
            raise ValueError(f"{self.what}: cannot read '{where}' (damaged file?): "
                             f"{e}") from None
        except ValueError as e:
            if str(e).startswith("Not allowed"):
                raise
            raise ValueError(f"{self.what}: cannot read '{where}': {e}") from None
