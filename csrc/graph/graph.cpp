#include "graph/graph.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "ops.h"

namespace tapeflow::graph {

TraceState& trace_state() {
  thread_local TraceState state;
  return state;
}

ActiveBuilder::ActiveBuilder(Builder* builder) : saved_(trace_state()) {
  trace_state() = TraceState{builder, 0};
}

ActiveBuilder::~ActiveBuilder() { trace_state() = saved_; }

// ---- the op registry ------------------------------------------------------------------

namespace {
std::unordered_map<std::string, KernelFactory>& registry() {
  static std::unordered_map<std::string, KernelFactory> table;
  return table;
}
}  // namespace

void register_op(const std::string& name, KernelFactory factory) {
  registry()[name] = std::move(factory);
}

bool op_registered(const std::string& name) { return registry().count(name) != 0; }

std::vector<std::string> registered_ops() {
  std::vector<std::string> names;
  for (const auto& kv : registry()) names.push_back(kv.first);
  std::sort(names.begin(), names.end());
  return names;
}

Kernel make_kernel(const std::string& op, const Attrs& attrs) {
  const auto it = registry().find(op);
  TAPEFLOW_CHECK(it != registry().end(), "[graph] unknown op '", op, "'");
  try {
    return it->second(attrs);
  } catch (const Error& e) {
    throw Error(e.kind(), std::string(e.what()) + " (op '" + op + "')");
  }
}

// ---- recording ------------------------------------------------------------------------

Values record(const char* op, const Values& inputs, const Attrs& attrs, bool stateful) {
  Builder* const builder = trace_state().builder;
  Kernel kernel = make_kernel(op, attrs);
  Values out;
  {
    Untraced inside;
    RunState none;
    out = kernel(inputs, none);
  }
  builder->record(op, attrs, inputs, out, std::move(kernel), stateful, false);
  return out;
}

Values record_call(const char* op, const Values& inputs, std::function<Values(const Values&)> f,
                   bool stateful, bool side_effect) {
  Builder* const builder = trace_state().builder;
  Values out;
  {
    Untraced inside;
    out = f(inputs);
  }
  builder->record(op, Attrs{}, inputs, out,
                  [f = std::move(f)](const Values& in, RunState&) { return f(in); }, stateful,
                  side_effect);
  return out;
}

namespace {
bool truth(const Array& cond, const char* op) {
  Untraced inside;
  TAPEFLOW_CHECK(cond.size() == 1, "[", op, "] the truth value of ", cond.describe(),
                 " is ambiguous");
  const Array h = ops::cast(ops::to_device(cond, cpu_device()), DType::kFloat64);
  return *h.data<double>() != 0.0;
}

void check_guard(const Array& cond, bool expected) {
  if (truth(cond, "guard") != expected)
    raise(ErrorKind::kGuardFailed, "[guard] the traced Python branch does not hold");
}

Kernel cond_kernel(std::shared_ptr<const Graph> then_g, std::shared_ptr<const Graph> else_g) {
  const size_t n_then = then_g->num_inputs();
  return [then_g, else_g, n_then](const Values& in, RunState& s) {
    if (truth(in.at(0), "cond"))
      return then_g->run_with(Values(in.begin() + 1, in.begin() + 1 + n_then), s);
    return else_g->run_with(Values(in.begin() + 1 + n_then, in.end()), s);
  };
}

bool has_effects(const Graph& g) {
  for (const Node& n : g.nodes())
    if (n.side_effect) return true;
  return false;
}

Kernel guard_kernel(const Attrs& a) {
  const bool expected = a.b("expected");
  return kernel_of([expected](const Values& in) {
    check_guard(in.at(0), expected);
    return Values{};
  });
}
const OpRegistration kGuard("guard", guard_kernel);
// Listed so that graphs holding it can be written out; its kernel is made from its
// subgraphs (Graph::from_definition, record_cond), never from attributes alone.
const OpRegistration kCond("cond", [](const Attrs&) -> Kernel {
  raise(ErrorKind::kInvalidArgument, "[graph] a 'cond' node needs its two subgraphs");
});

// Captured Variables, by their index in the run's variable table (checked against the
// graph's count when it is built).
const OpRegistration kReadVariable("ReadVariableOp", [](const Attrs& a) -> Kernel {
  const int64_t var = a.i("variable");
  return [var](const Values&, RunState& s) { return Values{(*s.variables)[var]}; };
});
const OpRegistration kAssignVariable("AssignVariableOp", [](const Attrs& a) -> Kernel {
  const int64_t var = a.i("variable");
  return [var](const Values& in, RunState& s) {
    (*s.variables)[var] = in[0];
    (*s.assigned)[var] = 1;
    return Values{};
  };
});
}  // namespace

Values record_cond(const Array& pred, std::shared_ptr<Graph> then_graph,
                   const Values& then_captured, std::shared_ptr<Graph> else_graph,
                   const Values& else_captured, const Values& outputs) {
  TAPEFLOW_CHECK_KIND(recording(), kInternal, "[cond] record_cond outside a trace");
  TAPEFLOW_CHECK(then_graph->num_inputs() == then_captured.size() &&
                     else_graph->num_inputs() == else_captured.size(),
                 "[cond] each branch takes its captured values");
  TAPEFLOW_CHECK(then_graph->num_outputs() == outputs.size() &&
                     else_graph->num_outputs() == outputs.size(),
                 "[cond] both branches must return ", outputs.size(), " values");
  Values inputs{pred};
  inputs.insert(inputs.end(), then_captured.begin(), then_captured.end());
  inputs.insert(inputs.end(), else_captured.begin(), else_captured.end());
  Values outs;
  for (const Array& o : outputs) outs.push_back(o.renamed());
  const bool effects = has_effects(*then_graph) || has_effects(*else_graph);
  trace_state().builder->record(
      "cond", Attrs{{"then_inputs", static_cast<int64_t>(then_captured.size())}}, inputs, outs,
      cond_kernel(then_graph, else_graph), /*stateful=*/true, effects, {then_graph, else_graph});
  return outs;
}

void guard(const Array& cond, bool expected) {
  if (recording()) {
    Builder* const builder = trace_state().builder;
    const Attrs attrs{{"expected", int64_t{expected}}};
    check_guard(cond, expected);
    builder->record("guard", attrs, {cond}, {}, guard_kernel(attrs), /*stateful=*/true,
                    /*side_effect=*/true);
    return;
  }
  check_guard(cond, expected);
}

// ---- Builder ------------------------------------------------------------------------

Builder::Builder(VariableResolver resolve_variable, OriginHook origin, Builder* parent)
    : resolve_variable_(std::move(resolve_variable)), origin_(std::move(origin)),
      parent_(parent) {}

bool Builder::symbolic_in_chain(const Array& a) {
  const auto it = slot_of_.find(a.uid());
  if (it != slot_of_.end()) return !slots_[it->second].constant;
  if (resolve_variable_ && resolve_variable_(a) >= 0) return !slots_[lookup(a)].constant;
  if (parent_ == nullptr || !parent_->symbolic_in_chain(a)) return false;
  const int32_t slot = new_slot(a, false);  // an outer value: an input of this branch
  slots_.back().producer = "capture";
  inputs_.push_back(slot);
  captured_.push_back(a);
  return true;
}

int32_t Builder::new_slot(const Array& value, bool constant) {
  const auto slot = static_cast<int32_t>(slots_.size());
  slots_.push_back(Slot{constant, value, std::string()});
  slot_of_[value.uid()] = slot;
  return slot;
}

Array Builder::add_input(const Array& value) {
  Array renamed = value.renamed();
  inputs_.push_back(new_slot(renamed, false));
  return renamed;
}

int32_t Builder::lookup(const Array& a) {
  TAPEFLOW_CHECK_KIND(a.defined(), kInternal, "[graph] an undefined Array reached the trace");
  const auto it = slot_of_.find(a.uid());
  if (it != slot_of_.end()) return it->second;
  const int var = resolve_variable_ ? resolve_variable_(a) : -1;
  if (var < 0) {
    if (parent_ != nullptr && symbolic_in_chain(a)) return slot_of_.at(a.uid());
    return new_slot(a, true);
  }
  // The current value of a captured Variable: read it where the trace first used it.
  const int32_t slot = new_slot(a, false);
  slots_.back().producer = "ReadVariableOp";
  Node n;
  n.op = "ReadVariableOp";
  n.attrs = Attrs{{"variable", int64_t{var}}};
  n.outputs = {slot};
  n.specs = {Spec(a.shape(), a.dtype())};
  n.kernel = make_kernel(n.op, n.attrs);
  append(std::move(n));
  return slot;
}

void Builder::assign_variable(int var, const Array& old_value, const Array& value) {
  TAPEFLOW_CHECK_KIND(var >= 0 && var < num_variables_, kInternal,
                      "[graph] assignment to unknown variable ", var);
  lookup(old_value);  // a value read before the assignment keeps the old value
  Node n;
  n.op = "AssignVariableOp";
  n.attrs = Attrs{{"variable", int64_t{var}}};
  n.inputs = {lookup(value)};
  n.side_effect = true;
  n.kernel = make_kernel(n.op, n.attrs);
  append(std::move(n));
}

void Builder::append(Node n) {
  n.origin = origin_ ? origin_() : std::string();
  nodes_.push_back(std::move(n));
}

void Builder::record(const char* op, const Attrs& attrs, const Values& inputs,
                     const Values& outputs, Kernel kernel, bool stateful, bool side_effect,
                     std::vector<std::shared_ptr<Graph>> subgraphs) {
  std::vector<int32_t> in_slots;
  in_slots.reserve(inputs.size());
  bool all_constant = !stateful && !side_effect;
  for (const Array& x : inputs) {
    in_slots.push_back(lookup(x));
    all_constant = all_constant && slots_[in_slots.back()].constant;
  }
  if (all_constant) {  // folded: the traced results are the graph's constants
    for (const Array& y : outputs) new_slot(y, true);
    return;
  }
  Node n;
  n.op = op;
  n.attrs = attrs;
  n.inputs = std::move(in_slots);
  for (const Array& y : outputs) {
    n.outputs.push_back(new_slot(y, false));
    n.specs.emplace_back(y.shape(), y.dtype());
    slots_.back().producer = op;
  }
  n.kernel = std::move(kernel);
  n.side_effect = side_effect;
  n.subgraphs = std::move(subgraphs);
  append(std::move(n));
}

bool Builder::is_symbolic(const Array& a) {
  if (!a.defined()) return false;
  return !slots_[lookup(a)].constant;
}

std::string Builder::producer(const Array& a) {
  if (!a.defined()) return std::string();
  return slots_[lookup(a)].producer;
}

std::shared_ptr<Graph> Builder::finish(const Values& outputs) {
  auto g = std::make_shared<Graph>();
  for (const Array& y : outputs) {
    g->layout_.outputs.push_back(lookup(y));
    g->layout_.output_specs.emplace_back(y.shape(), y.dtype());
  }
  g->layout_.inputs = inputs_;
  g->layout_.num_variables = num_variables_;
  // Keep the nodes that produce an output or have an effect, and what they read.
  std::vector<char> needed(slots_.size(), 0);
  for (const int32_t s : g->layout_.outputs) needed[s] = 1;
  std::vector<char> keep(nodes_.size(), 0);
  for (size_t i = nodes_.size(); i-- > 0;) {
    const Node& n = nodes_[i];
    bool k = n.side_effect;
    for (const int32_t s : n.outputs) k = k || needed[s];
    if (!k) continue;
    keep[i] = 1;
    for (const int32_t s : n.inputs) needed[s] = 1;
  }
  // Renumber the slots that survive: inputs first, then constants, then node outputs.
  std::vector<int32_t> renum(slots_.size(), -1);
  int32_t next = 0;
  const auto give = [&](int32_t s) {
    if (renum[s] < 0) renum[s] = next++;
    return renum[s];
  };
  for (int32_t& s : g->layout_.inputs) s = give(s);
  for (size_t s = 0; s < slots_.size(); ++s)
    if (needed[s] && slots_[s].constant) g->layout_.constants.emplace_back(give(s), slots_[s].value);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!keep[i]) continue;
    Node n = std::move(nodes_[i]);
    for (int32_t& s : n.inputs) s = give(s);
    for (int32_t& s : n.outputs) s = give(s);
    g->nodes_.push_back(std::move(n));
  }
  for (int32_t& s : g->layout_.outputs) s = give(s);
  g->layout_.num_slots = next;
  nodes_.clear();
  g->plan();
  return g;
}

