"""Reading Keras's dataset files without ever running code named in them.

Keras's ``imdb.npz`` and ``reuters.npz`` store ragged sequences as ``dtype=object``
arrays, which numpy can only write as a pickle, and the CIFAR batches are plain Python
pickles (protocol 2, written by Python 2, read with ``encoding="bytes"``). Keras reads
them with an unpickler that allows numpy's array reconstruction globals
(``keras/src/datasets/npz_utils.py``). tapeflow goes one step further:

* :class:`RestrictedUnpickler` admits exactly four globals -- ``numpy.ndarray``,
  ``numpy.dtype`` and ``_reconstruct`` from ``numpy.core.multiarray`` or
  ``numpy._core.multiarray`` (numpy < 2 and >= 2 spellings) -- and refuses any other
  (``os.system``, ``builtins.eval``, ...) with :class:`UnsafePickleError` at the moment
  the pickle names it, before anything is called.
* Even those four are not handed to the pickle: it receives inert stand-ins that only
  record their arguments and state. Real arrays are built afterwards by this module from
  checked pieces (a dtype from a plain type code such as ``'u1'``/``'i8'``/``'O8'``, a
  shape of non-negative ints, a byte string whose length matches, or a list with one
  item per element of an object array), so no numpy constructor or ``__setstate__``
  ever sees attacker-chosen input.
* Apart from arrays, the only values accepted are ``dict`` (``str``/``bytes`` keys),
  ``list``, ``int``, ``bytes`` and ``str``: what the real files contain.

Every other problem (truncated file, bad zip, bad header, wrong layout) becomes a
``ValueError`` whose message names the file.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import re
import zipfile
from typing import Any, BinaryIO, Dict, Iterable, Optional

import numpy as np
from numpy.lib import format as npy_format

__all__ = ["UnsafePickleError", "RestrictedUnpickler", "load_pickle", "load_npz"]

# A zip member bigger than this is refused before it is decompressed (the real files
# are well under 1 GiB uncompressed).
_MAX_MEMBER_BYTES = 8 << 30
# Nesting deeper than this (dicts/lists/arrays inside each other) is refused.
_MAX_DEPTH = 32


class UnsafePickleError(pickle.UnpicklingError, ValueError):
    """A pickle names a global outside the allow-list; nothing from it was run.

    A subclass of both ``pickle.UnpicklingError`` (what Keras raises here) and
    ``ValueError`` (what tapeflow raises for every other bad dataset file).
    """


class _NdarrayMarker:
    """Stands in for ``numpy.ndarray``; it can only be passed to ``_reconstruct``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<numpy.ndarray stand-in>"


_NDARRAY = _NdarrayMarker()


class _DtypeProxy:
    """Records ``numpy.dtype(*args)`` and the ``BUILD`` state the pickle gives it."""

    __slots__ = ("args", "state", "built")

    def __init__(self, args: tuple) -> None:
        self.args, self.state, self.built = args, None, None

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _ArrayProxy:
    """Records ``_reconstruct(ndarray, shape, typecode)`` and the array's state."""

    __slots__ = ("state",)

    def __init__(self) -> None:
        self.state = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


def _reconstruct(subtype: Any, shape: Any, typecode: Any) -> _ArrayProxy:
    if subtype is not _NDARRAY:
        raise UnsafePickleError("_reconstruct is only allowed to rebuild numpy.ndarray")
    return _ArrayProxy()


def _dtype(*args: Any) -> _DtypeProxy:
    return _DtypeProxy(args)


_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
}


class RestrictedUnpickler(pickle.Unpickler):
    """A ``pickle.Unpickler`` whose ``find_class`` admits numpy array reconstruction only.

    Its ``load()`` returns stand-ins for arrays; use :func:`load_pickle`, which also
    builds and checks the real arrays.

    Args:
        file: A binary file object.
        source: Names the file in error messages.
        encoding: As ``pickle.Unpickler`` (``"bytes"`` for the CIFAR batches, as Keras).
    """

    def __init__(self, file: BinaryIO, source: str = "<pickle>",
                 encoding: str = "ASCII") -> None:
        super().__init__(file, encoding=encoding)
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED_GLOBALS.get((module, name))
        if found is None:
            raise UnsafePickleError(
                f"Refusing to load {self._source}: its pickle names `{module}.{name}`, "
                "which is not one of the numpy array-reconstruction globals a Keras "
                "dataset file may use (nothing from the file was run). The file may be "
                "corrupted or malicious; delete it and get a fresh copy.")
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"Refusing to load {self._source}: its pickle uses a "
                                "persistent id, which Keras dataset files never do.")


# --------------------------------------------------------------------------- building

_DTYPE_CODE = re.compile(r"^([biufcO])(\d{1,2})$")
_SCALARS = (int, bytes, str)
_SCALAR_SET = frozenset(_SCALARS)


