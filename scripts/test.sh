#!/usr/bin/env bash
# Installs what the tests need and runs every test: GoogleTest (C++), then pytest.
# Usage: bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# Debian's GoogleTest for the C++ suite, and valgrind to run it under memcheck.
need=""
[ -f /usr/include/gtest/gtest.h ] || need="$need libgtest-dev"
command -v valgrind >/dev/null 2>&1 || need="$need valgrind"
if [ -n "$need" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
fi

# Build tools (for an incremental, non-isolated build) and the test extras.
$PY -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" "cmake>=3.18" ninja
$PY -m pip install -q --no-build-isolation -e ".[test]" \
  -Ccmake.define.TAPEFLOW_BUILD_TESTS=ON

build_dir=$($PY -c "import glob, os; print(os.path.dirname(sorted(glob.glob('build/*/tapeflow_cpp_tests'), key=os.path.getmtime)[-1]))")

# The per-ISA kernel objects must not export inline code: any weak symbol in them could
# be picked by the linker for code running on a CPU without that ISA.
for obj in $(find "$build_dir" -name 'kernels_avx*.cpp.o'); do
  weak=$(nm -C --defined-only "$obj" | awk '$2 ~ /^[WVu]$/' || true)
  if [ -n "$weak" ]; then
    echo "ISA object $obj exports weak (shared inline) symbols:"; echo "$weak"; exit 1
  fi
done

echo "== C++ tests (GoogleTest) =="
"$build_dir/tapeflow_cpp_tests" --gtest_brief=1
TAPEFLOW_NUM_THREADS=1 "$build_dir/tapeflow_cpp_tests" --gtest_brief=1

# Again with AddressSanitizer + UBSan: a separate build of the test binary only. Any
# UBSan report aborts (-fno-sanitize-recover=all, halt_on_error). The pool's workers are
# never joined, but LeakSanitizer finds them reachable (g_pool, their stacks), so leak
# checking stays on without suppressions.
echo "== C++ tests under ASan + UBSan =="
san_dir=build/sanitize
cmake -S . -B "$san_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTAPEFLOW_BUILD_TESTS=ON \
  -DTAPEFLOW_SANITIZE=ON >/dev/null
cmake --build "$san_dir" --target tapeflow_cpp_tests
ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  "$san_dir/tapeflow_cpp_tests" --gtest_brief=1

# Valgrind's CPU has no AVX-512, so this run also proves the build works on x86-64
# without it (and memcheck sees uninitialised reads, which ASan does not). The pool's
# worker threads are never joined by design ("possibly lost").
echo "== C++ tests under valgrind memcheck =="
valgrind -q --error-exitcode=3 --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite \
  "$build_dir/tapeflow_cpp_tests" --gtest_brief=1

echo "== Python tests (pytest) =="
$PY -m pytest -q "$@"
