"""``tf.config``."""

from tapeflow import _core
from tapeflow.framework.device import (  # noqa: F401
    PhysicalDevice, list_logical_devices, list_physical_devices)


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
