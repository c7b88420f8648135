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
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/array.h"
#include "core/error.h"
#include "graph/attrs.h"

namespace tapeflow::graph {

using Values = std::vector<Array>;
using Spec = std::pair<Shape, DType>;

// What a run hands to its nodes: the captured Variables' current values (read by
// ReadVariableOp, replaced by AssignVariableOp) and which of them were assigned.
struct RunState {
  Values* variables = nullptr;
  std::vector<char>* assigned = nullptr;
};

using Kernel = std::function<Values(const Values& inputs, RunState& state)>;

class Graph;

// A node as data: what a graph file holds.
struct NodeDef {
  std::string op;               // the ops.h function (or ReadVariableOp, ...)
  Attrs attrs;                  // its non-tensor arguments
  std::vector<int32_t> inputs;  // slots read
  std::vector<int32_t> outputs; // slots written
  std::vector<Spec> specs;      // the outputs' shapes and dtypes as traced
  bool side_effect = false;     // kept even when nothing reads its outputs
  std::string origin;           // where the traced program created it (for errors)
  // Control flow: the graphs a node runs ("cond": then, else). They share the run's
  // variable table; their inputs are the node's inputs after the predicate.
  std::vector<std::shared_ptr<Graph>> subgraphs;
};

// A node ready to run: its definition and the kernel made from it (by the op registry,
// below; only nodes calling Python carry a kernel the registry cannot make).
struct Node : NodeDef {
  Kernel kernel;
};

// What a graph has besides its nodes. Slots are numbered 0..num_slots-1; each is written
// once: by the caller (inputs), by the graph (constants) or by one node, before any node
// reads it.
struct GraphLayout {
  int32_t num_slots = 0;
  int num_variables = 0;
  std::vector<int32_t> inputs, outputs;
  std::vector<Spec> output_specs;
  std::vector<std::pair<int32_t, Array>> constants;
};

// A whole graph as data.
struct GraphDef : GraphLayout {
  std::vector<NodeDef> nodes;
};

// ---- the op registry ------------------------------------------------------------------
// Every op a graph can hold, by name: a factory making the node's kernel from its
// attributes (parsed once, when the graph is built). Ops register themselves next to
// their definition in ops.cpp (TAPEFLOW_GRAPH_OP); a traced node and a node read from a
// file get their kernel from the same factory.
using KernelFactory = std::function<Kernel(const Attrs&)>;
void register_op(const std::string& name, KernelFactory factory);
bool op_registered(const std::string& name);
std::vector<std::string> registered_ops();  // sorted
// The kernel of `op` with these attributes; InvalidArgument for an unknown op or bad
// attributes (the message names the op).
Kernel make_kernel(const std::string& op, const Attrs& attrs);

// A kernel from f(inputs) returning an Array or Values (it ignores the run state).
template <class F>
Kernel kernel_of(F f) {
  return [f = std::move(f)](const Values& in, RunState&) -> Values {
    if constexpr (std::is_same_v<decltype(f(in)), Values>) {
      return f(in);
    } else {
      Values out;  // (an initializer list would copy the Array)
      out.push_back(f(in));
      return out;
    }
  };
}

class Graph {
 public:
  // Runs the graph. `variables` holds the captured Variables' values (in the order of
  // their indices); assigned ones are replaced in place and flagged in `assigned`.
  Values run(const Values& inputs, Values& variables, std::vector<char>& assigned) const;
  // Runs the graph inside a node of another graph, on that run's variable table.
  Values run_with(const Values& inputs, RunState& state) const;
  // The same on borrowed inputs (the reverse walk's rule graphs: no copies to gather).
  Values run_with(const Array* const* inputs, size_t num_inputs, RunState& state) const;

  // Builds a graph from its definition (a trace's, or one read from a file), checking
  // it: every op known and its attributes valid, every slot in range and written once
  // before it is read, variable indices in range. InvalidArgument otherwise.
  static std::shared_ptr<Graph> from_definition(GraphDef def);
  // The definition (for writing it out); nodes calling Python have no registered op.
  GraphDef definition() const;

  // Whether `other` computes the same function of its inputs: the same nodes, wiring,
  // attributes and constants (shapes seen while tracing and origins may differ). Every
  // op reads its sizes from its inputs, so a graph traced at two shapes that comes out
  // the same serves every shape of that rank.
  bool same_computation(const Graph& other) const;

  const std::vector<Node>& nodes() const { return nodes_; }
  // How many steps a run executes (nodes, with fused chains counting once).
  size_t num_steps() const { return plan_fused_.steps.size(); }
  size_t num_inputs() const { return layout_.inputs.size(); }
  size_t num_outputs() const { return layout_.outputs.size(); }
  size_t num_constants() const { return layout_.constants.size(); }
  int num_variables() const { return layout_.num_variables; }
  // The outputs' shapes and dtypes as traced.
  const std::vector<Spec>& output_specs() const { return layout_.output_specs; }
  std::string describe() const;  // one line per node, for debugging and tests

