// CPU kernels built for the avx512 instruction set (flags set in CMakeLists.txt).
#define TAPEFLOW_FILL_FN fill_kernels_avx512
#define TAPEFLOW_ISA_LABEL "avx512"
#include "cpu/kernels_impl.inc"