// ---- Graph ------------------------------------------------------------------------

Graph::Plan Graph::make_plan(std::vector<Step> steps) const {
  Plan p;
  std::vector<int64_t> last_read(layout_.num_slots, -1);
  for (size_t i = 0; i < steps.size(); ++i)
    for (const int32_t s : steps[i].inputs) last_read[s] = static_cast<int64_t>(i);
  std::vector<char> pinned(layout_.num_slots, 0);
  for (const int32_t s : layout_.outputs) pinned[s] = 1;
  for (const auto& c : layout_.constants) pinned[c.first] = 1;
  p.release_after.assign(steps.size(), {});
  for (int32_t s = 0; s < layout_.num_slots; ++s)
    if (!pinned[s] && last_read[s] >= 0) p.release_after[last_read[s]].push_back(s);
  p.steps = std::move(steps);
  return p;
}

void Graph::plan() {
  std::vector<Step> one_each;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    one_each.push_back(Step{n.kernel, n.inputs, n.outputs, i, n.op});
  }
  plan_nodes_ = make_plan(one_each);

  // Fusion: an elementwise node whose result only the next elementwise node of its chain
  // reads (same output shape, traced) joins that node's chain; the chain runs where its
  // last node was, as one ops::elementwise_chain over the chain's outside inputs. Nodes
  // with an operand that broadcasts (neither the result's shape nor one element) stay
  // on their own.
  std::vector<int> readers(layout_.num_slots, 0);
  for (const Node& n : nodes_)
    for (const int32_t s : n.inputs) ++readers[s];
  for (const int32_t s : layout_.outputs) readers[s] += 2;  // never an intermediate
  std::vector<std::optional<Shape>> shape_of(layout_.num_slots);
  for (const auto& c : layout_.constants) shape_of[c.first] = c.second.shape();
  for (const Node& n : nodes_)
    for (size_t k = 0; k < n.outputs.size() && k < n.specs.size(); ++k)
      shape_of[n.outputs[k]] = n.specs[k].first;
  struct Chain {
    std::vector<ops::ChainStep> steps;
    std::vector<int32_t> inputs;  // outside slots, in operand order
    std::vector<std::string> ops;
    Shape shape;
  };
  const size_t npos = static_cast<size_t>(-1), superseded = npos - 1;
  std::vector<Chain> chains;
  std::unordered_map<int32_t, size_t> chain_of;  // an open chain's result slot -> chain
  std::vector<std::pair<size_t, size_t>> order;  // (node, its chain, npos or superseded)
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    std::optional<ops::ChainStep> step =
        n.subgraphs.empty() && n.outputs.size() == 1 && !n.specs.empty()
            ? ops::chain_step(n.op) : std::nullopt;
    if (step) {
      const Shape& out = n.specs[0].first;
      int64_t out_size = 1;
      for (const int64_t d : out) out_size *= d;
      for (const int32_t s : n.inputs) {
        const std::optional<Shape>& sh = shape_of[s];
        if (!sh || *sh == out) continue;
        int64_t size = 1;
        for (const int64_t d : *sh) size *= d;
        if (size != 1 || sh->size() > out.size() || out_size == 0) step.reset();
      }
    }
    if (!step) {
      order.emplace_back(i, npos);
      continue;
    }
    size_t joined = npos;  // the open chain whose result only this node reads
    for (const int32_t s : n.inputs) {
      const auto it = chain_of.find(s);
      if (joined == npos && it != chain_of.end() && readers[s] == 1 &&
          chains[it->second].shape == n.specs[0].first)
        joined = it->second;
    }
    if (joined == npos) {
      joined = chains.size();
      chains.push_back(Chain{{}, {}, {}, n.specs[0].first});
    }
    Chain& c = chains[joined];
    int refs[2] = {0, 0};
    for (size_t k = 0; k < n.inputs.size() && k < 2; ++k) {
      const int32_t s = n.inputs[k];
      const auto it = chain_of.find(s);
      if (it != chain_of.end() && it->second == joined && readers[s] == 1 && !c.steps.empty()) {
        refs[k] = -1;  // the chain's last result so far
        chain_of.erase(it);
      } else {
        refs[k] = static_cast<int>(c.inputs.size());
        c.inputs.push_back(s);
      }
    }
    step->a = refs[0];
    step->b = refs[1];
    c.steps.push_back(*step);
    c.ops.push_back(n.op);
    chain_of[n.outputs[0]] = joined;
    for (auto& o : order)  // the chain now runs here, after its last node
      if (o.second == joined) o.second = superseded;
    order.emplace_back(i, joined);
  }
  std::vector<Step> fused;
  for (const auto& [i, ci] : order) {
    const Node& n = nodes_[i];
    if (ci == superseded) continue;
    if (ci == npos || chains[ci].steps.size() == 1) {
      fused.push_back(Step{n.kernel, n.inputs, n.outputs, i, n.op});
      continue;
    }
    const Chain& c = chains[ci];
    std::string label = "fused(";
    for (size_t k = 0; k < c.ops.size(); ++k) label += (k ? ", " : "") + c.ops[k];
    label += ")";
    fused.push_back(Step{kernel_of([steps = c.steps](const Values& in) {
                           return ops::elementwise_chain(steps, in);
                         }),
                         c.inputs, n.outputs, i, label});
  }
  plan_fused_ = make_plan(std::move(fused));
}

