"""pytest configuration for the native-core tests: hypothesis profile, fixtures."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import tapeflow  # noqa: F401  (installs tf.errors classes into the core)
from tapeflow import _core

# Fast by default; TAPEFLOW_HYPOTHESIS_PROFILE=thorough for a longer search.
settings.register_profile(
    "fast",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough", parent=settings.get_profile("fast"), max_examples=1000
)
# The nightly run (TAPEFLOW_HYPOTHESIS_PROFILE=nightly): a long search with fresh
# examples, for the property tests that CI replays with a small fixed budget.
settings.register_profile(
    "nightly", parent=settings.get_profile("fast"), max_examples=2000
)
# CI replays the same examples every run, so a landing never hinges on a lucky draw;
# local runs keep exploring new ones.
settings.register_profile("ci", parent=settings.get_profile("fast"), derandomize=True)
settings.load_profile(os.environ.get(
    "TAPEFLOW_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "fast"))


@pytest.fixture
def num_threads():
    """Sets the core's thread count for one test; restores the default afterwards."""
    yield _core.set_num_threads
    _core.set_num_threads(0)


# TAPEFLOW_TEST_DEVICE=GPU:0 runs every test inside ``tf.device('/GPU:0')``: new tensors
# and ops go to the GPU and are compared against numpy there (bench/gpu_check.sh does this
# for the kernel and gradient test files when a GPU is present).
_TEST_DEVICE = os.environ.get("TAPEFLOW_TEST_DEVICE")


def pytest_collection_modifyitems(config, items):
    if _TEST_DEVICE and _TEST_DEVICE.upper().startswith("GPU"):
        skip = pytest.mark.skip(reason=f"host-only test; the suite runs on {_TEST_DEVICE}")
        for item in items:
            if "host_only" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _test_device():
    if not _TEST_DEVICE:
        yield
        return
    import tapeflow as tf

    with tf.device("/" + _TEST_DEVICE):
        yield
