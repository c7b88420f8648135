// CPU kernels built for the avx2 instruction set (flags set in CMakeLists.txt).
#define TAPEFLOW_FILL_FN fill_kernels_avx2
#define TAPEFLOW_ISA_LABEL "avx2"
#include "cpu/kernels_impl.inc"
