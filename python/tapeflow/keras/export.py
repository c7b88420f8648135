"""``model.export(path)``: a Keras model as a SavedModel with a ``serve`` endpoint.

Mirrors Keras 3's TensorFlow-backend export (``format="tf_saved_model"``): the folder
holds a ``tf.saved_model`` whose root has ``serve`` (the model's inference call,
``training=False``, traced for the model's input specs with a ``None`` batch size),
the ``serving_default`` and ``serve`` signatures (keyword argument named as the input,
``keras_tensor`` for an unnamed one; a dict ``{"output_0": ...}`` out), and the lists
``variables``, ``trainable_variables`` and ``non_trainable_variables``. It prints the
endpoint as Keras does. Written with the public API only (tf.function, tf.TensorSpec,
tf.saved_model.save).
"""

from __future__ import annotations

from typing import Any, List, Optional

import tapeflow as tf
from tapeflow.framework.tracking import AutoTrackable


class _ExportArchive(AutoTrackable):
    """The exported root: the endpoint and the model's variables."""


def _input_specs(model: Any) -> List[Any]:
    inputs = getattr(model, "inputs", None)
    if inputs:  # functional
        specs = [tf.TensorSpec((None,) + tuple(t.shape[1:]), t.dtype, name="keras_tensor")
                 for t in inputs]
        return specs if len(specs) > 1 else specs[0]
    shape = getattr(model, "_input_shape", None)  # Sequential
    if shape is None:
        built = getattr(model, "_build_shapes_dict", None) or {}
        shape = built.get("input_shape")
    if shape is None or not model.built:
        raise ValueError("The model provided has not yet been built. It must be built "
                         "before export.")
    return tf.TensorSpec((None,) + tuple(shape[1:]), tf.float32, name="keras_tensor")


def export_saved_model(model: Any, filepath: Any, verbose: bool = True,
                       input_signature: Optional[Any] = None) -> None:
    """Writes ``model`` to the folder ``filepath`` (see the module doc)."""
    spec = input_signature[0] if input_signature is not None else _input_specs(model)

    def serve(args_0, /):  # noqa: ANN001, ANN202 - Keras names the argument args_0
        return model(args_0, training=False)

    archive = _ExportArchive()
    archive.serve = tf.function(serve, input_signature=[spec])
    archive.variables = list(model.variables)
    archive.trainable_variables = list(model.trainable_variables)
    archive.non_trainable_variables = list(model.non_trainable_variables)
    concrete = archive.serve.get_concrete_function()
    tf.saved_model.save(archive, filepath,
                        signatures={"serve": archive.serve, "serving_default": archive.serve})
    if verbose:
        text = concrete._signature_text().splitlines()  # "Input Parameters:", params, ...
        args = [f"  args_0 (POSITIONAL_ONLY): {spec!r}"]
        print("\n".join([f"Saved artifact at '{filepath}'. The following endpoints are "
                         "available:", "", "* Endpoint 'serve'"] + args + text[2:]))
