"""``keras.utils.get_file`` and the cache-directory rules ``keras.datasets`` reads from.

Mirrors ``keras/src/utils/file_utils.py`` of Keras 3.15: the same arguments, the same
cache layout (``$KERAS_HOME/<cache_subdir>/<fname>``, else ``~/.keras/...``, else
``/tmp/.keras/...`` when that is not writable), the same names for archives and their
extraction folders, the same md5/sha256 checks and the same safe archive extraction.

Where tapeflow differs (all of it so that a machine without network can use files that
were put in the cache by hand, and so that a failed download never costs a good file):

* ``KERAS_HOME`` is read on every call, not once at import time.
* A file already in the cache directory is used even when that directory is read-only
  (Keras then switches to ``/tmp/.keras`` and no longer sees it); a cache directory that
  does not exist yet is created rather than swapped for ``/tmp/.keras``.
* A download goes to a temporary file that replaces the target only once it is
  complete and its hash matches; Keras writes the target in place, deletes a cached
  file whose hash mismatched when the new download fails, and leaves a download with
  the wrong hash in the cache.
* When the download fails, :class:`DownloadError` (an ``OSError``; Keras raises a bare
  ``Exception``) says which file is missing, the URL it comes from and the exact path
  to put it at for offline use. Its message starts as Keras's does:
  ``URL fetch failure on <origin>: <code> -- <reason>``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from typing import Any, Callable, Iterable, Iterator, List, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["DownloadError", "get_file", "hash_file", "validate_file", "extract_archive",
           "keras_home"]


class DownloadError(OSError):
    """A file is not in the Keras cache and could not be downloaded.

    Keras raises a bare ``Exception("URL fetch failure on ...")`` here; this subclass
    of ``OSError`` (so also of ``Exception``) keeps that message and adds where to put
    the file by hand.
    """


def _urlretrieve(url: str, filename: str,
                 reporthook: Optional[Callable[[int, int, int], None]] = None) -> Any:
    """The one place that touches the network (tests replace it)."""
    return urllib.request.urlretrieve(url, filename, reporthook)


def keras_home() -> str:
    """The Keras base directory: ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras``
    when the home directory is not writable), as ``keras.src.backend.config``.

    Unlike Keras, ``KERAS_HOME`` is looked up on every call rather than at import.
    """
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")


def _fallback_base() -> str:
    return os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")


def _writable_base(base: str) -> bool:
    if not os.path.isdir(base):
        try:
            os.makedirs(base, exist_ok=True)
        except OSError:
            return False
    return os.access(base, os.W_OK)


def cache_datadirs(cache_dir: Optional[PathLike] = None,
                   cache_subdir: str = "datasets") -> List[str]:
    """The folders where a cached file may already be, in the order they are searched.

    First ``<cache_dir or keras_home()>/<cache_subdir>``; then, when that base is not
    writable, Keras's fallback ``/tmp/.keras/<cache_subdir>`` (where Keras would have
    put the file). Nothing is created.
    """
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    dirs = [os.path.join(base, cache_subdir)]
    if not (os.path.isdir(base) and os.access(base, os.W_OK)):
        dirs.append(os.path.join(_fallback_base(), cache_subdir))
    return dirs


def _print_msg(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def resolve_hasher(algorithm: str, file_hash: Optional[str] = None) -> Any:
    """``hashlib`` object for ``"sha256"``, ``"md5"`` or ``"auto"`` (sha256 when the
    expected hash has 64 hex digits, else md5), as Keras."""
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "auto" and file_hash is not None and len(file_hash) == 64:
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath: PathLike, algorithm: Any = "sha256", chunk_size: int = 65535) -> str:
    """Hex digest of a file (``keras.src.utils.file_utils.hash_file``).

    Args:
        fpath: The file.
        algorithm: ``"sha256"``, ``"md5"``, ``"auto"`` (md5 without a hash to look
            at, as Keras) or a ``hashlib`` object.
        chunk_size: Bytes read at a time.

    Returns:
        The hash as a hex string.
    """
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath: PathLike, file_hash: str, algorithm: str = "auto",
                  chunk_size: int = 65535) -> bool:
    """Whether a file's sha256/md5 digest equals ``file_hash`` (as Keras)."""
    hasher = resolve_hasher(algorithm, file_hash)
    return str(hash_file(fpath, hasher, chunk_size)) == str(file_hash)