def _text(value: Any) -> Optional[str]:
    if isinstance(value, bytes):
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def _build_dtype(proxy: Any, source: str) -> np.dtype:
    if type(proxy) is not _DtypeProxy:
        raise ValueError(f"{source}: an array's dtype is not a numpy dtype.")
    if proxy.built is not None:
        return proxy.built
    code = _text(proxy.args[0]) if proxy.args else None
    match = _DTYPE_CODE.match(code or "")
    if match is None:
        raise ValueError(f"{source}: unsupported dtype {proxy.args[:1]!r} (only plain "
                         "bool/integer/float/complex/object dtypes are read).")
    endian = "="
    state = proxy.state
    if state is not None:
        if not isinstance(state, tuple) or len(state) < 2:
            raise ValueError(f"{source}: malformed dtype state.")
        endian = _text(state[1]) or ""
        if endian not in ("<", ">", "|", "="):
            raise ValueError(f"{source}: malformed dtype byte order {state[1]!r}.")
        if any(part is not None for part in state[2:5]):
            raise ValueError(f"{source}: structured or sub-array dtypes are not read.")
    kind, size = match.group(1), int(match.group(2))
    if kind == "O":
        built = np.dtype(object)
    else:
        built = np.dtype(f"{kind}{size}")
        if built.itemsize != size:
            raise ValueError(f"{source}: unsupported dtype {code!r}.")
        if endian in "<>" and size > 1:
            built = built.newbyteorder(endian)
    proxy.built = built
    return built


def _build_array(proxy: _ArrayProxy, memo: Dict[int, Any], depth: int,
                 source: str) -> np.ndarray:
    state = proxy.state
    if not isinstance(state, tuple) or len(state) not in (4, 5):
        raise ValueError(f"{source}: malformed numpy array in the pickle.")
    shape, dtype, fortran, raw = state[-4:]
    if (not isinstance(shape, tuple) or len(shape) > 32
            or not all(type(d) is int and d >= 0 for d in shape)):
        raise ValueError(f"{source}: malformed array shape {shape!r}.")
    if type(fortran) not in (bool, int) or fortran not in (0, 1):
        raise ValueError(f"{source}: malformed array order flag.")
    dt = _build_dtype(dtype, source)
    order = "F" if fortran else "C"
    count = math.prod(shape)
    if dt.hasobject:
        if type(raw) is not list or len(raw) != count:
            raise ValueError(f"{source}: an object array of {count} elements does not hold "
                             f"{count} items.")
        flat = np.empty(count, dtype=object)
        result = flat.reshape(shape, order=order)
        memo[id(proxy)] = result
        for i, item in enumerate(raw):
            flat[i] = item if type(item) in _SCALARS else _build(item, memo, depth + 1,
                                                                  source)
        return result
    if isinstance(raw, str):  # a Python 2 byte string read with encoding="latin1"
        raw = raw.encode("latin1")
    if type(raw) not in (bytes, bytearray):
        raise ValueError(f"{source}: an array's data is not a byte string.")
    if len(raw) != count * dt.itemsize:
        raise ValueError(f"{source}: an array of shape {shape} and dtype {dt} needs "
                         f"{count * dt.itemsize} bytes but the pickle holds {len(raw)}.")
    result = np.frombuffer(raw, dtype=dt).copy().reshape(shape, order=order)
    memo[id(proxy)] = result
    return result


def _build(obj: Any, memo: Dict[int, Any], depth: int, source: str) -> Any:
    """Replaces the stand-ins by real arrays and refuses any unexpected value type."""
    kind = type(obj)
    if kind in _SCALARS:
        return obj
    if depth > _MAX_DEPTH:
        raise ValueError(f"{source}: values are nested too deeply.")
    if id(obj) in memo:
        return memo[id(obj)]
    if kind is _ArrayProxy:
        return _build_array(obj, memo, depth, source)
    if kind is list:
        memo[id(obj)] = obj
        if set(map(type, obj)) <= _SCALAR_SET:  # the common case, checked at C speed
            return obj
        for i, item in enumerate(obj):
            if type(item) not in _SCALARS:
                obj[i] = _build(item, memo, depth + 1, source)
        return obj
    if kind is dict:
        memo[id(obj)] = obj
        for key, value in list(obj.items()):
            if type(key) not in (str, bytes):
                raise ValueError(f"{source}: a dict key is a {type(key).__name__}, not "
                                 "str/bytes.")
            if type(value) not in _SCALARS:
                obj[key] = _build(value, memo, depth + 1, source)
        return obj
    raise ValueError(f"{source}: unexpected value of type {kind.__name__} in the pickle "
                     "(a Keras dataset file holds only dicts, lists, ints, strings, bytes "
                     "and numpy arrays).")


