// The native reverse pass (autodiff/backprop.h): walks, accumulation, unconnected
// sources, the fallback for ops without a rule, and rules against hand-derived values.
#include <gtest/gtest.h>

#include "autodiff/backprop.h"
#include "ops.h"
#include "tests/float64_arrays.h"

using namespace tapeflow;
using test_util::to_vec;
using test_util::values;
using autodiff::Node;
using autodiff::Rule;

namespace {
Node node(Rule rule, std::vector<int64_t> in, std::vector<const Array*> in_arrays,
          std::vector<int64_t> out, std::vector<const Array*> out_arrays) {
  Node n;
  n.rule = rule;
  n.inputs = std::move(in);
  n.in_arrays = std::move(in_arrays);
  n.outputs = std::move(out);
  n.out_arrays = std::move(out_arrays);
  return n;
}
const autodiff::Fallback kNoFallback = [](size_t, const autodiff::Grads&,
                                          const std::vector<bool>&) -> autodiff::Grads {
  ADD_FAILURE() << "fallback called";
  return {};
};
}  // namespace

TEST(Autodiff, ChainWithBroadcastAndReduction) {
  // y = mean((x * w + b)^2), x (3, 2) constant, w (2,) and b () sources.
  const Array x = values({3, 2}, {1, 2, 3, 4, 5, 6});
  const Array w = values({2}, {0.5, -1});
  const Array b = values({}, {0.25});
  const Array xw = ops::mul(x, w), z = ops::add(xw, b), sq = ops::square(z);
  const Array y = ops::mean(sq);
  std::vector<Node> nodes = {
      node(Rule::kMul, {1, 2}, {&x, &w}, {10}, {&xw}),
      node(Rule::kAdd, {10, 3}, {&xw, &b}, {11}, {&z}),
      node(Rule::kSquare, {11}, {&z}, {12}, {&sq}),
      node(Rule::kMean, {12}, {&sq}, {13}, {&y}),
  };
  const auto g = autodiff::backprop(nodes, {{13, ops::full({}, DType::kFloat64, 1.0)}},
                                    {2, 3, 99}, kNoFallback);
  ASSERT_EQ(g.size(), 3u);
  const auto zv = to_vec(z);
  std::vector<double> gw(2, 0.0);
  double gb = 0;
  for (int i = 0; i < 6; ++i) {
    gw[i % 2] += 2 * zv[i] / 6 * (i + 1);
    gb += 2 * zv[i] / 6;
  }
  EXPECT_EQ(g[0].shape(), (Shape{2}));
  EXPECT_NEAR(to_vec(g[0])[0], gw[0], 1e-12);
  EXPECT_NEAR(to_vec(g[0])[1], gw[1], 1e-12);
  EXPECT_EQ(g[1].shape(), Shape{});
  EXPECT_NEAR(to_vec(g[1])[0], gb, 1e-12);
  EXPECT_FALSE(g[2].defined());  // unconnected
}

TEST(Autodiff, FanOutAccumulatesAndFallbackRuns) {
  // y = x + f(x), f without a native rule: dy/dx = 1 + 3 (the fallback says 3).
  const Array x = values({2}, {1, 2});
  const Array fx = ops::mul(x, ops::full({}, DType::kFloat64, 3.0));
  const Array y = ops::add(x, fx);
  int calls = 0;
  const autodiff::Fallback fallback = [&](size_t i, const autodiff::Grads& dys,
                                          const std::vector<bool>& needs) {
    ++calls;
    EXPECT_EQ(i, 0u);
    EXPECT_EQ(needs, std::vector<bool>{true});
    return autodiff::Grads{ops::mul(dys[0], ops::full({}, DType::kFloat64, 3.0))};
  };
  const std::vector<Node> nodes = {node(Rule::kNone, {1}, {nullptr}, {2}, {&fx}),
                                   node(Rule::kAdd, {1, 2}, {&x, &fx}, {3}, {&y})};
  const auto g = autodiff::backprop(nodes, {{3, ops::full({2}, DType::kFloat64, 1.0)}}, {1},
                                    fallback);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(to_vec(g[0]), (std::vector<double>{4, 4}));
}

TEST(Autodiff, MatMulTransposesAndMissingInputsRaise) {
  const Array a = values({2, 3}, {1, 2, 3, 4, 5, 6});
  const Array b = values({2, 2}, {1, 0, 0, 1});
  const Array c = ops::matmul(a, b, true, false);  // (3, 2)
  Node n = node(Rule::kMatMul, {1, 2}, {&a, &b}, {3}, {&c});
  n.attrs = {1, 0};
  n.has_attrs = true;
  const auto g = autodiff::apply_rule(n, {ops::full({3, 2}, DType::kFloat64, 1.0)}, {true, true});
  // d/da of sum(a^T b) = b summed over its columns, laid out as a: each row i of a gets
  // sum_j b[i, j].
  EXPECT_EQ(to_vec(g[0]), (std::vector<double>{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(to_vec(g[1]), (std::vector<double>{6, 6, 15, 15}));
  Node bad = node(Rule::kSquare, {1}, {nullptr}, {2}, {&c});
  EXPECT_THROW(autodiff::apply_rule(bad, {c}, {true}), Error);
}
