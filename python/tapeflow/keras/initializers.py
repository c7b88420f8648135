"""``keras.initializers``: weight initialisers with Keras 3's defaults.

Random initialisers draw from tapeflow's ``tf.random`` ops, so
``keras.utils.set_random_seed`` (or ``tf.random.set_seed``) makes them reproducible;
their numbers are not Keras's own streams.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

import tapeflow as tf
from tapeflow.keras.utils.registry import register_builtins


def _fans(shape: Sequence[int]) -> Tuple[float, float]:
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = float(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``initializer(shape, dtype)`` returns a Tensor."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        raise NotImplementedError

    def get_config(self) -> Dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Initializer":
        return cls(**config)


class Zeros(Initializer):
    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        return tf.zeros(shape, dtype or tf.float32)


class Ones(Initializer):
    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        return tf.ones(shape, dtype or tf.float32)


class Constant(Initializer):
    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        # a scalar or any value that broadcasts to `shape`, as Keras 3 (and
        # tf.constant_initializer([1, 2]))
        return tf.broadcast_to(tf.cast(tf.constant(self.value), dtype or tf.float32), shape)

    def get_config(self) -> Dict[str, Any]:
        return {"value": self.value}


class RandomNormal(Initializer):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Optional[int] = None) -> None:
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        return tf.random.normal(shape, self.mean, self.stddev, dtype or tf.float32, seed=self.seed)

    def get_config(self) -> Dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Optional[int] = None) -> None:
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        return tf.random.uniform(shape, self.minval, self.maxval, dtype or tf.float32,
                                 seed=self.seed)

    def get_config(self) -> Dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(Initializer):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Optional[int] = None) -> None:
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        return tf.random.truncated_normal(shape, self.mean, self.stddev, dtype or tf.float32,
                                          seed=self.seed)

    def get_config(self) -> Dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Keras's VarianceScaling (scale / fan, truncated normal, normal or uniform)."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: Optional[int] = None) -> None:
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out}.get(self.mode, (fan_in + fan_out) / 2.0)
        scale = self.scale / max(1.0, fan)
        dtype = dtype or tf.float32
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / 0.87962566103423978
            return tf.random.truncated_normal(shape, 0.0, stddev, dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return tf.random.normal(shape, 0.0, math.sqrt(scale), dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return tf.random.uniform(shape, -limit, limit, dtype, seed=self.seed)

    def get_config(self) -> Dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class GlorotUniform(VarianceScaling):
    def __init__(self, seed: Optional[int] = None) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self.seed}


class GlorotNormal(VarianceScaling):
    def __init__(self, seed: Optional[int] = None) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self.seed}


class HeNormal(VarianceScaling):
    def __init__(self, seed: Optional[int] = None) -> None:
        super().__init__(2.0, "fan_in", "truncated_normal", seed)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self.seed}


class HeUniform(VarianceScaling):
    def __init__(self, seed: Optional[int] = None) -> None:
        super().__init__(2.0, "fan_in", "uniform", seed)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self.seed}


class LecunNormal(VarianceScaling):
    def __init__(self, seed: Optional[int] = None) -> None:
        super().__init__(1.0, "fan_in", "truncated_normal", seed)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self.seed}


class LecunUniform(VarianceScaling):
    def __init__(self, seed: Optional[int] = None) -> None:
        super().__init__(1.0, "fan_in", "uniform", seed)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self.seed}


class Identity(Initializer):
    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        if len(shape) != 2:
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={tuple(shape)} of rank {len(shape)}.")
        return tf.eye(shape[0], shape[1], dtype=dtype or tf.float32) * self.gain

    def get_config(self) -> Dict[str, Any]:
        return {"gain": self.gain}


class Orthogonal(Initializer):
    def __init__(self, gain: float = 1.0, seed: Optional[int] = None) -> None:
        self.gain, self.seed = gain, seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        cols = int(shape[-1])
        a = tf.random.normal((max(rows, cols), min(rows, cols)), seed=self.seed).numpy()
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return tf.constant((self.gain * q[:rows, :cols]).reshape(shape), dtype=dtype or tf.float32)

    def get_config(self) -> Dict[str, Any]:
        return {"gain": self.gain, "seed": self.seed}


_ALIASES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_normal": HeNormal, "he_uniform": HeUniform,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform, "identity": Identity,
    "orthogonal": Orthogonal,
}
_ALIASES.update({cls.__name__: cls for cls in set(_ALIASES.values())})


def get(identifier: Any) -> Any:
    """An initializer from a name ("glorot_uniform", "Zeros", ...), config dict,
    instance or callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret initializer identifier: {identifier}")
        return cls()
    if isinstance(identifier, dict):
        cls = _ALIASES.get(identifier["class_name"])
        if cls is None:
            raise ValueError(f"Could not interpret initializer identifier: {identifier}")
        return cls(**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier}")


def serialize(initializer: Any) -> Dict[str, Any]:
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


register_builtins("initializer", set(_ALIASES.values()))
