// The one reverse walk over a recorded tape, for any kind of gradient value.
//
// The walk finds the records that depend on a source, then visits them last to first:
// each record's output gradients (zeros for outputs nothing used, when another output
// has one) go through its rule, and the input gradients it returns are summed per value.
// It runs on core Arrays for first-order gradients (backprop.h: cached rule graphs, no
// Python) and on Python Tensors when a tape records the backward pass (the bindings
// instantiate it with Python's rules and ops, so the recording tape sees every op).
#pragma once
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "autodiff/backprop.h"
#include "core/error.h"

namespace tapeflow::autodiff {

namespace walk_detail {

// Per-value state of a walk, found by key in an open-addressing table (keys are object
// addresses: never 0, few per step; std::unordered_map would allocate a node per value).
template <class G>
struct ValueState {
  bool reached = false;  // depends on a source
  bool source = false;   // its gradient is returned (so it is read after its record ran)
  G grad{};              // accumulated gradient (see Ops::defined)
};

template <class G>
class ValueTable {
 public:
  explicit ValueTable(size_t expected) {
    size_t cap = 16;
    while (cap < 2 * expected) cap *= 2;
    keys_.assign(cap, 0);
    slots_.assign(cap, -1);
  }
  ValueState<G>* find(int64_t key) {
    for (size_t i = hash(key);; i = (i + 1) & (keys_.size() - 1)) {
      if (keys_[i] == key) return &values_[static_cast<size_t>(slots_[i])];
      if (keys_[i] == 0) return nullptr;
    }
  }
  ValueState<G>& get(int64_t key) {
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
  std::deque<ValueState<G>> values_;  // stable addresses while the table grows
};


}  // namespace walk_detail

// Gradients of the seeded targets with respect to `sources` (one per source; undefined:
// unconnected: G{}). `ops` supplies, for gradient values of type G:
//   bool defined(const G&)                 whether a value is a gradient (false for G{},
//                                          which stands for "none")
//   G add(const G&, const G&)              the sum of two gradients of one value
//   G zeros_like_output(size_t i, size_t k)  zeros shaped as output k of node i
//   std::vector<G> rule(size_t i, const std::vector<G>& dys, const std::vector<bool>& needs)
//                                          node i's input gradients
template <class G, class Ops>
std::vector<G> walk(const std::vector<Node>& nodes, const std::vector<std::pair<int64_t, G>>& seeds,
                    const std::vector<int64_t>& sources, const Ops& ops) {
  using State = walk_detail::ValueState<G>;
  walk_detail::ValueTable<G> values(2 * nodes.size() + sources.size() + seeds.size());
  auto accumulate = [&](State& v, G g) {
    v.grad = ops.defined(v.grad) ? ops.add(v.grad, g) : std::move(g);
  };
  for (const int64_t s : sources) {
    State& v = values.get(s);
    v.reached = v.source = true;
  }
  // Which values depend on a source: only their records need backward work.
  std::vector<size_t> live;
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const int64_t x : nodes[i].inputs) {
      const State* v = values.find(x);
      if (v != nullptr && v->reached) {
        for (const int64_t o : nodes[i].outputs) values.get(o).reached = true;
        live.push_back(i);
        break;
      }
    }
  }
  for (const auto& [key, g] : seeds) accumulate(values.get(key), g);

  std::vector<G> dys;
  std::vector<bool> needs;
  for (auto it = live.rbegin(); it != live.rend(); ++it) {
    const Node& n = nodes[*it];
    dys.assign(n.outputs.size(), G{});
    bool any = false;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      State* v = values.find(n.outputs[k]);
      if (v == nullptr || !ops.defined(v->grad)) continue;
      // Each value is one record's output: once that record ran, only sources are read.
      dys[k] = v->source ? v->grad : std::move(v->grad);
      any = true;
    }
    if (!any) continue;
    for (size_t k = 0; k < dys.size(); ++k)  // several outputs, some unused: zeros
      if (!ops.defined(dys[k])) dys[k] = ops.zeros_like_output(*it, k);
    // A live record with one input was kept because that input is reached.
    needs.assign(n.inputs.size(), true);
    if (n.inputs.size() > 1) {
      for (size_t k = 0; k < n.inputs.size(); ++k) {
        const State* v = values.find(n.inputs[k]);
        needs[k] = v != nullptr && v->reached;
      }
    }
    std::vector<G> in_grads = ops.rule(*it, dys, needs);
    for (size_t k = 0; k < n.inputs.size() && k < in_grads.size(); ++k)
      if (needs[k] && ops.defined(in_grads[k]))
        accumulate(values.get(n.inputs[k]), std::move(in_grads[k]));
  }
  std::vector<G> out;
  out.reserve(sources.size());
  for (const int64_t s : sources) out.push_back(values.get(s).grad);
  return out;
}

}  // namespace tapeflow::autodiff
