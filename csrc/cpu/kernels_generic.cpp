// CPU kernels built for the generic instruction set (flags set in CMakeLists.txt).
#define TAPEFLOW_FILL_FN fill_kernels_generic
#define TAPEFLOW_ISA_LABEL "generic"
#include "cpu/kernels_impl.inc"
