#include "autodiff/backprop.h"

#include <deque>
#include <mutex>
#include <unordered_map>

#include "core/error.h"
#include "ops.h"

namespace tapeflow::autodiff {

// ---- the rule cache ---------------------------------------------------------------------
namespace {

struct CachedRule {
  std::shared_ptr<const graph::Graph> graph;
  std::vector<char> has_grad;  // which inputs the graph's outputs are gradients of
};

// Distinct signatures seen by a process are few (one per op, attributes and shape in use);
// a program whose shapes never repeat would grow it without bound, so past this size the
// cache starts over.
constexpr size_t kMaxCachedRules = 4096;

std::mutex g_cache_mutex;
std::unordered_map<std::string, CachedRule>& cache() {
  static std::unordered_map<std::string, CachedRule> rules;
  return rules;
}

void append_bytes(std::string& key, const void* p, size_t n) {
  key.append(static_cast<const char*>(p), n);
}

void append_array(std::string& key, const Array& a) {
  const auto dtype = static_cast<int32_t>(a.dtype());
  const auto ndim = static_cast<int32_t>(a.ndim());
  const Device device = a.device();
  const int32_t where[2] = {static_cast<int32_t>(device.type), device.index};
  append_bytes(key, where, sizeof where);
  append_bytes(key, &dtype, sizeof dtype);
  append_bytes(key, &ndim, sizeof ndim);
  append_bytes(key, a.shape().data(), a.shape().size() * sizeof(int64_t));
}

}  // namespace

std::string rule_signature(const Node& n, const std::vector<bool>& needs) {
  std::string key = n.op_key;
  key.reserve(key.size() + 16 * (n.in_arrays.size() + n.out_arrays.size()) + needs.size() + 4);
  key.push_back('\0');
  for (const Array* a : n.in_arrays) append_array(key, *a);
  key.push_back('|');
  for (const Array* a : n.out_arrays) append_array(key, *a);
  key.push_back('|');
  for (const bool b : needs) key.push_back(b ? '1' : '0');
  return key;
}

size_t cached_rules() {
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  return cache().size();
}

void clear_cached_rules() {
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  cache().clear();
}

namespace {

// Whether a node's rule may be traced and cached: it names its op and attributes as data
// and every input and output is known.
bool cacheable(const Node& n) {
  if (n.op_key.empty()) return false;
  for (const Array* a : n.in_arrays)
    if (a == nullptr || !a->defined()) return false;
  for (const Array* a : n.out_arrays)
    if (a == nullptr || !a->defined()) return false;
  return true;
}

// The rule graph's inputs: the record's inputs, then its outputs, then the output
// gradients (the arguments of every Python rule, in order).
graph::Values rule_inputs(const Node& n, const Grads& dys) {
  graph::Values in;
  in.reserve(n.in_arrays.size() + n.out_arrays.size() + dys.size());
  for (const Array* a : n.in_arrays) in.push_back(*a);
  for (const Array* a : n.out_arrays) in.push_back(*a);
  for (const Array& d : dys) in.push_back(d);
  return in;
}

Grads run_cached(const CachedRule& rule, const graph::Values& inputs) {
  graph::Values variables;
  std::vector<char> assigned;
  graph::Values out = rule.graph->run(inputs, variables, assigned);
  Grads grads(rule.has_grad.size());
  size_t k = 0;
  for (size_t i = 0; i < grads.size(); ++i)
    if (rule.has_grad[i]) grads[i] = std::move(out.at(k++));
  return grads;
}

// Runs the rule of node `i` through its fallback with the arguments renamed as the
// inputs of a new graph (a trace), and caches that graph under `key`.
Grads trace_rule(const Node& n, size_t i, const Grads& dys, const std::vector<bool>& needs,
                 const Fallback& fallback, std::string key) {
  const bool outer_recording = graph::recording();  // a tf.function trace is running
  graph::Builder builder([](const Array&) { return -1; }, [] { return std::string(); });
  Grads grads;
  std::shared_ptr<graph::Graph> traced;
  graph::Values args = rule_inputs(n, dys);
  {
    graph::ActiveBuilder scope(&builder);
    for (Array& a : args) a = builder.add_input(a);
    const size_t ni = n.in_arrays.size(), no = n.out_arrays.size();
    const graph::Values ins(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(ni));
    const graph::Values outs(args.begin() + static_cast<std::ptrdiff_t>(ni),
                             args.begin() + static_cast<std::ptrdiff_t>(ni + no));
    const Grads traced_dys(args.begin() + static_cast<std::ptrdiff_t>(ni + no), args.end());
    grads = fallback(i, RuleArgs{&ins, &outs}, traced_dys, needs);
    graph::Values results;
    for (const Array& g : grads)
      if (g.defined()) results.push_back(g);
    traced = builder.finish(results);
  }
  CachedRule rule{traced, std::vector<char>(n.in_arrays.size(), 0)};
  for (size_t k = 0; k < grads.size() && k < rule.has_grad.size(); ++k)
    rule.has_grad[k] = grads[k].defined();
  TAPEFLOW_CHECK_KIND(grads.size() <= n.in_arrays.size(), kInternal,
                      "[backprop] a rule returned more gradients than its op has inputs");
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    if (cache().size() >= kMaxCachedRules) cache().clear();
    cache().emplace(std::move(key), rule);
  }
  // The trace's own values are the gradients, unless an outer trace must record them.
  if (outer_recording) return run_cached(rule, rule_inputs(n, dys));
  grads.resize(n.in_arrays.size());
  return grads;
}

// One node's input gradients: its cached rule graph, else its rule traced (and cached),
// else (attributes that are not data, such as a custom gradient's function) its rule run.
Grads apply(const Node& n, size_t i, const Grads& dys, const std::vector<bool>& needs,
            const Fallback& fallback) {
  if (!cacheable(n)) return fallback(i, RuleArgs{}, dys, needs);
  std::string key = rule_signature(n, needs);
  CachedRule rule;
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    const auto it = cache().find(key);
    if (it != cache().end()) rule = it->second;
  }
  if (rule.graph) return run_cached(rule, rule_inputs(n, dys));
  return trace_rule(n, i, dys, needs, fallback, std::move(key));
}