def _algorithm_name(algorithm: str, file_hash: Optional[str]) -> str:
    return resolve_hasher(algorithm, file_hash).name


# --------------------------------------------------------------------------- archives

def _resolve(path: str) -> str:
    return os.path.realpath(path)


def _inside(base_dir: str, relative: str) -> bool:
    path = _resolve(os.path.join(base_dir, relative))
    try:
        return os.path.commonpath([path, base_dir]) == base_dir
    except ValueError:
        return False


def _safe_tar_members(archive: tarfile.TarFile, base_dir: str) -> Iterator[tarfile.TarInfo]:
    base_dir = _resolve(base_dir)
    for info in archive:
        ok = _inside(base_dir, info.name)
        if ok and info.islnk():  # hard links resolve against the root of the archive
            ok = _inside(base_dir, info.linkname)
        elif ok and info.issym():  # symlinks resolve against their own folder
            where = os.path.dirname(_resolve(os.path.join(base_dir, info.name)))
            ok = _inside(base_dir, os.path.join(where, info.linkname))
        if ok:
            yield info
        else:
            warnings.warn(f"Skipping invalid path during archive extraction: '{info.name}'.",
                          stacklevel=3)


def _safe_zip_members(members: Iterable[zipfile.ZipInfo],
                      base_dir: str) -> Iterator[zipfile.ZipInfo]:
    base_dir = _resolve(base_dir)
    for info in members:
        if _inside(base_dir, info.filename):
            yield info
        else:
            warnings.warn(
                f"Skipping invalid path during archive extraction: '{info.filename}'.",
                stacklevel=3)


def extract_archive(file_path: PathLike, path: PathLike = ".",
                    archive_format: Any = "auto") -> bool:
    """Extracts a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``) or zip archive, as Keras.

    Members that would land outside ``path`` (absolute names, ``..``, links pointing
    out) are skipped with a warning; tar archives are also extracted with Python's
    ``"data"`` filter where it exists.

    Args:
        file_path: The archive.
        path: The folder to extract into.
        archive_format: ``"auto"`` (``["tar", "zip"]``), ``"tar"``, ``"zip"``, a list
            of those, or ``None`` (extract nothing).

    Returns:
        Whether a format matched and the archive was extracted.
    """
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in archive_format:
        if kind == "tar":
            is_match, opener = tarfile.is_tarfile, tarfile.open
        elif kind == "zip":
            is_match, opener = zipfile.is_zipfile, zipfile.ZipFile
        else:
            raise NotImplementedError(kind)
        if not is_match(file_path):
            continue
        with opener(file_path) as archive:
            try:
                if isinstance(archive, zipfile.ZipFile):
                    archive.extractall(path, members=_safe_zip_members(archive.infolist(), path))
                else:
                    kwargs = {}
                    if hasattr(tarfile, "data_filter"):
                        kwargs["filter"] = "data"
                    archive.extractall(path, members=_safe_tar_members(archive, path), **kwargs)
            except (tarfile.TarError, RuntimeError, KeyboardInterrupt):
                if os.path.isfile(path):
                    os.remove(path)
                elif os.path.isdir(path):
                    shutil.rmtree(path)
                raise
        return True
    return False


# --------------------------------------------------------------------------- download