std::shared_ptr<Graph> Graph::from_definition(GraphDef def) {
  constexpr int32_t kMaxSlots = 1 << 24;
  constexpr int kMaxVariables = 1 << 20;
  TAPEFLOW_CHECK(def.num_slots >= 0 && def.num_slots <= kMaxSlots, "[graph] num_slots ",
                 def.num_slots, " is out of range [0, ", kMaxSlots, "]");
  TAPEFLOW_CHECK(def.num_variables >= 0 && def.num_variables <= kMaxVariables,
                 "[graph] num_variables ", def.num_variables, " is out of range");
  std::vector<char> written(static_cast<size_t>(def.num_slots), 0);
  const auto write = [&](int32_t s, const char* what) {
    TAPEFLOW_CHECK(s >= 0 && s < def.num_slots, "[graph] ", what, " slot ", s,
                   " is out of range [0, ", def.num_slots, ")");
    TAPEFLOW_CHECK(!written[s], "[graph] slot ", s, " is written twice (", what, ")");
    written[s] = 1;
  };
  const auto read = [&](int32_t s, const char* what) {
    TAPEFLOW_CHECK(s >= 0 && s < def.num_slots, "[graph] ", what, " slot ", s,
                   " is out of range [0, ", def.num_slots, ")");
    TAPEFLOW_CHECK(written[s], "[graph] slot ", s, " is read (", what,
                   ") before anything writes it");
  };
  auto g = std::make_shared<Graph>();
  for (const int32_t s : def.inputs) write(s, "input");
  for (const auto& c : def.constants) {
    write(c.first, "constant");
    TAPEFLOW_CHECK(c.second.defined(), "[graph] constant slot ", c.first, " has no value");
  }
  g->nodes_.reserve(def.nodes.size());
  for (size_t i = 0; i < def.nodes.size(); ++i) {
    NodeDef& d = def.nodes[i];
    const std::string where = "node " + std::to_string(i) + " '" + d.op + "'";
    for (const int32_t s : d.inputs) read(s, where.c_str());
    for (const int32_t s : d.outputs) write(s, where.c_str());
    TAPEFLOW_CHECK(d.specs.size() == d.outputs.size(), "[graph] ", where, " has ",
                   d.outputs.size(), " outputs but ", d.specs.size(), " output specs");
    for (const auto& sub : d.subgraphs) {
      TAPEFLOW_CHECK(sub != nullptr && sub->num_variables() <= def.num_variables, "[graph] ",
                     where, " has a subgraph using more variables than the graph");
    }
    if (d.attrs.has("variable")) {
      const int64_t v = d.attrs.i("variable");
      TAPEFLOW_CHECK(v >= 0 && v < def.num_variables, "[graph] ", where, " uses variable ", v,
                     " of ", def.num_variables);
    }
    Node n;
    static_cast<NodeDef&>(n) = std::move(d);
    if (n.op == "cond") {
      TAPEFLOW_CHECK(n.subgraphs.size() == 2, "[graph] ", where, " needs 2 subgraphs");
      const auto &t = n.subgraphs[0], &e = n.subgraphs[1];
      TAPEFLOW_CHECK(n.attrs.i("then_inputs") == static_cast<int64_t>(t->num_inputs()) &&
                         n.inputs.size() == 1 + t->num_inputs() + e->num_inputs() &&
                         n.outputs.size() == t->num_outputs() &&
                         n.outputs.size() == e->num_outputs(),
                     "[graph] ", where, ": its inputs and outputs do not match its branches");
      n.kernel = cond_kernel(t, e);
    } else {
      TAPEFLOW_CHECK(n.subgraphs.empty(), "[graph] ", where, " cannot hold subgraphs");
      n.kernel = make_kernel(n.op, n.attrs);
    }
    g->nodes_.push_back(std::move(n));
  }
  for (const int32_t s : def.outputs) read(s, "output");
  TAPEFLOW_CHECK(def.output_specs.size() == def.outputs.size(), "[graph] ", def.outputs.size(),
                 " outputs but ", def.output_specs.size(), " output specs");
  g->layout_ = std::move(static_cast<GraphLayout&>(def));
  g->plan();
  return g;
}

