#include "autodiff/backprop.h"

#include <deque>

#include "core/error.h"
#include "ops.h"

namespace tapeflow::autodiff {

const std::vector<RuleName>& rule_names() {
  static const std::vector<RuleName> names = {
      {"ReadVariableOp", Rule::kIdentity}, {"Identity", Rule::kIdentity},
      {"AddV2", Rule::kAdd},               {"Sub", Rule::kSub},
      {"Mul", Rule::kMul},                 {"RealDiv", Rule::kDiv},
      {"Neg", Rule::kNeg},                 {"Square", Rule::kSquare},
      {"Exp", Rule::kExp},                 {"Log", Rule::kLog},
      {"Sqrt", Rule::kSqrt},               {"Tanh", Rule::kTanh},
      {"Sigmoid", Rule::kSigmoid},         {"Relu", Rule::kRelu},
      {"MatMul", Rule::kMatMul},           {"Sum", Rule::kSum},
      {"Mean", Rule::kMean},               {"Reshape", Rule::kReshape},
      {"ExpandDims", Rule::kReshape},      {"Squeeze", Rule::kReshape},
      {"BroadcastTo", Rule::kBroadcastTo}, {"Cast", Rule::kCast},
      {"Softmax", Rule::kSoftmax},
      {"SparseSoftmaxCrossEntropyWithLogits", Rule::kSparseXent},
      {"SelectV2", Rule::kSelect},         {"Log1p", Rule::kLog1p},
      {"Expm1", Rule::kExpm1},             {"Abs", Rule::kAbs},
      {"Softplus", Rule::kSoftplus},       {"Maximum", Rule::kMaximum},
      {"Minimum", Rule::kMinimum},         {"Transpose", Rule::kTranspose},
      {"ReduceLogSumExp", Rule::kLogSumExp},
      {"Rsqrt", Rule::kRsqrt},             {"Reciprocal", Rule::kReciprocal},
      {"Sin", Rule::kSin},                 {"Cos", Rule::kCos},
      {"Erf", Rule::kErf},                 {"Pow", Rule::kPow},
      {"Max", Rule::kMaxMin},              {"Min", Rule::kMaxMin},
      {"GatherV2", Rule::kGather},         {"ConcatV2", Rule::kConcat},
      {"Tile", Rule::kTile},               {"Pad", Rule::kPad},
      {"StridedSlice", Rule::kSlice},
  };
  return names;
}

namespace {

// A 0-d constant of x's dtype (Python's rules write `multiply(x, 2)`; the number is
// converted to x's dtype the same way).
Array scalar(const Array& like, double v) { return ops::full({}, like.dtype(), v); }

// Sums a broadcast gradient back down to an operand's shape (ops/_base.py unbroadcast).
Array unbroadcast(const Array& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const int64_t lead = g.ndim() - static_cast<int64_t>(shape.size());
  ops::Axes axes;
  for (int64_t i = 0; i < lead; ++i) axes.push_back(i);
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 1 && g.dim(static_cast<int64_t>(i) + lead) != 1)
      axes.push_back(static_cast<int64_t>(i) + lead);
  return ops::reshape(axes.empty() ? g : ops::sum(g, axes, false), shape);
}

// x's shape with the reduced axes (the node's attrs; none: all) set to 1.
Shape keep_shape(const Array& x, const Node& n) {
  Shape keep = x.shape();
  if (x.ndim() == 0) return keep;  // (a 0-d input has no axes to reduce)
  if (!n.has_attrs) {
    for (auto& d : keep) d = 1;
  } else {
    for (int64_t a : n.attrs) keep[static_cast<size_t>(((a % x.ndim()) + x.ndim()) % x.ndim())] = 1;
  }
  return keep;
}

// A reduction's output gradient broadcast back over the input (math_ops _grad_to_input).
Array grad_to_input(const Array& dy, const Array& x, const Node& n) {
  if (dy.ndim() == 0 || dy.ndim() == x.ndim()) return ops::broadcast_to(dy, x.shape());
  return ops::broadcast_to(ops::reshape(dy, keep_shape(x, n)), x.shape());
}

Array zeros_like(const Array& x) { return ops::full(x.shape(), x.dtype(), 0.0); }

Array matmul_grad_a(const Array& a, const Array& b, const Array& g, bool ta, bool tb) {
  const Array ga = !ta ? ops::matmul(g, b, false, !tb) : ops::matmul(b, g, tb, true);
  return unbroadcast(ga, a.shape());
}

Array matmul_grad_b(const Array& a, const Array& b, const Array& g, bool ta, bool tb) {
  const Array gb = !tb ? ops::matmul(a, g, !ta, false) : ops::matmul(g, a, true, ta);
  return unbroadcast(gb, b.shape());
}

}  // namespace

