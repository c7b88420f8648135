"""Keras 3's SpatialDropout1D/2D/3D: Dropout that drops whole channels.

When training, each (sample, channel) pair is kept or zeroed as a whole (the kept ones
scaled by ``1 / (1 - rate)``), through ``tf.nn.dropout``'s ``noise_shape``; otherwise
the input passes unchanged. As in Keras, the constructors take only ``rate``,
``data_format`` (2D/3D), ``seed``, ``name`` and ``dtype``, and ``get_config`` holds
just those (no ``trainable``). Like tapeflow's Dropout, the mask comes from tapeflow's
global random stream (``seed`` is recorded, not used to draw).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from tapeflow.keras.layers.core import Dropout
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.utils.argument_validation import standardize_data_format


class _SpatialDropout(Dropout):
    """Keras's BaseSpatialDropout."""

    def __init__(
        self,
        rate: float,
        seed: Optional[int] = None,
        name: Optional[str] = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)

    def compute_output_shape(self, input_shape: Any) -> Tuple[Optional[int], ...]:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        return {
            "rate": self.rate,
            "seed": self.seed,
            "name": self.name,
            "dtype": self.dtype,
        }


class SpatialDropout1D(_SpatialDropout):
    """Drops whole feature channels of a ``(batch, steps, channels)`` input
    (``keras.layers.SpatialDropout1D``).

    Args:
        rate: the fraction of channels to drop, in [0, 1].
        seed: recorded in the config (see the module's note).
        name: the layer's name.
        dtype: the layer's dtype.
    """

    def __init__(
        self,
        rate: float,
        seed: Optional[int] = None,
        name: Optional[str] = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.input_spec = InputSpec(ndim=3)

    def _get_noise_shape(self, inputs: Any) -> Tuple[int, ...]:
        shape = tuple(inputs.shape)
        return (shape[0], 1, shape[2])


class _SpatialDropoutND(_SpatialDropout):
    """SpatialDropout2D/3D: one mask value per (sample, channel)."""

    _spatial_dims = 0

    def __init__(
        self,
        rate: float,
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        name: Optional[str] = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._spatial_dims + 2)

    def _get_noise_shape(self, inputs: Any) -> Tuple[int, ...]:
        shape = tuple(inputs.shape)
        ones = (1,) * self._spatial_dims
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + ones
        return (shape[0],) + ones + (shape[-1],)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout2D(_SpatialDropoutND):
    """Drops whole channels of an image batch (``keras.layers.SpatialDropout2D``).

    Args:
        rate: the fraction of channels to drop, in [0, 1].
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: recorded in the config (see the module's note).
        name: the layer's name.
        dtype: the layer's dtype.
    """

    _spatial_dims = 2

    def __init__(
        self,
        rate: float,
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        name: Optional[str] = None,
        dtype: Any = None,
    ) -> None:  # its own, for Python's argument errors
        super().__init__(
            rate, data_format=data_format, seed=seed, name=name, dtype=dtype
        )


class SpatialDropout3D(_SpatialDropoutND):
    """Drops whole channels of a volume batch (``keras.layers.SpatialDropout3D``).

    Args:
        rate: the fraction of channels to drop, in [0, 1].
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: recorded in the config (see the module's note).
        name: the layer's name.
        dtype: the layer's dtype.
    """

    _spatial_dims = 3

    def __init__(
        self,
        rate: float,
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        name: Optional[str] = None,
        dtype: Any = None,
    ) -> None:  # its own, for Python's argument errors
        super().__init__(
            rate, data_format=data_format, seed=seed, name=name, dtype=dtype
        )


__all__ = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]