GraphDef Graph::definition() const {
  GraphDef def;
  static_cast<GraphLayout&>(def) = layout_;
  def.nodes.reserve(nodes_.size());
  for (const Node& n : nodes_) def.nodes.push_back(static_cast<const NodeDef&>(n));
  return def;
}

Values Graph::run(const Values& inputs, Values& variables, std::vector<char>& assigned) const {
  TAPEFLOW_CHECK(inputs.size() == layout_.inputs.size(), "[graph] expected ",
                 layout_.inputs.size(), " inputs, got ", inputs.size());
  TAPEFLOW_CHECK(static_cast<int>(variables.size()) == layout_.num_variables, "[graph] expected ",
                 layout_.num_variables, " variables, got ", variables.size());
  assigned.assign(variables.size(), 0);
  RunState state{&variables, &assigned};
  return run_with(inputs, state);
}

// A graph without nodes returns some of its inputs and constants (a gradient rule such as
// Identity's or AddV2's at equal shapes): no slots to fill.
Values Graph::pass_through(const Array* const* inputs) const {
  Values result;
  result.reserve(layout_.outputs.size());
  for (const int32_t s : layout_.outputs) {
    const auto in = std::find(layout_.inputs.begin(), layout_.inputs.end(), s);
    if (in != layout_.inputs.end()) {
      result.push_back(*inputs[in - layout_.inputs.begin()]);
      continue;
    }
    const auto c = std::find_if(layout_.constants.begin(), layout_.constants.end(),
                                [s](const auto& k) { return k.first == s; });
    TAPEFLOW_CHECK_KIND(c != layout_.constants.end(), kInternal,
                        "[graph] output slot ", s, " is neither an input nor a constant");
    result.push_back(c->second);
  }
  return result;
}

