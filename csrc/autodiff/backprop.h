// The first-order reverse pass in C++: the walk over a recorded tape and the gradient
// rules of the commonest ops, written with ops:: calls (so they run on any device).
//
// Python's tape (python/tapeflow/autodiff) records every op with a backward function made
// of tapeflow ops: those rules are the reference, and the only ones used when a tape is
// recording the backward pass itself (higher derivatives). When nothing records, the
// gradient's ops need no recording and no Python Tensors, and this engine computes the
// same numbers with the same kernels, calling back into Python only for ops without a
// native rule. No Python here: the bindings translate records into Nodes.
#pragma once
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "core/array.h"
#include "ops.h"

namespace tapeflow::autodiff {

// Ops with a native rule, by what they compute. Records name them by TF op name
// (rule_names()); several names can share a rule (ReadVariableOp and Identity).
enum class Rule : int32_t {
  kNone = -1,  // no native rule: the engine calls the fallback (Python's rule)
  kIdentity,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kNeg,
  kSquare,
  kExp,
  kLog,
  kSqrt,
  kTanh,
  kSigmoid,
  kRelu,
  kMatMul,     // attrs: {transpose_a, transpose_b}
  kSum,        // attrs: the reduced axes (has_attrs false: all axes)
  kMean,       // as kSum
  kReshape,    // Reshape, ExpandDims, Squeeze: back to the input's shape
  kBroadcastTo,
  kCast,
  kSoftmax,    // attrs: {axis}
  kSparseXent, // saved: softmax(logits) - one_hot(labels), from the forward pass
  kSelect,     // SelectV2 (condition, x, y)
  kLog1p,
  kExpm1,
  kAbs,
  kSoftplus,
  kMaximum,
  kMinimum,
  kTranspose,  // attrs: the permutation
  kLogSumExp,  // attrs: as kSum
  kRsqrt,
  kReciprocal,
  kSin,
  kCos,
  kErf,
  kPow,
  kMaxMin,     // reduce_max / reduce_min; attrs: as kSum
  kGather,     // attrs: {axis}; saved: the indices
  kConcat,     // attrs: {axis}
  kTile,       // attrs: the multiples
  kPad,        // attrs: {before_0, after_0, before_1, ...} (constant padding)
  kSlice,      // StridedSlice; slices: the indexing of the forward pass
};

struct RuleName {
  const char* tf_name;
  Rule rule;
};
const std::vector<RuleName>& rule_names();

// One recorded op. Keys identify values (tensors, variables) across nodes; the arrays
// are the values themselves (borrowed: they must outlive the backprop call), needed only
// by native rules (null where unknown).
struct Node {
  Rule rule = Rule::kNone;
  std::vector<int64_t> inputs, outputs;
  std::vector<const Array*> in_arrays, out_arrays;
  std::vector<int64_t> attrs;
  bool has_attrs = false;
  const Array* saved = nullptr;  // an Array the forward pass kept (see Rule)
  std::vector<ops::SliceArg> slices;
};

// One gradient per input (undefined Array: none).
using Grads = std::vector<Array>;
// For a node without a native rule: (node index, output gradients, which inputs need a
// gradient) -> one gradient per input.
using Fallback = std::function<Grads(size_t, const Grads&, const std::vector<bool>&)>;

// Gradients of the seeded targets with respect to `sources`, one per source (undefined:
// unconnected). seeds: (target key, its output gradient); a key seeded twice sums.
Grads backprop(const std::vector<Node>& nodes,
               const std::vector<std::pair<int64_t, Array>>& seeds,
               const std::vector<int64_t>& sources, const Fallback& fallback);

// One native rule: the input gradients of `node` given its output gradients.
Grads apply_rule(const Node& node, const Grads& dys, const std::vector<bool>& needs);

}  // namespace tapeflow::autodiff
