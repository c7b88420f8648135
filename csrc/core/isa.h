// Instruction-set level for the CPU kernels, chosen once from CPUID.
#pragma once

namespace tapeflow {

enum class Isa : int { kGeneric = 0, kAvx2 = 1, kAvx512 = 2 };

const char* isa_name(Isa isa);
// Best level this CPU and this build support.
Isa detected_isa();
// Level in use: detected_isa(), lowered by TAPEFLOW_ISA=avx512|avx2|generic if set
// (a request above what the CPU supports is clamped to what it supports).
Isa active_isa();

}  // namespace tapeflow