class _DownloadProgress:
    """Progress bar for ``urlretrieve``'s report hook (as Keras's ``DLProgbar``)."""

    def __init__(self) -> None:
        self.progbar: Any = None
        self.finished = False

    def __call__(self, block_num: int, block_size: int, total_size: int) -> None:
        from tapeflow.keras.utils.progbar import Progbar

        total = None if total_size == -1 else total_size
        if self.progbar is None:
            self.progbar = Progbar(total)
        current = block_num * block_size
        if total is None:
            self.progbar.update(current)
        elif current < total:
            self.progbar.update(current)
        elif not self.finished:
            self.progbar.update(total)
            self.finished = True


def _offline_help(origin: str, download_target: str, extraction_dir: Optional[str],
                  cache_subdir: Optional[str], problem: Optional[str] = None) -> str:
    """What to do without network: which file, from where, and the exact path.

    ``cache_subdir`` is given when the default cache directory is in use."""
    fname = os.path.basename(download_target)
    lines = [problem or (f"'{fname}' is not in the Keras cache and could not be "
                         f"downloaded from {origin}.")]
    lines.append(f"To use it without network access, download {origin} on a machine that "
                 f"has network access and put it at {download_target}.")
    if cache_subdir is not None:
        lines.append(f"(The cache folder is $KERAS_HOME/{cache_subdir} when KERAS_HOME is "
                     f"set, else ~/.keras/{cache_subdir}.)")
    if extraction_dir is not None:
        lines.append(f"The archive is then extracted into {extraction_dir}.")
    return "\n".join(lines)


