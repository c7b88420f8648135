"""Device placement rules that hold with or without a GPU (TF 2.21's behaviour)."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _core

HAS_GPU = _core.cuda_device_count() > 0
CPU0 = "/job:localhost/replica:0/task:0/device:CPU:0"
GPU0 = "/job:localhost/replica:0/task:0/device:GPU:0"


@pytest.fixture(autouse=True)
def _soft_placement_restored():
    yield
    tf.config.set_soft_device_placement(True)


def test_list_devices_matches_the_runtime():
    gpus = tf.config.list_physical_devices("GPU")
    assert len(gpus) == _core.cuda_device_count()
    assert tf.config.list_physical_devices("CPU") == [
        tf.config.PhysicalDevice("/physical_device:CPU:0", "CPU")]
    assert all(d.device_type == "GPU" for d in gpus)
    assert tf.config.list_logical_devices("CPU")[0].name == "/device:CPU:0"


def test_tensor_device_is_tfs_full_name():
    x = tf.constant([1.0])
    assert x.device == CPU0
    assert tf.Variable(1.0).device == CPU0
    with tf.device("/CPU:0"):
        assert (x + 1).device == CPU0


@pytest.mark.skipif(HAS_GPU, reason="checks the no-GPU behaviour")
def test_missing_gpu_soft_placement_runs_on_cpu():
    assert tf.config.get_soft_device_placement()
    with tf.device("/GPU:0"):
        x = tf.constant([1.0, 2.0])
        y = x * 2
        r = tf.random.normal([2], seed=1)
    assert x.device == CPU0 and y.device == CPU0 and r.device == CPU0
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])


@pytest.mark.skipif(HAS_GPU, reason="checks the no-GPU behaviour")
def test_missing_gpu_without_soft_placement_raises_tfs_error():
    tf.config.set_soft_device_placement(False)
    msg = ("Could not satisfy device specification '/job:localhost/replica:0/task:0/"
           "device:GPU:0'. enable_soft_placement=0. Supported device types [CPU]. All "
           "available devices [/job:localhost/replica:0/task:0/device:CPU:0].")
    x = tf.constant([1.0])
    for make in (lambda: tf.constant(1.0), lambda: x + 1, lambda: tf.random.normal([2]),
                 lambda: tf.zeros([3])):
        with pytest.raises(tf.errors.InvalidArgumentError) as e:
            with tf.device("/GPU:0"):
                make()
        assert str(e.value) == msg
    # leaving the scope restores the CPU
    assert (x + 1).device == CPU0


def test_device_strings():
    for name in ["/CPU:0", "/cpu:0", "CPU:0", "/device:CPU:0", "/job:localhost/replica:0/"
                 "task:0/device:CPU:0", "/job:localhost", "", None]:
        with tf.device(name):
            assert tf.constant(1.0).device == CPU0
    for bad in ["/XPU:0", "GPU0", "/device:GPU:x"]:
        with pytest.raises(ValueError):
            tf.device(bad)


def test_nested_scopes_restore():
    with tf.device("/CPU:0"):
        assert _core.default_device() == "CPU:0"
        with tf.device(None):
            assert _core.default_device() is None
        assert _core.default_device() == "CPU:0"
    assert _core.default_device() is None


def test_core_device_errors():
    a = _core.from_numpy(np.ones(2, np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown device"):
        _core.to_device(a, "TPU:0")
    assert _core.to_device(a, "CPU:0").shares_storage(a)  # already there: no copy
    if not HAS_GPU:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Could not satisfy"):
            _core.to_device(a, "GPU:0")


def test_memory_info():
    info = tf.config.experimental.get_memory_info("CPU:0")
    assert info["current"] >= 0 and info["peak"] >= info["current"]
    assert tf.config.experimental.get_memory_info("GPU:0")["current"] >= 0
