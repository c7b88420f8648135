// The CPU backend's entry points used by ops.cpp: the per-ISA kernel table, the
// strided N-operand loop, and kernels that move data rather than compute
// (cast, copy, where, gather, one_hot, random). Only ops.cpp and tests include this.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "core/array.h"
#include "core/isa.h"
#include "opdefs/conv_geometry.h"
#include "cpu/kernel_table.h"

namespace tapeflow::cpu {

// The table for the ISA in use (chosen once), or for a given ISA (tests).
const KernelTable& kernels();
const KernelTable& kernels_for(Isa isa);

// Elements below which an elementwise loop stays on one thread.
constexpr int64_t kElementwiseGrain = 1 << 15;

// One operand of a strided loop: base pointer, strides in elements (one per dim of the
// loop's shape; 0 broadcasts) and element size in bytes.
struct Operand {
  char* data;
  Strides strides;
  int64_t itemsize;
};

// Calls fn over every element of `shape`, operand 0 being the output. Coalesces
// dimensions, runs the innermost dimension as one call, splits large loops over threads.
void run_nd(const Shape& shape, std::vector<Operand> ops, InnerLoop fn, const void* ctx,
            int64_t grain = kElementwiseGrain);

// Loops that depend on the element types only, not on the ISA.
InnerLoop cast_loop(DType from, DType to);   // out = static_cast<to>(in); bool: x != 0
InnerLoop where_loop(int64_t itemsize);      // out = cond ? a : b (operands: out, cond, a, b)
void fill(const Array& out, double value);   // out contiguous
void fill_int(const Array& out, int64_t value);

// Gather rows: out[o, j, :] = in[o, idx[j], :] for contiguous in/out of `inner` bytes.
void gather_rows(const char* in, char* out, const int64_t* idx, int64_t outer, int64_t n,
                 int64_t nidx, int64_t inner_bytes);
// out[o, idx[j], :] += upd[o, j, :] for contiguous out (outer, n, inner) of dtype dt.
void scatter_add_rows(DType dt, const char* upd, char* out, const int64_t* idx, int64_t outer,
                      int64_t n, int64_t nidx, int64_t inner);

// Sparse softmax cross-entropy over `rows` contiguous rows of `classes` logits.
void sparse_softmax_xent(DType dt, int64_t rows, int64_t classes, const void* logits,
                         const int64_t* labels, void* loss, void* backprop);

// ---- convolution and pooling (cpu/conv.cpp; float32 and float64) --------------------
// Contiguous channels-last operands as ConvGeom describes them. dx and dw are written
// whole (not added to).
// bias (cout elements, may be null) and relu: the epilogue y = relu(conv + bias).
void conv_forward(const ConvGeom& g, DType dt, const void* x, const void* w, void* y,
                  const void* bias = nullptr, bool relu = false);
void conv_backprop_input(const ConvGeom& g, DType dt, const void* dy, const void* w, void* dx);
void conv_backprop_filter(const ConvGeom& g, DType dt, const void* x, const void* dy, void* dw);
enum class PoolKind { kMax, kAvg };
// Pools use g.cin == g.cout channels. Average pools divide by the window's positions
// inside the input (padding left out, as TF's SAME pooling).
void pool_forward(const ConvGeom& g, DType dt, PoolKind kind, const void* x, void* y);
// Max pool and the element index of each window's first maximum (within the image, or
// in the whole batch with include_batch).
void max_pool_argmax(const ConvGeom& g, DType dt, const void* x, void* y, int64_t* argmax,
                     bool include_batch);
// dy at each window's first maximum (in window order), per channel, summed; with
// all_maxima at every maximum of the window (TF's MaxPool3DGrad).
void max_pool_backward(const ConvGeom& g, DType dt, const void* x, const void* dy, void* dx,
                       bool all_maxima);
void avg_pool_backward(const ConvGeom& g, DType dt, const void* dy, void* dx);

// ---- batch normalisation (cpu/batch_norm.cpp; float32 and float64) -----------------
// x (rows, C) contiguous; statistics over the rows (biased variance), as Keras's
// BatchNormalization in training: y = (x - mean) / sqrt(var + eps) * gamma + beta.
void batch_norm_forward(DType dt, int64_t rows, int64_t C, const void* x, const void* gamma,
                        const void* beta, double eps, void* y, void* mean, void* var);
// Its gradient given dy (mean and var the forward's batch statistics).
void batch_norm_backward(DType dt, int64_t rows, int64_t C, const void* dy, const void* x,
                         const void* gamma, const void* mean, const void* var, double eps,
                         void* dx, void* dgamma, void* dbeta);

// ---- Philox4x32-10 random numbers ---------------------------------------------------
using PhiloxKey = std::array<uint32_t, 2>;
using PhiloxCounter = std::array<uint32_t, 4>;  // 128-bit, word 0 least significant

std::array<uint32_t, 4> philox4x32_10(PhiloxCounter counter, PhiloxKey key);
PhiloxCounter counter_add(PhiloxCounter c, uint64_t n);

enum class RandomKind { kUniform, kNormal, kTruncatedNormal, kUniformInt };
// Philox blocks (counter increments) that `n` outputs of this kind and dtype consume.
uint64_t random_blocks(RandomKind kind, DType dtype, int64_t n);
// Fills contiguous `out` (float: uniform [0,1), normal, truncated normal; int: uniform
// in [lo, hi)). Output i depends only on (key, counter, i), never on thread count.
void random_fill(const Array& out, RandomKind kind, PhiloxKey key, PhiloxCounter counter,
                 int64_t lo = 0, int64_t hi = 0);
// The same with a given ISA's kernels (tests: the output is the same for every ISA).
void random_fill(const KernelTable& kt, const Array& out, RandomKind kind, PhiloxKey key,
                 PhiloxCounter counter, int64_t lo = 0, int64_t hi = 0);

}  // namespace tapeflow::cpu