def _download(origin: str, download_target: str, file_hash: Optional[str],
              hash_algorithm: str, help_text: str) -> None:
    """Downloads ``origin`` into a temporary file next to ``download_target``, checks
    its hash and moves it into place; the target is untouched on any failure."""
    _print_msg(f"Downloading data from {origin}")
    folder = os.path.dirname(download_target) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=os.path.basename(download_target) + ".",
                                   suffix=".part", dir=folder)
    except OSError as e:
        raise DownloadError(f"Cannot download {origin}: the folder {folder} is not "
                            f"writable ({e}).\n{help_text}") from e
    os.close(fd)
    try:
        try:
            _urlretrieve(origin, tmp, _DownloadProgress())
        except urllib.error.HTTPError as e:
            raise DownloadError(f"URL fetch failure on {origin}: {e.code} -- {e.msg}\n"
                                f"{help_text}") from e
        except urllib.error.URLError as e:
            raise DownloadError(f"URL fetch failure on {origin}: "
                                f"{getattr(e, 'errno', None)} -- {e.reason}\n{help_text}") from e
        except (OSError, ValueError) as e:  # sockets, timeouts, malformed URLs
            raise DownloadError(f"URL fetch failure on {origin}: "
                                f"{getattr(e, 'errno', None)} -- {e}\n{help_text}") from e
        if file_hash is not None and not validate_file(tmp, file_hash, hash_algorithm):
            raise ValueError(
                "Incomplete or corrupted file detected. The "
                f"{_algorithm_name(hash_algorithm, file_hash)} file hash does not match "
                f"the provided value of {file_hash}.")
        os.replace(tmp, download_target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def get_file(fname: Optional[PathLike] = None, origin: Optional[str] = None,
             untar: bool = False, md5_hash: Optional[str] = None,
             file_hash: Optional[str] = None, cache_subdir: str = "datasets",
             hash_algorithm: str = "auto", extract: bool = False,
             archive_format: Any = "auto", cache_dir: Optional[PathLike] = None,
             force_download: bool = False) -> str:
    """Downloads a file from a URL unless it is already in the cache (``keras.utils.get_file``).

    The file is stored as ``<cache_dir>/<cache_subdir>/<fname>``, where ``cache_dir``
    defaults to ``$KERAS_HOME`` or ``~/.keras``. With ``extract=True`` (or the legacy
    ``untar=True``) the archive is stored under the same names Keras uses and extracted
    into a folder, whose path is returned: ``fname="data.tar.gz"`` stores
    ``data.tar.gz`` and extracts into ``data_extracted/``; ``fname="data"`` (no dot) or
    no ``fname`` stores ``data_archive`` and extracts into ``data/``. As in Keras 3, the
    archive is extracted again on every call.

    A cached file is checked against ``file_hash`` when one is given; on a mismatch it
    is downloaded again. See the module docstring for where this differs from Keras
    (offline use, temporary download file, :class:`DownloadError`).

    Args:
        fname: Local file name; ``None`` takes the last part of ``origin``'s path.
            Must not contain a path separator (use ``cache_dir``).
        origin: The URL.
        untar: Deprecated: like ``extract=True`` with ``archive_format="tar"``.
        md5_hash: Deprecated: an md5 ``file_hash``.
        file_hash: Expected sha256 or md5 hex digest of the file.
        cache_subdir: Sub-folder of the cache directory (an absolute path is used as is).
        hash_algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (from the hash's length).
        extract: Whether to extract the downloaded tar/zip archive.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"``, a list of those, or ``None``.
        cache_dir: Base cache directory; default ``$KERAS_HOME`` or ``~/.keras``.
        force_download: Download even if the file is cached.

    Returns:
        Path of the downloaded file, or of the extraction folder when extracting.

    Raises:
        ValueError: No ``origin``; a ``fname`` with a path separator or none derivable;
            a downloaded file whose hash does not match.
        DownloadError: The file is not cached (or its hash mismatched) and the download
            failed.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"

    provided_fname = fname
    name = os.fspath(fname) if fname is not None else None
    if not name:
        name = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not name:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'."
                             "Please specify the `fname` argument.")
    elif os.sep in name:
        raise ValueError("Paths are no longer accepted as the `fname` argument. To specify "
                         "the file's parent directory, use the `cache_dir` argument. "
                         f"Received: fname={name}")

    def targets(datadir: str):
        if extract or untar:
            if provided_fname and "." in name:
                stem = name[: name.find(".")]
                return os.path.join(datadir, name), os.path.join(datadir, f"{stem}_extracted")
            return os.path.join(datadir, f"{name}_archive"), os.path.join(datadir, name)
        return os.path.join(datadir, name), None

    # Where the file already is (if anywhere), else where it is written.
    candidates = cache_datadirs(cache_dir, cache_subdir)
    datadir = None
    if not force_download:
        datadir = next((d for d in candidates if os.path.exists(targets(d)[0])), None)
    if datadir is None:
        base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None
                                  else keras_home())
        if not _writable_base(base):
            base = _fallback_base()
        datadir = os.path.join(base, cache_subdir)
        os.makedirs(datadir, exist_ok=True)
    download_target, extraction_dir = targets(datadir)

    default_subdir = cache_subdir if cache_dir is None else None
    if force_download or not os.path.exists(download_target):
        _download(origin, download_target, file_hash, hash_algorithm,
                  _offline_help(origin, download_target, extraction_dir, default_subdir))
    elif file_hash is not None and not validate_file(download_target, file_hash,
                                                      hash_algorithm):
        algo = _algorithm_name(hash_algorithm, file_hash)
        _print_msg("A local file was found, but it seems to be incomplete or outdated "
                   f"because the {algo} file hash does not match the original value of "
                   f"{file_hash} so we will re-download the data.")
        actual = hash_file(download_target, resolve_hasher(hash_algorithm, file_hash))
        _download(origin, download_target, file_hash, hash_algorithm,
                  _offline_help(origin, download_target, extraction_dir, default_subdir,
                                problem=f"The cached file {download_target} has {algo} "
                                f"hash {actual}, not the expected {file_hash}, and a "
                                f"fresh copy could not be downloaded from {origin}."))

    if extract or untar:
        if untar:
            archive_format = "tar"
        if not extract_archive(download_target, extraction_dir, archive_format):
            warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return download_target
