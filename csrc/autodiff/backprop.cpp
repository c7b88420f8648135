#include "autodiff/backprop.h"

#include <mutex>
#include <unordered_map>

#include "core/error.h"
#include "autodiff/walk.h"
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
std::unordered_map<std::string, std::shared_ptr<const CachedRule>>& cache() {
  static std::unordered_map<std::string, std::shared_ptr<const CachedRule>> rules;
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

namespace {
void write_signature(std::string& key, const Node& n, const std::vector<bool>& needs) {
  key.assign(n.op_key);
  key.push_back('\0');
  for (const Array* a : n.in_arrays) append_array(key, *a);
  key.push_back('|');
  for (const Array* a : n.out_arrays) append_array(key, *a);
  key.push_back('|');
  for (const bool b : needs) key.push_back(b ? '1' : '0');
}
}  // namespace

std::string rule_signature(const Node& n, const std::vector<bool>& needs) {
  std::string key;
  write_signature(key, n, needs);
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
// gradients (the arguments of every Python rule, in order), written into `in`.
void rule_inputs(const Node& n, const Grads& dys, graph::Values& in) {
  in.clear();
  for (const Array* a : n.in_arrays) in.push_back(*a);
  for (const Array* a : n.out_arrays) in.push_back(*a);
  for (const Array& d : dys) in.push_back(d);
}

Grads run_cached(const CachedRule& rule, const Node& n, const Grads& dys) {
  // The rule_inputs order, borrowed (a rule graph's run never re-enters here).
  thread_local std::vector<const Array*> inputs;
  inputs.assign(n.in_arrays.begin(), n.in_arrays.end());
  inputs.insert(inputs.end(), n.out_arrays.begin(), n.out_arrays.end());
  for (const Array& d : dys) inputs.push_back(&d);
  graph::Values variables;
  std::vector<char> assigned;
  graph::RunState state{&variables, &assigned};
  graph::Values out = rule.graph->run_with(inputs.data(), inputs.size(), state);
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
  graph::Values args;
  rule_inputs(n, dys, args);
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
  auto rule = std::make_shared<CachedRule>(CachedRule{traced, std::vector<char>(n.in_arrays.size(), 0)});
  for (size_t k = 0; k < grads.size() && k < rule->has_grad.size(); ++k)
    rule->has_grad[k] = grads[k].defined();
  TAPEFLOW_CHECK_KIND(grads.size() <= n.in_arrays.size(), kInternal,
                      "[backprop] a rule returned more gradients than its op has inputs");
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    if (cache().size() >= kMaxCachedRules) cache().clear();
    cache().emplace(std::move(key), rule);
  }
  // The trace's own values are the gradients, unless an outer trace must record them.
  if (outer_recording) return run_cached(*rule, n, dys);
  grads.resize(n.in_arrays.size());
  return grads;
}

// One node's input gradients: its cached rule graph, else its rule traced (and cached),
// else (attributes that are not data, such as a custom gradient's function) its rule run.
Grads apply(const Node& n, size_t i, const Grads& dys, const std::vector<bool>& needs,
            const Fallback& fallback) {
  if (!cacheable(n)) return fallback(i, RuleArgs{}, dys, needs);
  thread_local std::string key;  // reused: no allocation per node once it is large enough
  write_signature(key, n, needs);
  std::shared_ptr<const CachedRule> rule;
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    const auto it = cache().find(key);
    if (it != cache().end()) rule = it->second;
  }
  if (rule) return run_cached(*rule, n, dys);
  return trace_rule(n, i, dys, needs, fallback, key);
}

}  // namespace

Grads backprop(const std::vector<Node>& nodes,
               const std::vector<std::pair<int64_t, Array>>& seeds,
               const std::vector<int64_t>& sources, const Fallback& fallback) {
  struct ArrayWalk {
    const std::vector<Node>& nodes;
    const Fallback& fallback;
    static bool defined(const Array& g) { return g.defined(); }
    static Array add(const Array& a, const Array& b) { return ops::add(a, b); }
    Array zeros_like_output(size_t i, size_t k) const {
      const Array* o = nodes[i].out_arrays.at(k);
      TAPEFLOW_CHECK_KIND(o != nullptr && o->defined(), kInternal, "[backprop] output ", k,
                          " of a record is unknown");
      return ops::full(o->shape(), o->dtype(), 0.0);
    }
    Grads rule(size_t i, const Grads& dys, const std::vector<bool>& needs) const {
      return apply(nodes[i], i, dys, needs, fallback);
    }
  };
  return walk<Array>(nodes, seeds, sources, ArrayWalk{nodes, fallback});
}

}  // namespace tapeflow::autodiff
