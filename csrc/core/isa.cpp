#include "core/isa.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace tapeflow {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kGeneric: return "generic";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "generic";
}

namespace {

Isa detect() {
#if (defined(__x86_64__) || defined(_M_X64)) && defined(TAPEFLOW_HAVE_X86_ISAS)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return Isa::kGeneric;
  const bool osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
  if (!osxsave) return Isa::kGeneric;
  uint32_t xcr0_lo = 0, xcr0_hi = 0;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const bool ymm_os = (xcr0_lo & 0x6) == 0x6;     // SSE + AVX state
  const bool zmm_os = (xcr0_lo & 0xe6) == 0xe6;   // + opmask, ZMM hi
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return Isa::kGeneric;
  const bool avx2 = (b >> 5) & 1;
  const bool avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
  if (avx512 && avx2 && fma && f16c && zmm_os) return Isa::kAvx512;  // F, DQ, BW, VL
  if (avx2 && fma && f16c && ymm_os) return Isa::kAvx2;
#endif
  return Isa::kGeneric;
}

Isa choose() {
  Isa isa = detect();
  if (const char* env = std::getenv("TAPEFLOW_ISA")) {
    Isa want = isa;
    if (std::strcmp(env, "generic") == 0) want = Isa::kGeneric;
    else if (std::strcmp(env, "avx2") == 0) want = Isa::kAvx2;
    else if (std::strcmp(env, "avx512") == 0) want = Isa::kAvx512;
    if (static_cast<int>(want) < static_cast<int>(isa)) isa = want;
  }
  return isa;
}

}  // namespace

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

Isa active_isa() {
  static const Isa isa = choose();
  return isa;
}

}  // namespace tapeflow
