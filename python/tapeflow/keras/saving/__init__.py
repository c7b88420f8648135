"""``keras.saving``: Keras 3's ``.keras`` format (zip of config.json, metadata.json
and model.weights.h5) and ``.weights.h5`` files, readable and writable by both
tapeflow and Keras 3 for the layers both have.

h5py is an optional extra: without it ``model.save`` stores the weights as
``model.weights.npz`` inside the archive (tapeflow-only) and warns; HDF5 files need
``pip install h5py``. Loading never unpickles, evaluates or extracts anything.
"""

from tapeflow.keras.saving.saving_api import (  # noqa: F401
    load_model,
    load_weights,
    save_model,
    save_weights,
)
from tapeflow.keras.saving.serialization_lib import (  # noqa: F401
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "get_custom_objects", "get_registered_name", "get_registered_object",
           "load_model", "load_weights", "register_keras_serializable", "save_model",
           "save_weights", "serialize_keras_object"]
