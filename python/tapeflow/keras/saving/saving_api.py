"""``keras.saving.save_model`` / ``load_model`` / ``save_weights`` / ``load_weights``:
argument and file-name checks with Keras 3.15's messages, delegating to saving_lib."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

from tapeflow.keras.saving import saving_lib, stores


def _is_fileobj(x: Any) -> bool:
    return hasattr(x, "read") or hasattr(x, "write")


def _check_overwrite(filepath: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} already exists and overwrite=False.")


def save_model(model: Any, filepath: Any, overwrite: bool = True, zipped: Optional[bool] = None,
               **kwargs: Any) -> None:
    """Saves ``model`` (architecture, weights, compile settings and optimizer state) as
    a Keras 3 ``.keras`` file (``keras.saving.save_model``; ``model.save``)."""
    kwargs.pop("include_optimizer", None)
    save_format = kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if save_format and not str(filepath).endswith((".keras", ".h5", ".hdf5")):
        raise ValueError("The `save_format` argument is deprecated in Keras 3. Please "
                         "remove this argument and pass a file path with either `.keras` "
                         f"or `.h5` extension.Received: save_format={save_format}")
    if zipped is False:
        raise ValueError("zipped=False (saving as a folder) is not supported by tapeflow; "
                         "save to a `.keras` file.")
    if _is_fileobj(filepath):
        filepath.write(saving_lib.model_to_bytes(model))
        return
    path = os.fspath(filepath)
    if path.endswith((".h5", ".hdf5")):
        raise ValueError("Saving to the legacy HDF5 format (`.h5`/`.hdf5`) is not "
                         "supported by tapeflow. Use a `.keras` extension for the native "
                         "Keras format, or `model.save_weights()` with a `.weights.h5` "
                         f"extension for the weights only. Received: filepath={path}.")
    if not path.endswith(".keras"):
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension "
            "for the native Keras format (recommended) or a `.h5` extension. Use "
            "`model.export(filepath)` if you want to export a SavedModel for use with "
            f"TFLite/TFServing/etc. Received: filepath={path}.")
    _check_overwrite(path, overwrite)
    saving_lib.write_file_atomically(path, saving_lib.model_to_bytes(model))


def load_model(filepath: Any, custom_objects: Optional[Dict[str, Any]] = None,
               compile: bool = True, safe_mode: bool = True) -> Any:
    """Loads a model saved by ``model.save()`` (tapeflow or Keras 3) from a ``.keras``
    file (``keras.saving.load_model``).

    Args:
        filepath: path to a ``.keras`` file, or a binary file object.
        custom_objects: names -> custom classes/functions used by the model.
        compile: whether to compile the model as it was saved (optimizer with its
            state, loss, metrics).
        safe_mode: accepted for Keras compatibility. tapeflow is always safe: it never
            unpickles, evaluates or deserializes code (lambdas, Lambda layers) from a
            file, whatever this says.
    """
    if _is_fileobj(filepath):
        return saving_lib.model_from_bytes(filepath.read(), "the file object",
                                           custom_objects, compile)
    path = os.fspath(filepath)
    if path.endswith((".h5", ".hdf5")):
        raise ValueError(f"File format not supported: filepath={path}. Loading legacy HDF5 "
                         "model files (`.h5`) is not supported by tapeflow; only Keras 3 "
                         "`.keras` files are.")
    if not path.endswith(".keras"):
        raise ValueError(
            f"File format not supported: filepath={path}. Keras 3 only supports V3 "
            "`.keras` files, legacy H5 format files (`.h5` extension). Note that the "
            "legacy SavedModel format is not supported by `load_model()` in Keras 3.")
    if not os.path.isfile(path):
        raise ValueError(f"File not found: filepath={path}. Please ensure the file is an "
                         "accessible `.keras` zip file.")
    with open(path, "rb") as f:
        data = f.read()
    return saving_lib.model_from_bytes(data, path, custom_objects, compile)


def save_weights(model: Any, filepath: Any, overwrite: bool = True,
                 max_shard_size: Any = None, **kwargs: Any) -> None:
    """Saves the weights (and optimizer state) to a ``.weights.h5`` file in Keras 3's
    layout (``model.save_weights``). Needs h5py."""
    path = os.fspath(filepath)
    if max_shard_size is not None:
        raise ValueError("Sharded weights (max_shard_size) are not supported by tapeflow.")
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if not model.built:
        raise ValueError("You are saving a model that has not yet been built. Try building "
                         "the model first by calling it on some data or by using `build()`.")
    stores.import_h5py()
    _check_overwrite(path, overwrite)
    saving_lib.write_file_atomically(path, saving_lib.weights_to_bytes(model))


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False, **kwargs: Any
                 ) -> None:
    """Loads weights saved by ``save_weights`` (``.weights.h5``) or from a ``.keras``
    file into a built model (``model.load_weights``)."""
    if skip_mismatch:
        raise ValueError("skip_mismatch=True is not supported by tapeflow.")
    kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        is_archive = True
    elif path.endswith(".weights.h5"):
        is_archive = False
    elif path.endswith((".h5", ".hdf5")):
        raise ValueError("Loading legacy HDF5 weight files is not supported by tapeflow. "
                         f"Received: filepath={path}")
    else:
        raise ValueError(f"File format not supported: filepath={path}. Keras 3 only "
                         "supports V3 `.keras` files, `.weights.h5` files, legacy H5 "
                         "format files (`.h5` extension), or Orbax checkpoints.")
    if not model.built:
        raise ValueError("You are loading weights into a model that has not yet been built. "
                         "Try building the model first by calling it on some data or by "
                         "using `build()`.")
    if not os.path.isfile(path):
        raise ValueError(f"File not found: filepath={path}.")
    with open(path, "rb") as f:
        data = f.read()
    saving_lib.load_weights_from_bytes(model, data, path, is_archive)
