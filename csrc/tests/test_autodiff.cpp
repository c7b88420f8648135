// The native reverse pass (autodiff/backprop.h): walks, accumulation, unconnected
// sources, and rules traced once per signature into cached graphs. The rules here are
// written with ops:: calls, as Python's rules are written with tapeflow ops.
#include <gtest/gtest.h>

#include <optional>

#include "autodiff/backprop.h"
#include "autodiff/tape.h"
#include "autodiff/walk.h"
#include "ops.h"
#include "tests/float64_arrays.h"

using namespace tapeflow;
using test_util::to_vec;
using test_util::values;
using autodiff::Grads;
using autodiff::Node;
using autodiff::RuleArgs;

namespace {

Node node(const char* op, std::vector<int64_t> in, std::vector<const Array*> in_arrays,
          std::vector<int64_t> out, std::vector<const Array*> out_arrays) {
  Node n;
  n.op_key = op;
  n.inputs = std::move(in);
  n.in_arrays = std::move(in_arrays);
  n.outputs = std::move(out);
  n.out_arrays = std::move(out_arrays);
  return n;
}

Array sum_to(const Array& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  ops::Axes axes;
  const int64_t lead = g.ndim() - static_cast<int64_t>(shape.size());
  for (int64_t i = 0; i < lead; ++i) axes.push_back(i);
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 1 && g.dim(static_cast<int64_t>(i) + lead) != 1)
      axes.push_back(static_cast<int64_t>(i) + lead);
  return ops::reshape(ops::sum(g, axes, false), shape);
}

// Rules of mul, add, square and mean (over all axes), reading only their arguments.
struct Rules {
  const std::vector<Node>* nodes;
  int calls = 0;
  Grads operator()(size_t i, const RuleArgs& args, const Grads& dys,
                   const std::vector<bool>& needs) {
    ++calls;
    const Node& n = (*nodes)[i];
    auto in = [&](size_t k) -> const Array& {
      return args.inputs ? (*args.inputs)[k] : *n.in_arrays[k];
    };
    const Array& dy = dys[0];
    const std::string op = n.op_key;
    if (op == "mul")
      return {needs[0] ? sum_to(ops::mul(dy, in(1)), in(0).shape()) : Array(),
              needs[1] ? sum_to(ops::mul(dy, in(0)), in(1).shape()) : Array()};
    if (op == "add")
      return {needs[0] ? sum_to(dy, in(0).shape()) : Array(),
              needs[1] ? sum_to(dy, in(1).shape()) : Array()};
    if (op == "square")
      return {ops::mul(dy, ops::mul(in(0), ops::full({}, DType::kFloat64, 2.0)))};
    if (op == "mean")
      return {ops::broadcast_to(
          ops::mul(dy, ops::full({}, DType::kFloat64, 1.0 / static_cast<double>(in(0).size()))),
          in(0).shape())};
    ADD_FAILURE() << "no rule for " << op;
    return {};
  }
};

// y = mean((x * w + b)^2) for x (3, 2) constant, w (2,) and b () sources; returns the
// gradients and checks them against the hand-derived values.
void check_chain(const std::vector<double>& xv, Rules& rules) {
  const Array x = values({3, 2}, xv);
  const Array w = values({2}, {0.5, -1});
  const Array b = values({}, {0.25});
  const Array xw = ops::mul(x, w), z = ops::add(xw, b), sq = ops::square(z);
  const Array y = ops::mean(sq);
  const std::vector<Node> nodes = {
      node("mul", {1, 2}, {&x, &w}, {10}, {&xw}),
      node("add", {10, 3}, {&xw, &b}, {11}, {&z}),
      node("square", {11}, {&z}, {12}, {&sq}),
      node("mean", {12}, {&sq}, {13}, {&y}),
  };
  rules.nodes = &nodes;
  const auto g = autodiff::backprop(nodes, {{13, ops::full({}, DType::kFloat64, 1.0)}},
                                    {2, 3, 99}, std::ref(rules));
  ASSERT_EQ(g.size(), 3u);
  const auto zv = to_vec(z);
  std::vector<double> gw(2, 0.0);
  double gb = 0;
  for (int i = 0; i < 6; ++i) {
    gw[i % 2] += 2 * zv[i] / 6 * xv[i];
    gb += 2 * zv[i] / 6;
  }
  EXPECT_EQ(g[0].shape(), (Shape{2}));
  EXPECT_NEAR(to_vec(g[0])[0], gw[0], 1e-12);
  EXPECT_NEAR(to_vec(g[0])[1], gw[1], 1e-12);
  EXPECT_EQ(g[1].shape(), Shape{});
  EXPECT_NEAR(to_vec(g[1])[0], gb, 1e-12);
  EXPECT_FALSE(g[2].defined());  // unconnected
}

}  // namespace

TEST(Autodiff, RulesAreTracedOnceAndRunFromTheCache) {
  autodiff::clear_cached_rules();
  Rules rules;
  check_chain({1, 2, 3, 4, 5, 6}, rules);
  EXPECT_EQ(rules.calls, 4);  // each rule traced once
  EXPECT_EQ(autodiff::cached_rules(), 4u);
  // Other values, same signatures: the cached graphs compute them, with no rule call.
  check_chain({-2, 0.5, 7, 1, -3, 2}, rules);
  EXPECT_EQ(rules.calls, 4);
  EXPECT_EQ(autodiff::cached_rules(), 4u);
  autodiff::clear_cached_rules();
  EXPECT_EQ(autodiff::cached_rules(), 0u);
}

