// The graph IR and its executor.
//
// A Graph is a list of nodes in execution order. Each node names its op (the ops.h
// function it runs), reads value slots and writes new ones; constants and captured
// Variables are inputs like any other. Graphs are made by tracing: while a Builder is
// active on a thread, every top-level call into ops.h (see recording() below) runs as
// usual AND appends a node whose kernel repeats the call on new inputs with the same
// attributes. The traced call's own values identify the slots (Array::uid). Calls whose
// inputs are all constants are folded (their traced value becomes a constant), nodes
// whose results nothing uses are pruned, and each slot is released right after its last
// reader, so a run holds only live values. A run calls no Python, except the nodes that
// exist to call Python (tf.print, tf.py_function: see PyCall in the bindings).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/array.h"
#include "core/error.h"

namespace tapeflow::graph {

using Values = std::vector<Array>;

// What a run hands to its nodes: the captured Variables' current values (read by
// ReadVariableOp, replaced by AssignVariableOp) and which of them were assigned.
struct RunState {
  Values* variables = nullptr;
  std::vector<char>* assigned = nullptr;
};

using Kernel = std::function<Values(const Values& inputs, RunState& state)>;

struct Node {
  std::string op;               // the ops.h function (or ReadVariableOp, ...)
  std::vector<int32_t> inputs;  // slots read
  std::vector<int32_t> outputs; // slots written
  Kernel kernel;
  bool side_effect = false;     // kept even when nothing reads its outputs
  std::string origin;           // where the traced program created it (for errors)
};

class Graph {
 public:
  // Runs the graph. `variables` holds the captured Variables' values (in the order of
  // their indices); assigned ones are replaced in place and flagged in `assigned`.
  Values run(const Values& inputs, Values& variables, std::vector<char>& assigned) const;

  const std::vector<Node>& nodes() const { return nodes_; }
  size_t num_inputs() const { return input_slots_.size(); }
  size_t num_outputs() const { return output_slots_.size(); }
  size_t num_constants() const { return constants_.size(); }
  int num_variables() const { return num_variables_; }
  // The outputs' shapes and dtypes as traced.
  const std::vector<std::pair<Shape, DType>>& output_specs() const { return output_specs_; }
  std::string describe() const;  // one line per node, for debugging and tests

 private:
  friend class Builder;
  int32_t num_slots_ = 0;
  int num_variables_ = 0;
  std::vector<int32_t> input_slots_, output_slots_;
  std::vector<std::pair<Shape, DType>> output_specs_;
  std::vector<std::pair<int32_t, Array>> constants_;
  std::vector<Node> nodes_;
  std::vector<std::vector<int32_t>> release_after_;  // slots last read by node i
};

class Builder {
 public:
  // resolve_variable(value): the index of the captured Variable whose current value this
  // Array is, or -1 (then an Array the trace did not make is a constant).
  // origin(): where the traced program is now (file and line), recorded per node.
  using VariableResolver = std::function<int(const Array&)>;
  using OriginHook = std::function<std::string()>;
  Builder(VariableResolver resolve_variable, OriginHook origin);

  // A new input slot; returns `value` renamed (a new uid) to stand for it while tracing.
  Array add_input(const Array& value);
  // Variable `var` (whose value was `old_value`) is assigned `value` from here on.
  void assign_variable(int var, const Array& old_value, const Array& value);
  // Appends a node (or folds it when every input is a constant and it has no effects).
  // `stateful`: never folded (random draws, variable reads, Python calls).
  void record(const char* op, const Values& inputs, const Values& outputs, Kernel kernel,
              bool stateful, bool side_effect);
  // Whether `a` is a value computed by the graph (not a constant of the trace).
  bool is_symbolic(const Array& a);
  // The op that computed `a` ("" for inputs and constants), for printing traced tensors.
  std::string producer(const Array& a);
  int num_variables() const { return num_variables_; }
  void set_num_variables(int n) { num_variables_ = n; }
  // The finished graph returning `outputs` (each a value of this trace or a constant).
  std::shared_ptr<Graph> finish(const Values& outputs);

 private:
  struct Slot {
    bool constant;
    Array value;  // the traced value (keeps it alive, so uids are never reused)
    std::string producer;
  };
  int32_t lookup(const Array& a);
  int32_t new_slot(const Array& value, bool constant);

  VariableResolver resolve_variable_;
  OriginHook origin_;
  std::vector<Slot> slots_;
  std::unordered_map<uint64_t, int32_t> slot_of_;
  std::vector<int32_t> inputs_;
  std::vector<Node> nodes_;
  int num_variables_ = 0;
};

// ---- recording (used by ops.cpp) ---------------------------------------------------
// The active builder of this thread and how deep in ops.h calls it is: only calls made
// at depth 0 (from Python, the reverse pass, or a graph being run) are recorded; an op's
// own calls to other ops are part of its node.
struct TraceState {
  Builder* builder = nullptr;
  int depth = 0;
};
TraceState& trace_state();

inline bool recording() {
  const TraceState& t = trace_state();
  return t.builder != nullptr && t.depth == 0;
}

// While alive, ops.h calls on this thread are not recorded (they run inside a node).
class Untraced {
 public:
  Untraced() { ++trace_state().depth; }
  ~Untraced() { --trace_state().depth; }
  Untraced(const Untraced&) = delete;
  Untraced& operator=(const Untraced&) = delete;
};

// Makes `builder` the thread's active one for the scope's lifetime (nullptr: none).
class ActiveBuilder {
 public:
  explicit ActiveBuilder(Builder* builder);
  ~ActiveBuilder();
  ActiveBuilder(const ActiveBuilder&) = delete;
  ActiveBuilder& operator=(const ActiveBuilder&) = delete;

 private:
  TraceState saved_;
};

// Runs f(inputs) untraced and records it as one node with kernel f (attributes are what
// f captured). Returns f's results.
Values record_call(const char* op, const Values& inputs,
                   std::function<Values(const Values&)> f, bool stateful = false,
                   bool side_effect = false);

// Python branched on `bool(cond) == expected` (a one-element Array): while tracing,
// records a node that checks the same at every run and raises kGuardFailed when it
// differs, so the caller can trace the other path. Otherwise checks now.
void guard(const Array& cond, bool expected);

template <class F>
Array record1(const char* op, const Values& inputs, F f) {
  return record_call(op, inputs, [f](const Values& in) { return Values{f(in)}; })[0];
}

}  // namespace tapeflow::graph

// The first line of a traceable op in ops.cpp: while tracing, record this call as a node
// whose kernel evaluates `expr` (written with `in[i]` for the i-th input) and return.
#define TAPEFLOW_TRACE(op, inputs, expr)                                           \
  do {                                                                             \
    if (::tapeflow::graph::recording())                                            \
      return ::tapeflow::graph::record1(op, inputs,                                \
                                        [=](const ::tapeflow::graph::Values& in) { \
                                          return expr;                             \
                                        });                                        \
  } while (0)
