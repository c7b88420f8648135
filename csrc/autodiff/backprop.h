// The reverse pass in C++: the one walk over a recorded tape.
//
// Every op's derivative is written once, in Python, next to the op (python/tapeflow/ops),
// with tapeflow ops: one rule serves every order, since a tape recording the backward pass
// sees ordinary ops. When no tape records the backward pass (first-order gradients), this
// walk runs the rules without Python: the first time a rule runs for a signature (its op
// and attributes, the dtypes and shapes of the op's inputs and outputs, and which inputs
// need a gradient), the rule is traced into a graph (csrc/graph) while it runs, and the
// graph is cached; later walks run the cached graph, which also fuses the rule's
// elementwise chains. Ops whose attributes are not plain data (a custom gradient's
// function) run their Python rule every time. No Python here: the bindings translate
// records into Nodes and the fallback calls the rule.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/array.h"
#include "graph/graph.h"

namespace tapeflow::autodiff {

// One recorded op. Keys identify values (tensors, variables) across nodes; the arrays are
// the values themselves (borrowed: they must outlive the backprop call).
struct Node {
  std::vector<int64_t> inputs, outputs;
  std::vector<const Array*> in_arrays, out_arrays;
  // The op and its attributes as bytes (the first part of its rule's cache key); empty:
  // the rule cannot be cached and runs through the fallback every time.
  std::string op_key;
};

// One gradient per input (undefined Array: none).
using Grads = std::vector<Array>;

// What a rule being traced must read instead of the record's own values: the record's
// inputs and outputs renamed as the inputs of the graph being traced. Null pointers: the
// rule runs on the record's values (no trace).
struct RuleArgs {
  const graph::Values* inputs = nullptr;
  const graph::Values* outputs = nullptr;
};

// Runs node `node`'s rule: (node index, traced arguments, output gradients, which inputs
// need a gradient) -> one gradient (or undefined) per input.
using Fallback = std::function<Grads(size_t node, const RuleArgs& args, const Grads& dys,
                                     const std::vector<bool>& needs)>;

// Gradients of the seeded targets with respect to `sources`, one per source (undefined:
// unconnected). seeds: (target key, its output gradient); a key seeded twice sums.
Grads backprop(const std::vector<Node>& nodes,
               const std::vector<std::pair<int64_t, Array>>& seeds,
               const std::vector<int64_t>& sources, const Fallback& fallback);

// The cache key of a node's rule graph (op_key, then dtypes and shapes, then needs).
std::string rule_signature(const Node& n, const std::vector<bool>& needs);
// How many rule graphs are cached, and forgetting them (tests, memory).
size_t cached_rules();
void clear_cached_rules();

}  // namespace tapeflow::autodiff