TEST(Autodiff, FanOutAccumulatesAndUncacheableRulesRunEveryTime) {
  // y = x + f(x), f's attributes not data (empty op_key): dy/dx = 1 + 3.
  const Array x = values({2}, {1, 2});
  const Array fx = ops::mul(x, ops::full({}, DType::kFloat64, 3.0));
  const Array y = ops::add(x, fx);
  std::vector<Node> nodes = {node("", {1}, {&x}, {2}, {&fx}),
                             node("add", {1, 2}, {&x, &fx}, {3}, {&y})};
  Rules rules;
  rules.nodes = &nodes;
  int custom = 0;
  const autodiff::Fallback fallback = [&](size_t i, const RuleArgs& args, const Grads& dys,
                                          const std::vector<bool>& needs) -> Grads {
    if (i != 0) return rules(i, args, dys, needs);
    ++custom;
    EXPECT_EQ(args.inputs, nullptr);  // not traced: the record's own values
    EXPECT_EQ(needs, std::vector<bool>{true});
    return {ops::mul(dys[0], ops::full({}, DType::kFloat64, 3.0))};
  };
  for (int run = 0; run < 2; ++run) {
    const auto g = autodiff::backprop(nodes, {{3, ops::full({2}, DType::kFloat64, 1.0)}}, {1},
                                      fallback);
    EXPECT_EQ(to_vec(g[0]), (std::vector<double>{4, 4}));
  }
  EXPECT_EQ(custom, 2);
}

TEST(Autodiff, ARuleInsideATraceIsRecordedByIt) {
  // A tf.function whose body takes a gradient: the cached rule graph runs node by node
  // inside the outer trace, so the function's graph computes the gradient of new inputs.
  autodiff::clear_cached_rules();
  graph::Builder outer([](const Array&) { return -1; }, [] { return std::string(); });
  Array traced_grad;
  Array x_in;
  {
    graph::ActiveBuilder scope(&outer);
    x_in = outer.add_input(values({3}, {1, 2, 3}));
    const Array sq = ops::square(x_in);
    const std::vector<Node> nodes = {node("square", {1}, {&x_in}, {2}, {&sq})};
    Rules rules;
    rules.nodes = &nodes;
    for (int run = 0; run < 2; ++run) {  // traced, then from the cache
      const auto g = autodiff::backprop(nodes, {{2, ops::full({3}, DType::kFloat64, 1.0)}},
                                        {1}, std::ref(rules));
      traced_grad = g[0];
    }
    EXPECT_EQ(rules.calls, 1);
  }
  const auto fn = outer.finish({traced_grad});
  graph::Values vars;
  std::vector<char> assigned;
  const auto out = fn->run({values({3}, {-1, 0.5, 4})}, vars, assigned);
  EXPECT_EQ(to_vec(out[0]), (std::vector<double>{-2, 1, 8}));
  autodiff::clear_cached_rules();
}

TEST(Autodiff, TheWalkRunsOnAnyGradientType) {
  // The walk Python's recording tapes use (with Tensors) is the same template: here on
  // optional doubles, y = u * v with u = 3x, v = x + 1 at x = 2 (dy/dx = 3(x + 1) + 3x =
  // 15); the first node has a second output nobody uses (its gradient is zero-filled).
  using G = std::optional<double>;
  std::vector<Node> nodes = {node("", {1}, {}, {2, 9}, {}), node("", {1}, {}, {3}, {}),
                             node("", {2, 3}, {}, {4}, {})};
  struct Scalars {
    std::vector<int>* zero_filled;
    static bool defined(const G& g) { return g.has_value(); }
    static G add(const G& a, const G& b) { return *a + *b; }
    G zeros_like_output(size_t i, size_t k) const {
      zero_filled->push_back(static_cast<int>(10 * i + k));
      return 0.0;
    }
    std::vector<G> rule(size_t i, const std::vector<G>& dys, const std::vector<bool>& needs) const {
      const double x = 2, u = 3 * x, v = x + 1;
      if (i == 0) return {3 * *dys[0] + 100 * *dys[1]};
      if (i == 1) return {*dys[0]};
      return {needs[0] ? G(*dys[0] * v) : G(), needs[1] ? G(*dys[0] * u) : G()};
    }
  };
  std::vector<int> zero_filled;
  const auto g = autodiff::walk<G>(nodes, {{4, G(1.0)}}, {1, 7}, Scalars{&zero_filled});
  EXPECT_EQ(g[0], G(15.0));
  EXPECT_FALSE(g[1].has_value());  // unconnected
  EXPECT_EQ(zero_filled, (std::vector<int>{1}));  // node 0, output 1
}

TEST(Autodiff, TapeKeepsWhatReadsWatchedOrKeptValues) {
  autodiff::Tape<std::string> tape(/*watch_accessed_variables=*/true);
  EXPECT_TRUE(tape.watch(11));
  EXPECT_FALSE(tape.watch(11));  // already watched
  const std::vector<int64_t> reads_watched = {5, 11}, reads_other = {5, 6};
  EXPECT_TRUE(tape.keeps(reads_watched));
  EXPECT_FALSE(tape.keeps(reads_other));
  tape.keep(std::make_shared<std::string>("mul"), std::vector<int64_t>{12});
  EXPECT_TRUE(tape.tracks(12));  // its output: the next op reading it is kept too
  EXPECT_TRUE(tape.keeps(std::vector<int64_t>{12}));
  ASSERT_EQ(tape.records().size(), 1u);
  EXPECT_EQ(*tape.records()[0], "mul");
  autodiff::KeySet keys;  // grows past its first table, keeps every key
  for (int64_t k = 1; k <= 1000; ++k) EXPECT_TRUE(keys.insert(k * 7919));
  for (int64_t k = 1; k <= 1000; ++k) EXPECT_TRUE(keys.contains(k * 7919));
  EXPECT_FALSE(keys.contains(3));
  EXPECT_EQ(keys.size(), 1000u);
}