Grads apply_rule(const Node& n, const Grads& dys, const std::vector<bool>& needs) {
  const Array& dy = dys.at(0);
  const auto& in = n.in_arrays;
  auto input = [&](size_t i) -> const Array& {
    TAPEFLOW_CHECK_KIND(i < in.size() && in[i] != nullptr && in[i]->defined(), kInternal,
                        "[backprop] a native rule needs input ", i, " of its record");
    return *in[i];
  };
  auto output = [&]() -> const Array& {
    TAPEFLOW_CHECK_KIND(!n.out_arrays.empty() && n.out_arrays[0] != nullptr &&
                            n.out_arrays[0]->defined(),
                        kInternal, "[backprop] a native rule needs its output");
    return *n.out_arrays[0];
  };
  auto need = [&](size_t i) { return i < needs.size() && needs[i]; };
  switch (n.rule) {
    case Rule::kIdentity:
      return {dy};
    case Rule::kAdd:
      return {need(0) ? unbroadcast(dy, input(0).shape()) : Array(),
              need(1) ? unbroadcast(dy, input(1).shape()) : Array()};
    case Rule::kSub:
      return {need(0) ? unbroadcast(dy, input(0).shape()) : Array(),
              need(1) ? unbroadcast(ops::neg(dy), input(1).shape()) : Array()};
    case Rule::kMul:
      return {need(0) ? unbroadcast(ops::mul(dy, input(1)), input(0).shape()) : Array(),
              need(1) ? unbroadcast(ops::mul(dy, input(0)), input(1).shape()) : Array()};
    case Rule::kDiv:
      return {need(0) ? unbroadcast(ops::div(dy, input(1)), input(0).shape()) : Array(),
              need(1) ? unbroadcast(ops::neg(ops::mul(dy, ops::div(output(), input(1)))),
                                    input(1).shape())
                      : Array()};
    case Rule::kNeg:
      return {ops::neg(dy)};
    case Rule::kSquare:
      return {ops::mul(dy, ops::mul(input(0), scalar(input(0), 2.0)))};
    case Rule::kExp:
      return {ops::mul(dy, output())};
    case Rule::kLog:
      return {ops::div(dy, input(0))};
    case Rule::kSqrt:
      return {ops::sqrt_grad(output(), dy)};
    case Rule::kTanh:
      return {ops::mul(dy, ops::sub(scalar(output(), 1.0), ops::square(output())))};
    case Rule::kSigmoid:
      return {ops::mul(dy, ops::mul(output(), ops::sub(scalar(output(), 1.0), output())))};
    case Rule::kRelu:
      return {ops::relu_grad(dy, input(0))};
    case Rule::kMatMul: {
      TAPEFLOW_CHECK_KIND(n.attrs.size() == 2, kInternal,
                          "[backprop] MatMul records {transpose_a, transpose_b}");
      const bool ta = n.attrs[0] != 0, tb = n.attrs[1] != 0;
      return {need(0) ? matmul_grad_a(input(0), input(1), dy, ta, tb) : Array(),
              need(1) ? matmul_grad_b(input(0), input(1), dy, ta, tb) : Array()};
    }
    case Rule::kSum:
      return {grad_to_input(dy, input(0), n)};
    case Rule::kMean: {
      const Array& x = input(0);
      const int64_t out_size = std::max<int64_t>(output().size(), 1);
      const int64_t count = x.size() ? x.size() / out_size : 1;
      const double scale = 1.0 / static_cast<double>(std::max<int64_t>(count, 1));
      return {grad_to_input(ops::mul(dy, scalar(dy, scale)), x, n)};
    }
    case Rule::kReshape:
      return {ops::reshape(dy, input(0).shape())};
    case Rule::kBroadcastTo:
      return {unbroadcast(dy, input(0).shape())};
    case Rule::kCast:
      return {ops::cast(dy, input(0).dtype())};
    case Rule::kSoftmax: {
      TAPEFLOW_CHECK_KIND(n.attrs.size() == 1, kInternal,
                          "[backprop] Softmax records {axis}");
      const Array& y = output();
      const Array s = ops::sum(ops::mul(dy, y), ops::Axes{n.attrs[0]}, true);
      return {ops::mul(ops::sub(dy, s), y)};
    }
    case Rule::kSparseXent:
      TAPEFLOW_CHECK_KIND(n.saved != nullptr && n.saved->defined(), kInternal,
                          "[backprop] SparseSoftmaxCrossEntropyWithLogits saves its backprop");
      return {ops::mul(ops::expand_dims(dy, -1), *n.saved)};
    case Rule::kSelect: {  // math_ops.where's rule; the condition gets none
      const Array zeros = zeros_like(dy);
      return {Array(),
              need(1) ? unbroadcast(ops::where(input(0), dy, zeros), input(1).shape()) : Array(),
              need(2) ? unbroadcast(ops::where(input(0), zeros, dy), input(2).shape()) : Array()};
    }
    case Rule::kLog1p:
      return {ops::div(dy, ops::add(input(0), scalar(input(0), 1.0)))};
    case Rule::kExpm1:
      return {ops::mul(dy, ops::add(output(), scalar(output(), 1.0)))};
    case Rule::kAbs:
      return {ops::mul(dy, ops::sign(input(0)))};
    case Rule::kSoftplus:
      return {ops::mul(dy, ops::sigmoid(input(0)))};
    case Rule::kMaximum:
    case Rule::kMinimum: {  // ties send the gradient to x, as TF
      const Array& x = input(0);
      const Array& y = input(1);
      const Array pick_x =
          n.rule == Rule::kMaximum ? ops::greater_equal(x, y) : ops::less_equal(x, y);
      const Array zeros = zeros_like(dy);
      return {need(0) ? unbroadcast(ops::where(pick_x, dy, zeros), x.shape()) : Array(),
              need(1) ? unbroadcast(ops::where(pick_x, zeros, dy), y.shape()) : Array()};
    }
    case Rule::kTranspose: {
      ops::Axes inverse(n.attrs.size());
      for (size_t i = 0; i < n.attrs.size(); ++i) {
        const int64_t d = n.attrs[i];
        TAPEFLOW_CHECK_KIND(d >= 0 && d < static_cast<int64_t>(inverse.size()), kInternal,
                            "[backprop] Transpose records its permutation");
        inverse[static_cast<size_t>(d)] = static_cast<int64_t>(i);
      }
      return {ops::transpose(dy, inverse)};
    }
    case Rule::kLogSumExp: {  // exp(x - lse) * dy, broadcast back over the reduced axes
      const Array& x = input(0);
      const Array lse = ops::reshape(output(), keep_shape(x, n));
      return {ops::mul(ops::exp(ops::sub(x, lse)), grad_to_input(dy, x, n))};
    }
    case Rule::kRsqrt:
      return {ops::rsqrt_grad(output(), dy)};
    case Rule::kReciprocal:
      return {ops::reciprocal_grad(output(), dy)};
    case Rule::kSin:
      return {ops::mul(dy, ops::cos(input(0)))};
    case Rule::kCos:
      return {ops::neg(ops::mul(dy, ops::sin(input(0))))};
    case Rule::kErf: {  // 2 / sqrt(pi) * exp(-x^2)
      const Array& x = input(0);
      return {ops::mul(dy, ops::mul(ops::exp(ops::neg(ops::square(x))),
                                    scalar(x, 1.1283791670955126)))};
    }
    case Rule::kPow: {  // d/dy uses log(x) where x > 0, else 0 (TF's rule)
      const Array& x = input(0);
      const Array& y = input(1);
      Array gx, gy;
      if (need(0))
        gx = unbroadcast(ops::mul(dy, ops::mul(y, ops::pow(x, ops::sub(y, scalar(y, 1.0))))),
                         x.shape());
      if (need(1)) {
        const Array positive = ops::greater(x, scalar(x, 0.0));
        const Array log_x = ops::log(ops::where(positive, x, ops::full(x.shape(), x.dtype(), 1.0)));
        gy = unbroadcast(ops::mul(dy, ops::mul(output(), ops::where(positive, log_x, zeros_like(x)))),
                         y.shape());
      }
      return {gx, gy};
    }
    case Rule::kMaxMin: {  // the gradient split evenly between the extremal elements
      const Array& x = input(0);
      const Array hits = ops::cast(ops::equal(x, ops::reshape(output(), keep_shape(x, n))),
                                   x.dtype());
      const Array count = ops::sum(hits, n.has_attrs ? std::optional<ops::Axes>(
                                             ops::Axes(n.attrs.begin(), n.attrs.end()))
                                                     : std::nullopt,
                                   true);
      return {ops::mul(ops::div(hits, count), grad_to_input(dy, x, n))};
    }
    case Rule::kGather: {  // the adjoint of gather: scatter-add into zeros
      TAPEFLOW_CHECK_KIND(n.attrs.size() == 1 && n.saved != nullptr, kInternal,
                          "[backprop] GatherV2 records {axis} and its indices");
      return {ops::scatter_add(*n.saved, dy, input(0).shape(), n.attrs[0])};
    }
    case Rule::kConcat: {  // each input gets its slice of dy along the axis
      TAPEFLOW_CHECK_KIND(n.attrs.size() == 1, kInternal, "[backprop] ConcatV2 records {axis}");
      const int64_t axis = n.attrs[0];
      Grads out(n.inputs.size());
      int64_t start = 0;
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        const int64_t size = input(i).dim(axis);
        if (need(i)) {
          std::vector<ops::SliceArg> args(static_cast<size_t>(axis) + 1);
          args.back().start = start;
          args.back().stop = start + size;
          out[i] = ops::slice(dy, args);
        }
        start += size;
      }
      return out;
    }
    case Rule::kTile: {  // sum the copies: dy as (m0, d0, m1, d1, ...), reduced over the m's
      const Array& x = input(0);
      TAPEFLOW_CHECK_KIND(static_cast<int64_t>(n.attrs.size()) == x.ndim(), kInternal,
                          "[backprop] Tile records its multiples");
      Shape split;
      ops::Axes axes;
      for (int64_t d = 0; d < x.ndim(); ++d) {
        split.push_back(n.attrs[static_cast<size_t>(d)]);
        split.push_back(x.dim(d));
        axes.push_back(2 * d);
      }
      return {ops::sum(ops::reshape(dy, split), axes, false)};
    }
    case Rule::kPad: {  // the unpadded window of dy
      const Array& x = input(0);
      TAPEFLOW_CHECK_KIND(static_cast<int64_t>(n.attrs.size()) == 2 * x.ndim(), kInternal,
                          "[backprop] Pad records its paddings");
      std::vector<ops::SliceArg> args(static_cast<size_t>(x.ndim()));
      for (int64_t d = 0; d < x.ndim(); ++d) {
        args[static_cast<size_t>(d)].start = n.attrs[static_cast<size_t>(2 * d)];
        args[static_cast<size_t>(d)].stop = n.attrs[static_cast<size_t>(2 * d)] + x.dim(d);
      }
      return {ops::slice(dy, args)};
    }
    case Rule::kSlice:  // dy written into zeros of x's shape where the slice was read
      return {ops::slice_assign(zeros_like(input(0)), n.slices, dy)};
    case Rule::kNone:
      break;
  }
  throw Error(ErrorKind::kInternal, "[backprop] no native rule for this record");
}

namespace {

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
    Grads in_grads = n.rule == Rule::kNone ? fallback(*it, dys, needs) : apply_rule(n, dys, needs);
    for (size_t k = 0; k < n.inputs.size() && k < in_grads.size(); ++k)
      if (needs[k] && in_grads[k].defined()) accumulate(values.get(n.inputs[k]), std::move(in_grads[k]));
  }
  Grads out;
  out.reserve(sources.size());
  for (const int64_t s : sources) out.push_back(values.get(s).grad);
  return out;
}

}  // namespace tapeflow::autodiff
