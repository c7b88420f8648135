"""``tf.config``."""

from typing import Any, Dict

from tapeflow import _core
from tapeflow.framework.device import (  # noqa: F401
    PhysicalDevice, get_soft_device_placement, list_logical_devices, list_physical_devices,
    set_soft_device_placement)


class experimental:  # noqa: N801 - TF's namespace
    """``tf.config.experimental``: memory options (accepted; the GPU cache grows as needed)."""

    @staticmethod
    def set_memory_growth(device: Any, enable: bool) -> None:
        """Accepted: tapeflow's caching allocator always grows on demand."""

    @staticmethod
    def get_memory_growth(device: Any) -> bool:
        return True

    @staticmethod
    def get_memory_info(device: str) -> Dict[str, int]:
        """Bytes in use (``current``) and the most held (``peak``: here, in use + cached)."""
        if "GPU" in device.upper():
            cur = _core.device_bytes_in_use()
            return {"current": cur, "peak": cur + _core.device_bytes_cached()}
        cur = _core.host_bytes_in_use()
        return {"current": cur, "peak": cur + _core.host_bytes_cached()}

    list_physical_devices = staticmethod(list_physical_devices)


class threading:  # noqa: N801 - TF's namespace
    """``tf.config.threading``: the size of tapeflow's thread pool."""

    @staticmethod
    def set_intra_op_parallelism_threads(num_threads: int) -> None:
        _core.set_num_threads(int(num_threads))

    @staticmethod
    def get_intra_op_parallelism_threads() -> int:
        return _core.num_threads()

    @staticmethod
    def set_inter_op_parallelism_threads(num_threads: int) -> None:
        """Accepted for compatibility; tapeflow runs one op at a time."""

    @staticmethod
    def get_inter_op_parallelism_threads() -> int:
        return 1


def run_functions_eagerly(run_eagerly: bool) -> None:
    """``tf.config.run_functions_eagerly``: tf.functions run their Python body (for
    debugging) instead of their traced graphs."""
    from tapeflow.graph import function as _function

    _function.run_eagerly = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    from tapeflow.graph import function as _function

    return _function.run_eagerly