Values Graph::run_with(const Values& inputs, RunState& state) const {
  std::vector<const Array*> ptrs(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) ptrs[i] = &inputs[i];
  return run_with(ptrs.data(), ptrs.size(), state);
}

Values Graph::run_with(const Array* const* inputs, size_t num_inputs, RunState& state) const {
  TAPEFLOW_CHECK(num_inputs == layout_.inputs.size(), "[graph] expected ",
                 layout_.inputs.size(), " inputs, got ", num_inputs);
  TAPEFLOW_CHECK(state.variables != nullptr &&
                     static_cast<int>(state.variables->size()) >= layout_.num_variables,
                 "[graph] expected ", layout_.num_variables, " variables");
  if (nodes_.empty()) return pass_through(inputs);
  // The slots: a vector this graph keeps between runs (no allocation, every slot empty
  // after a run), or a new one when a run is already using it (recursion, threads).
  std::unique_ptr<Values> own;
  Values* slots_ptr;
  const bool borrowed = !scratch_busy_.exchange(true, std::memory_order_acquire);
  if (borrowed) {
    slots_ptr = &scratch_;
    if (scratch_.size() != static_cast<size_t>(layout_.num_slots))
      scratch_.assign(static_cast<size_t>(layout_.num_slots), Array());
  } else {
    own = std::make_unique<Values>(static_cast<size_t>(layout_.num_slots));
    slots_ptr = own.get();
  }
  Values& slots = *slots_ptr;
  struct Release {  // empties the slots and gives the scratch back, however the run ends
    Values& slots;
    std::atomic<bool>* busy;
    ~Release() {
      for (Array& a : slots) if (a.defined()) a = Array();
      if (busy) busy->store(false, std::memory_order_release);
    }
  } release{slots, borrowed ? &scratch_busy_ : nullptr};
  for (size_t i = 0; i < num_inputs; ++i) slots[layout_.inputs[i]] = *inputs[i];
  for (const auto& c : layout_.constants) slots[c.first] = c.second;
  // Inside a trace (a function called by a function being traced), every node runs on
  // its own so that the trace records each op.
  const Plan& plan = recording() ? plan_nodes_ : plan_fused_;
  Values in;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const Step& st = plan.steps[i];
    in.clear();
    for (const int32_t s : st.inputs) in.push_back(slots[s]);
    Values out;
    try {
      out = st.kernel(in, state);
    } catch (const Error& e) {
      const Node& n = nodes_[st.node];
      throw Error(e.kind(), std::string(e.what()) + "\n  [while running node " +
                                std::to_string(st.node) + " '" + st.label + "'" +
                                (n.origin.empty() ? "" : ", created at " + n.origin) + "]");
    }
    TAPEFLOW_CHECK_KIND(out.size() == st.outputs.size(), kInternal, "[graph] node '", st.label,
                        "' returned ", out.size(), " values for ", st.outputs.size(), " outputs");
    for (size_t k = 0; k < out.size(); ++k) slots[st.outputs[k]] = std::move(out[k]);
    for (const int32_t s : plan.release_after[i]) slots[s] = Array();
  }
  Values result;
  result.reserve(layout_.outputs.size());
  for (const int32_t s : layout_.outputs) result.push_back(slots[s]);
  return result;
}