// Per-value state of a walk, found by key in an open-addressing table (keys are object
// addresses: never 0, few per step; std::unordered_map would allocate a node per value).
struct ValueState {
  bool reached = false;  // depends on a source
  bool source = false;   // its gradient is returned (so it is read after its record ran)
  Array grad;            // accumulated gradient (undefined: none yet)
};

class ValueTable {
 public:
  explicit ValueTable(size_t expected) {
    size_t cap = 16;
    while (cap < 2 * expected) cap *= 2;
    keys_.assign(cap, 0);
    slots_.assign(cap, -1);
  }
  ValueState* find(int64_t key) {
    for (size_t i = hash(key);; i = (i + 1) & (keys_.size() - 1)) {
      if (keys_[i] == key) return &values_[static_cast<size_t>(slots_[i])];
      if (keys_[i] == 0) return nullptr;
    }
  }
  ValueState& get(int64_t key) {
    TAPEFLOW_CHECK_KIND(key != 0, kInternal, "[backprop] value key 0");
    if (2 * (values_.size() + 1) > keys_.size()) grow();
    size_t i = hash(key);
    for (; keys_[i] != 0; i = (i + 1) & (keys_.size() - 1))
      if (keys_[i] == key) return values_[static_cast<size_t>(slots_[i])];
    keys_[i] = key;
    slots_[i] = static_cast<int32_t>(values_.size());
    return values_.emplace_back();
  }

 private:
  size_t hash(int64_t key) const {
    const uint64_t h = static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h >> 32) & (keys_.size() - 1);
  }
  void grow() {
    std::vector<int64_t> keys(keys_.size() * 2, 0);
    std::vector<int32_t> slots(keys.size(), -1);
    keys_.swap(keys);
    slots_.swap(slots);
    for (size_t j = 0; j < keys.size(); ++j) {
      if (keys[j] == 0) continue;
      size_t i = hash(keys[j]);
      while (keys_[i] != 0) i = (i + 1) & (keys_.size() - 1);
      keys_[i] = keys[j];
      slots_[i] = slots[j];
    }
  }
  std::vector<int64_t> keys_;
  std::vector<int32_t> slots_;
  std::deque<ValueState> values_;  // stable addresses while the table grows
};

void accumulate(ValueState& v, Array g) {
  v.grad = v.grad.defined() ? ops::add(v.grad, g) : std::move(g);
}

}  // namespace

Grads backprop(const std::vector<Node>& nodes,
               const std::vector<std::pair<int64_t, Array>>& seeds,
               const std::vector<int64_t>& sources, const Fallback& fallback) {
  ValueTable values(2 * nodes.size() + sources.size() + seeds.size());
  for (const int64_t s : sources) {
    ValueState& v = values.get(s);
    v.reached = v.source = true;
  }
  // Which values depend on a source: only their records need backward work.
  std::vector<size_t> live;
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const int64_t x : nodes[i].inputs) {
      const ValueState* v = values.find(x);
      if (v != nullptr && v->reached) {
        for (const int64_t o : nodes[i].outputs) values.get(o).reached = true;
        live.push_back(i);
        break;
      }
    }
  }
  for (const auto& [key, g] : seeds) accumulate(values.get(key), g);

  Grads dys;
  std::vector<bool> needs;
  for (auto it = live.rbegin(); it != live.rend(); ++it) {
    const Node& n = nodes[*it];
    dys.assign(n.outputs.size(), Array());
    bool any = false;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      ValueState* v = values.find(n.outputs[k]);
      if (v == nullptr || !v->grad.defined()) continue;
      // Each value is one record's output: once that record ran, only sources are read.
      dys[k] = v->source ? v->grad : std::move(v->grad);
      any = true;
    }
    if (!any) continue;
    for (size_t k = 0; k < dys.size(); ++k) {  // several outputs, some unused: zeros
      if (dys[k].defined()) continue;
      const Array* o = n.out_arrays.at(k);
      TAPEFLOW_CHECK_KIND(o != nullptr && o->defined(), kInternal, "[backprop] output ", k,
                          " of a record is unknown");
      dys[k] = ops::full(o->shape(), o->dtype(), 0.0);
    }
    // A live record with one input was kept because that input is reached.
    needs.assign(n.inputs.size(), true);
    if (n.inputs.size() > 1) {
      for (size_t k = 0; k < n.inputs.size(); ++k) {
        const ValueState* v = values.find(n.inputs[k]);
        needs[k] = v != nullptr && v->reached;
      }
    }
    Grads in_grads = apply(n, *it, dys, needs, fallback);
    for (size_t k = 0; k < n.inputs.size() && k < in_grads.size(); ++k)
      if (needs[k] && in_grads[k].defined()) accumulate(values.get(n.inputs[k]), std::move(in_grads[k]));
  }
  Grads out;
  out.reserve(sources.size());
  for (const int64_t s : sources) out.push_back(values.get(s).grad);
  return out;
}

}  // namespace tapeflow::autodiff
