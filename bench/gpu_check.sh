#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: build tapeflow with CUDA, run the GPU tests (the GPU
# against the CPU, then the kernel and gradient test files inside tf.device('/GPU:0')),
# and print the GPU benchmark table. About 5 minutes on 16 cores; logs go to $OUT (or
# /tmp/gpu_check). Needs python3 with numpy, pytest, hypothesis, pybind11,
# scikit-build-core, cmake and ninja already installed (it installs nothing else).
set -uo pipefail
cd "$(dirname "$0")/.."
LOG=${OUT:-/tmp/gpu_check}
mkdir -p "$LOG"
export PATH="$PATH:/usr/local/cuda/bin" CI=true PYTHONUNBUFFERED=1
ARCH=${TAPEFLOW_CUDA_ARCH:-native}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

# The system compiler: a toolchain that links libstdc++ statically into the module (as
# /opt/gcc's did on one GPU machine) breaks iostreams once the system libstdc++ is also
# loaded (a crash formatting the first error message).
export CC=${TAPEFLOW_CC:-gcc} CXX=${TAPEFLOW_CXX:-g++} CUDAHOSTCXX=${TAPEFLOW_CXX:-g++}
env | grep -E "^(CC|CXX|CUDAHOSTCXX|LDFLAGS|CXXFLAGS)=" || true
echo "== build (TAPEFLOW_CUDA=ON, arch $ARCH) =="
start=$(date +%s)
python3 -m pip install -q --no-deps --no-build-isolation -e . \
  -Ccmake.define.TAPEFLOW_CUDA=ON -Ccmake.define.CMAKE_CUDA_ARCHITECTURES="$ARCH" \
  -Cbuild.verbose=false >"$LOG/build.log" 2>&1 || { tail -40 "$LOG/build.log"; exit 1; }
echo "built in $(( $(date +%s) - start )) s"
python3 -c "import tapeflow as tf; print(tf.config.list_physical_devices('GPU'))"

echo "== errors raised after the GPU is in use reach Python =="
for setup in "pass" "_core.to_device(_core.from_numpy(np.ones(3, np.float32)), 'GPU:0')" \
             "_core.matmul(*[_core.to_device(_core.from_numpy(np.ones((64, 64), np.float32)), 'GPU:0')] * 2)"; do
  echo "after: $setup"
  python3 -X faulthandler -c "
import numpy as np, tapeflow as tf
from tapeflow import _core
$setup
try:
    _core.exp(_core.from_numpy(np.zeros(3, np.int32)))
except tf.errors.InvalidArgumentError:
    print('ok: the error reached Python; cuBLAS:', _core.cuda_has_cublas())
" 2>&1 | tail -3
done

status=0
# pytest-xdist when present: parallel, and a crashing test fails alone instead of the run
XDIST=""
python3 -c "import xdist" 2>/dev/null && XDIST="-n 8 --max-worker-restart=100"

echo "== GPU vs CPU tests =="
timeout 300 python3 -m pytest -q -p no:cacheprovider $XDIST -rf tests/test_gpu.py tests/test_device.py \
  2>&1 | tee "$LOG/test_gpu.log" | grep -E "^FAILED|crashed|passed|failed" | tail -40 || status=1
grep -q " passed" "$LOG/test_gpu.log" && ! grep -qE "[0-9]+ (failed|error)" "$LOG/test_gpu.log" || status=1

echo "== kernel and gradient tests inside tf.device('/GPU:0') =="
TAPEFLOW_TEST_DEVICE=GPU:0 timeout 420 python3 -m pytest -q -p no:cacheprovider $XDIST -rf \
  tests/test_core_elementwise.py tests/test_core_reductions.py tests/test_core_shape_ops.py \
  tests/test_core_matmul.py tests/test_core_random.py tests/test_random_ops.py \
  tests/test_tensor_api.py tests/test_gradients.py tests/test_gradient_tape.py \
  tests/test_keras_layers.py tests/test_keras_models.py tests/test_keras_losses.py \
  tests/test_keras_optimizers.py \
  2>&1 | tee "$LOG/test_scoped.log" | grep -E "^FAILED|crashed|passed|failed" | tail -70 || status=1

if [ "${TAPEFLOW_GPU_BENCH:-1}" != 0 ]; then
  echo "== GPU benchmark =="
  timeout 300 python3 bench/gpu_bench.py 2>&1 | tee "$LOG/gpu_bench.md" || status=1
fi
exit $status