 private:
  friend class Builder;
  // What a run executes: a node, or a chain of elementwise nodes fused into one pass.
  struct Step {
    Kernel kernel;
    std::vector<int32_t> inputs, outputs;
    size_t node;        // the (last) node it runs, for error messages
    std::string label;  // "add" or "fused(add, relu)"
  };
  struct Plan {
    std::vector<Step> steps;
    std::vector<std::vector<int32_t>> release_after;  // slots last read by step i
  };
  // Takes the nodes (with kernels) in execution order and plans the runs: one step per
  // node (used while a trace records the run, so it sees every op), and the same with
  // elementwise chains fused (plan_fused_). Each slot is released after its last reader.
  void plan();
  Plan make_plan(std::vector<Step> steps) const;
  Values pass_through(const Array* const* inputs) const;

  GraphLayout layout_;
  std::vector<Node> nodes_;
  Plan plan_nodes_, plan_fused_;
  // The slots of a run, kept between runs (see run_with); busy while a run uses them.
  mutable Values scratch_;
  mutable std::atomic<bool> scratch_busy_{false};
};

class Builder {
 public:
  // resolve_variable(value): the index of the captured Variable whose current value this
  // Array is, or -1 (then an Array the trace did not make is a constant).
  // origin(): where the traced program is now (file and line), recorded per node.
  using VariableResolver = std::function<int(const Array&)>;
  using OriginHook = std::function<std::string()>;
  // `parent`: the builder of the graph a branch belongs to (tf.cond); values the parent
  // (or its parents) computes that the branch reads become the branch's inputs, in the
  // order captured() lists them (the parent's Arrays).
  Builder(VariableResolver resolve_variable, OriginHook origin, Builder* parent = nullptr);
  const Values& captured() const { return captured_; }

  // A new input slot; returns `value` renamed (a new uid) to stand for it while tracing.
  Array add_input(const Array& value);
  // Variable `var` (whose value was `old_value`) is assigned `value` from here on.
  void assign_variable(int var, const Array& old_value, const Array& value);
  // Appends a node (or folds it when every input is a constant and it has no effects).
  // `stateful`: never folded (random draws, variable reads, Python calls).
  void record(const char* op, const Attrs& attrs, const Values& inputs, const Values& outputs,
              Kernel kernel, bool stateful, bool side_effect,
              std::vector<std::shared_ptr<Graph>> subgraphs = {});
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
  // Whether `a` is computed by this builder or an outer one (captured if outer).
  bool symbolic_in_chain(const Array& a);
  void append(Node n);

  VariableResolver resolve_variable_;
  OriginHook origin_;
  Builder* parent_ = nullptr;
  Values captured_;
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

// Records a call of the registered op `op` with these attributes: runs its kernel on
// `inputs` untraced (the traced values) and appends the node. `stateful`: never folded.
Values record(const char* op, const Values& inputs, const Attrs& attrs, bool stateful = false);

// Runs f(inputs) untraced and records it as one node with kernel f and no registered op
// (nodes calling Python): such a graph runs but cannot be written to a file.
Values record_call(const char* op, const Values& inputs,
                   std::function<Values(const Values&)> f, bool stateful = false,
                   bool side_effect = false);

// tf.cond while tracing: a "cond" node running `then_graph` on `then_captured` when the
// one-element `pred` is true at run time, else `else_graph` on `else_captured` (both
// traced by branch Builders of the active one). `outputs`: the branch values the trace
// continues with (the taken branch's); returns them renamed as the node's outputs.
Values record_cond(const Array& pred, std::shared_ptr<Graph> then_graph,
                   const Values& then_captured, std::shared_ptr<Graph> else_graph,
                   const Values& else_captured, const Values& outputs);

// Python branched on `bool(cond) == expected` (a one-element Array): while tracing,
// records a node that checks the same at every run and raises kGuardFailed when it
// differs, so the caller can trace the other path. Otherwise checks now.
void guard(const Array& cond, bool expected);

// Registers `factory` for `name` when the program starts (see TAPEFLOW_GRAPH_OP).
struct OpRegistration {
  OpRegistration(const char* name, KernelFactory factory) {
    register_op(name, std::move(factory));
  }
};

}  // namespace tapeflow::graph

// The first line of a traceable op in ops.cpp: while tracing, record this call as a node
// of the registered op `op` with attributes `attrs` and return its (single) result.
#define TAPEFLOW_TRACE(op, inputs, attrs)                                  \
  do {                                                                     \
    if (::tapeflow::graph::recording())                                    \
      return ::tapeflow::graph::record(op, inputs, attrs)[0];              \
  } while (0)

// Registers a graph op next to its definition: `TAPEFLOW_GRAPH_OP("reshape", a) { ...
// return kernel_of(...); }` where `a` names the node's Attrs inside the body.
#define TAPEFLOW_GRAPH_OP_CAT2(x, y) x##y
#define TAPEFLOW_GRAPH_OP_CAT(x, y) TAPEFLOW_GRAPH_OP_CAT2(x, y)
#define TAPEFLOW_GRAPH_OP(name, attrs)                                                     \
  static ::tapeflow::graph::Kernel TAPEFLOW_GRAPH_OP_CAT(graph_op_, __LINE__)(              \
      const ::tapeflow::graph::Attrs&);                                                    \
  static const ::tapeflow::graph::OpRegistration TAPEFLOW_GRAPH_OP_CAT(graph_reg_, __LINE__)( \
      name, &TAPEFLOW_GRAPH_OP_CAT(graph_op_, __LINE__));                                  \
  static ::tapeflow::graph::Kernel TAPEFLOW_GRAPH_OP_CAT(graph_op_, __LINE__)(              \
      [[maybe_unused]] const ::tapeflow::graph::Attrs& attrs)
