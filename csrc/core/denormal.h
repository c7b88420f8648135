// Denormal (subnormal) floats flushed to zero while tapeflow's CPU kernels run, as
// TensorFlow's CPU kernels do (its executors hold a ScopedFlushDenormal): a denormal
// input reads as zero and a denormal result is written as zero, so
// tf.constant(1e-20) * tf.constant(1e-20) is 0.0, as in TF, and no kernel falls onto the
// CPU's slow path for denormals (an Adam moment decaying under a zero gradient reaches
// them within a few hundred steps, then each update costs ~5x). The caller's mode is
// restored afterwards, so numpy and other code in the process keep IEEE behaviour.
#pragma once

#if defined(__SSE2__) || defined(__x86_64__)
#include <xmmintrin.h>
#define TAPEFLOW_HAS_MXCSR 1
#endif

namespace tapeflow {

class FlushDenormals {
 public:
  FlushDenormals() {
#ifdef TAPEFLOW_HAS_MXCSR
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
#endif
  }
  ~FlushDenormals() {
#ifdef TAPEFLOW_HAS_MXCSR
    _mm_setcsr(saved_);
#endif
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

  // The thread's floating-point mode, and setting it: the thread pool's workers take
  // the mode of the thread that hands them a job, so a split kernel computes as the
  // caller's thread would alone.
  static unsigned float_mode() {
#ifdef TAPEFLOW_HAS_MXCSR
    return _mm_getcsr();
#else
    return 0;
#endif
  }
  static void set_float_mode([[maybe_unused]] unsigned mode) {
#ifdef TAPEFLOW_HAS_MXCSR
    _mm_setcsr(mode);
#endif
  }

 private:
  static constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
  unsigned saved_ = 0;
};

}  // namespace tapeflow