def load_pickle(file: BinaryIO, source: str, encoding: str = "ASCII") -> Any:
    """Unpickles with :class:`RestrictedUnpickler` and builds the real arrays.

    Args:
        file: Binary file object positioned at the pickle.
        source: Names the file in error messages.
        encoding: As ``pickle.Unpickler``.

    Returns:
        The object: dicts, lists, ints, bytes, str and numpy arrays only.

    Raises:
        UnsafePickleError: The pickle names a global that is not allowed.
        ValueError: Anything else wrong with the data.
    """
    try:
        obj = RestrictedUnpickler(file, source=source, encoding=encoding).load()
    except UnsafePickleError:
        raise
    except Exception as e:  # only the unpickler's own code ran: truncation, bad opcodes
        raise ValueError(f"{source} is not a readable pickle (truncated or corrupted?): "
                         f"{type(e).__name__}: {e}") from e
    try:
        return _build(obj, {}, 0, source)
    except (ValueError, TypeError, OverflowError, MemoryError) as e:
        if isinstance(e, ValueError) and str(e).startswith(source):
            raise
        raise ValueError(f"{source}: {type(e).__name__}: {e}") from e


# --------------------------------------------------------------------------- npz

def _read_npy(data: bytes, source: str, allow_object: bool) -> np.ndarray:
    fp = io.BytesIO(data)
    try:
        version = npy_format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(fp)
        elif version in ((2, 0), (3, 0)):
            # 3.0 differs from 2.0 only in the header text's encoding (utf-8 vs latin-1).
            shape, fortran, dtype = npy_format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except Exception as e:
        raise ValueError(f"{source} is not a valid .npy array: {e}") from e
    if dtype.hasobject:
        if not allow_object:
            raise ValueError(f"{source} holds an object (pickled) array, which this "
                             "dataset never has; the file is corrupted or not the Keras "
                             "file.")
        if dtype != np.dtype(object):
            raise ValueError(f"{source}: unsupported dtype {dtype} (structured with "
                             "objects).")
        array = load_pickle(fp, source)
        if not isinstance(array, np.ndarray) or array.dtype != object:
            raise ValueError(f"{source}: the pickle does not hold an object array.")
        if array.shape != tuple(shape):
            raise ValueError(f"{source}: the header says shape {tuple(shape)} but the "
                             f"pickle holds {array.shape}.")
        return array
    needed = math.prod(shape) * dtype.itemsize
    if len(data) - fp.tell() < needed:
        raise ValueError(f"{source} is truncated: an array of shape {tuple(shape)} and "
                         f"dtype {dtype} needs {needed} bytes, the file has "
                         f"{len(data) - fp.tell()}.")
    fp.seek(0)
    try:
        return npy_format.read_array(fp, allow_pickle=False)
    except Exception as e:
        raise ValueError(f"{source} is not a valid .npy array: {e}") from e


def load_npz(path: str, keys: Optional[Iterable[str]] = None,
             allow_object: bool = False) -> Dict[str, np.ndarray]:
    """Reads arrays from a ``.npz`` file without ``allow_pickle=True``.

    Numeric arrays are read as ``np.load`` reads them; object arrays (only with
    ``allow_object=True``) go through :func:`load_pickle`.

    Args:
        path: The ``.npz`` file.
        keys: The arrays to read (names without ``.npy``); all when ``None``.
        allow_object: Whether object arrays may be read.

    Returns:
        ``{name: array}``.

    Raises:
        UnsafePickleError: An object array's pickle names a global that is not allowed.
        ValueError: Not a zip file, a missing or malformed array, truncation.
    """
    path = os.fspath(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise ValueError(f"{path} is not a valid .npz file (it must be the zip archive of "
                         f".npy arrays that Keras downloads; truncated?): {e}") from e
    with archive:
        members = {name[: -len(".npy")]: name for name in archive.namelist()
                   if name.endswith(".npy")}
        wanted = list(members) if keys is None else list(keys)
        missing = [k for k in wanted if k not in members]
        if missing:
            raise ValueError(f"{path} has no array named {', '.join(map(repr, missing))} "
                             f"(it holds: {', '.join(sorted(members)) or 'nothing'}); it "
                             "is not the file Keras uses.")
        result = {}
        for key in wanted:
            member = members[key]
            source = f"{path} (array '{key}')"
            info = archive.getinfo(member)
            if info.file_size > _MAX_MEMBER_BYTES:
                raise ValueError(f"{source} claims {info.file_size} bytes; refusing.")
            try:
                data = archive.read(member)
            except Exception as e:  # bad CRC, truncated stream, bad compression
                raise ValueError(f"{source} cannot be read from the zip archive "
                                 f"(truncated or corrupted?): {e}") from e
            result[key] = _read_npy(data, source, allow_object)
    return result