namespace {
bool same_values(const Array& a, const Array& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Untraced inside;
  const Array ha = ops::contiguous(ops::to_device(a, cpu_device()));
  const Array hb = ops::contiguous(ops::to_device(b, cpu_device()));
  return std::memcmp(ha.raw_data(), hb.raw_data(), static_cast<size_t>(a.size() * a.itemsize())) == 0;
}
}  // namespace

bool Graph::same_computation(const Graph& o) const {
  if (layout_.num_slots != o.layout_.num_slots || layout_.num_variables != o.layout_.num_variables ||
      layout_.inputs != o.layout_.inputs || layout_.outputs != o.layout_.outputs ||
      layout_.constants.size() != o.layout_.constants.size() || nodes_.size() != o.nodes_.size())
    return false;
  for (size_t i = 0; i < layout_.output_specs.size(); ++i)
    if (layout_.output_specs[i].second != o.layout_.output_specs[i].second) return false;
  for (size_t i = 0; i < layout_.constants.size(); ++i) {
    if (layout_.constants[i].first != o.layout_.constants[i].first ||
        !same_values(layout_.constants[i].second, o.layout_.constants[i].second))
      return false;
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node &a = nodes_[i], &b = o.nodes_[i];
    if (a.op != b.op || !(a.attrs == b.attrs) || a.inputs != b.inputs || a.outputs != b.outputs ||
        a.side_effect != b.side_effect || !a.kernel != !b.kernel)
      return false;
    if (a.subgraphs.size() != b.subgraphs.size()) return false;
    for (size_t k = 0; k < a.subgraphs.size(); ++k)
      if (!a.subgraphs[k]->same_computation(*b.subgraphs[k])) return false;
    if (a.subgraphs.empty() && !op_registered(a.op)) return false;  // Python calls
  }
  return true;
}

std::string Graph::describe() const {
  std::ostringstream os;
  os << "graph(" << layout_.inputs.size() << " inputs, " << layout_.constants.size() << " constants, "
     << layout_.num_variables << " variables)\n";
  for (const Node& n : nodes_) {
    os << "  ";
    for (size_t k = 0; k < n.outputs.size(); ++k) os << (k ? ", " : "") << "%" << n.outputs[k];
    os << (n.outputs.empty() ? "" : " = ") << n.op << "(";
    for (size_t k = 0; k < n.inputs.size(); ++k) os << (k ? ", " : "") << "%" << n.inputs[k];
    os << ")\n";
    for (const auto& sub : n.subgraphs) {
      std::istringstream lines(sub->describe());
      for (std::string line; std::getline(lines, line);) os << "    | " << line << "\n";
    }
  }
  os << "  return";
  for (size_t k = 0; k < layout_.outputs.size(); ++k) os << (k ? ", %" : " %") << layout_.outputs[k];
  os << "\n";
  return os.str();
}

}  // namespace tapeflow::graph
