// The graph IR (graph/graph.h): tracing ops.h calls into a graph, folding, pruning,
// liveness, variables, guards, random nodes and node-naming errors.
#include <gtest/gtest.h>

#include <cmath>

#include "graph/graph.h"
#include "ops.h"
#include "tests/float64_arrays.h"

using namespace tapeflow;
using test_util::to_vec;
using test_util::values;
using graph::Builder;
using graph::Values;

namespace {
std::vector<std::string> ops_of(const graph::Graph& g) {
  std::vector<std::string> v;
  for (const auto& n : g.nodes()) v.push_back(n.op);
  return v;
}
}  // namespace

TEST(Graph, TracesRunsAndFolds) {
  Builder b(nullptr, [] { return std::string("test.py:1"); });
  std::shared_ptr<graph::Graph> g;
  {
    graph::ActiveBuilder active(&b);
    const Array x = b.add_input(values({3}, {1, 2, 3}));
    const Array c = ops::mul(ops::full({}, DType::kFloat64, 2.0),
                             ops::full({}, DType::kFloat64, 3.0));  // folded: 6
    const Array unused = ops::exp(x);                              // pruned
    const Array xc = ops::mul(x, c);
    const Array y = ops::add(xc, ops::sum(x));
    EXPECT_EQ(to_vec(y), (std::vector<double>{12, 18, 24}));  // traced calls still run
    EXPECT_TRUE(b.is_symbolic(y));
    EXPECT_FALSE(b.is_symbolic(c));
    g = b.finish({y});
  }
  EXPECT_EQ(ops_of(*g), (std::vector<std::string>{"mul", "sum", "add"}));
  EXPECT_EQ(g->num_constants(), 1u);
  Values vars;
  std::vector<char> assigned;
  const Values out = g->run({values({2}, {1, -1})}, vars, assigned);
  EXPECT_EQ(to_vec(out[0]), (std::vector<double>{6, -6}));
  EXPECT_THROW(g->run({}, vars, assigned), Error);  // wrong input count
}

TEST(Graph, OpsInsideOpsAreOneNode) {
  Builder b(nullptr, nullptr);
  std::shared_ptr<graph::Graph> g;
  {
    graph::ActiveBuilder active(&b);
    const Array x = b.add_input(values({2, 2}, {1, 2, 3, 4}));
    g = b.finish({ops::mean(x, ops::Axes{0}, false)});  // mean = sum + div inside
  }
  EXPECT_EQ(ops_of(*g), (std::vector<std::string>{"mean"}));
}

TEST(Graph, VariablesAreReadAndAssignedInOrder) {
  // The one captured variable is whatever Array the resolver says it is.
  Array v0 = values({}, {5});
  const uint64_t v_uid = v0.uid();
  Builder b([v_uid](const Array& a) { return a.uid() == v_uid ? 0 : -1; }, nullptr);
  b.set_num_variables(1);
  std::shared_ptr<graph::Graph> g;
  {
    graph::ActiveBuilder active(&b);
    const Array old = v0;                       // read before the assignment
    const Array nv = ops::add(v0, values({}, {1}));
    b.assign_variable(0, v0, nv);
    g = b.finish({ops::mul(old, values({}, {10})), nv});
  }
  Values vars{values({}, {7})};
  std::vector<char> assigned;
  const Values out = g->run({}, vars, assigned);
  EXPECT_EQ(to_vec(out[0]), (std::vector<double>{70}));  // the value before assigning
  EXPECT_EQ(to_vec(vars[0]), (std::vector<double>{8}));
  EXPECT_EQ(assigned, (std::vector<char>{1}));
}

TEST(Graph, GuardFailsWhenTheBranchDiffers) {
  Builder b(nullptr, nullptr);
  std::shared_ptr<graph::Graph> g;
  {
    graph::ActiveBuilder active(&b);
    const Array x = b.add_input(values({}, {3}));
    graph::guard(ops::greater(x, values({}, {0})), true);
    g = b.finish({ops::neg(x)});
  }
  Values vars;
  std::vector<char> assigned;
  EXPECT_EQ(to_vec(g->run({values({}, {2})}, vars, assigned)[0]), (std::vector<double>{-2}));
  try {
    g->run({values({}, {-2})}, vars, assigned);
    FAIL() << "expected a failed guard";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kGuardFailed);
  }
}

TEST(Graph, RandomNodesDrawNewNumbersEachRun) {
  Builder b(nullptr, nullptr);
  std::shared_ptr<graph::Graph> g;
  const auto eager = to_vec(ops::random_uniform({4}, DType::kFloat64, {1, 2}, {0, 0, 0, 0}).values);
  {
    graph::ActiveBuilder active(&b);
    const Array traced = ops::random_uniform({4}, DType::kFloat64, {1, 2}, {0, 0, 0, 0}).values;
    EXPECT_EQ(to_vec(traced), eager);  // the trace draws what an eager call draws
    g = b.finish({traced});
  }
  Values vars;
  std::vector<char> assigned;
  const auto a = to_vec(g->run({}, vars, assigned)[0]);
  const auto c = to_vec(g->run({}, vars, assigned)[0]);
  EXPECT_NE(a, eager);  // each run continues the node's own counter
  EXPECT_NE(a, c);
}

TEST(Graph, RunErrorsNameTheNode) {
  Builder b(nullptr, [] { return std::string("model.py:7 in f"); });
  std::shared_ptr<graph::Graph> g;
  {
    graph::ActiveBuilder active(&b);
    const Array p = b.add_input(values({2}, {1, 2}));
    const Array i = b.add_input(ops::full_int({}, DType::kInt64, 1));
    g = b.finish({ops::gather(p, i, 0)});
  }
  Values vars;
  std::vector<char> assigned;
  try {
    g->run({values({2}, {1, 2}), ops::full_int({}, DType::kInt64, 9)}, vars, assigned);
    FAIL() << "expected an out-of-range index";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'gather', created at model.py:7 in f"),
              std::string::npos) << e.what();
  }
}

TEST(Graph, SlotsAreReleasedAfterTheirLastUse) {
  Builder b(nullptr, nullptr);
  std::shared_ptr<graph::Graph> g;
  {
    graph::ActiveBuilder active(&b);
    const Array x = b.add_input(values({1000}, std::vector<double>(1000, 1.0)));
    Array y = x;
    for (int i = 0; i < 50; ++i) y = ops::add(y, x);
    g = b.finish({y});
  }
  Values vars;
  std::vector<char> assigned;
  const Array in = values({1000}, std::vector<double>(1000, 1.0));
  g->run({in}, vars, assigned);  // warm the allocator's cache
  const int64_t before = host_bytes_in_use();
  const Values out = g->run({in}, vars, assigned);
  // At most the output and one intermediate were alive at once beyond the input.
  EXPECT_LE(host_bytes_in_use() - before, 1000 * 8);
  EXPECT_EQ(to_vec(out[0])[0], 51.0);
}

namespace {
// A traced graph with attributes of every kind: shapes, axes, bools, dtypes, slices,
// optional axes, a variable read and assignment, and a random draw.
std::shared_ptr<graph::Graph> traced_example() {
  Builder b([](const Array& a) { return a.uid() == 0 ? 0 : -1; }, nullptr);
  graph::ActiveBuilder active(&b);
  b.set_num_variables(0);
  const Array x = b.add_input(values({2, 3}, {1, 2, 3, 4, 5, 6}));
  const Array t = ops::transpose(ops::reshape(x, {3, -1}), {1, 0});           // (2, 3)
  const Array s = ops::sum(ops::mul(t, x), ops::Axes{1}, true);                // (2, 1)
  const Array m = ops::matmul(x, t, false, true);                              // (2, 2)
  ops::SliceArg col;
  col.index = 1;
  const Array c = ops::slice(m, {ops::SliceArg{}, col});                       // (2,)
  const Array r = ops::cast(ops::argmax(m, 1, DType::kInt32), DType::kFloat64);
  const Array p = ops::pad(ops::add(c, r), {{1, 0}}, -1.0);                     // (3,)
  const Array u = ops::random_uniform({5}, DType::kFloat64, {1, 2}, {0, 0, 0, 0}).values;
  const Array y = ops::add(ops::concat({p, ops::reshape(s, {2})}, 0), ops::mul(u, ops::full({}, DType::kFloat64, 0.0)));
  return b.finish({y, ops::mean(x)});
}
}  // namespace

TEST(Graph, DefinitionRoundTripsAndRunsTheSame) {
  const auto g = traced_example();
  const graph::GraphDef def = g->definition();
  ASSERT_FALSE(def.nodes.empty());
  for (const auto& n : def.nodes) {
    EXPECT_TRUE(graph::op_registered(n.op)) << n.op;
    EXPECT_EQ(n.specs.size(), n.outputs.size()) << n.op;
  }
  const auto g2 = graph::Graph::from_definition(def);
  EXPECT_EQ(g->describe(), g2->describe());
  Values vars;
  std::vector<char> assigned;
  const Array in = values({2, 3}, {0, 1, -2, 3, 0.5, 6});
  const Values a = g->run({in}, vars, assigned), b = g2->run({in}, vars, assigned);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(to_vec(a[0]), to_vec(b[0]));
  EXPECT_EQ(to_vec(a[1]), to_vec(b[1]));
  EXPECT_EQ(g2->definition().nodes.size(), def.nodes.size());
}

TEST(Graph, HostileDefinitionsGetClearErrors) {
  const graph::GraphDef good = traced_example()->definition();
  const auto expect_error = [](graph::GraphDef d, const std::string& text) {
    try {
      graph::Graph::from_definition(std::move(d));
      ADD_FAILURE() << "accepted; expected: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  graph::GraphDef d = good;
  d.nodes[0].op = "no_such_op";
  expect_error(d, "unknown op 'no_such_op'");
  d = good;
  d.nodes[0].attrs = graph::Attrs{};
  expect_error(d, "missing attribute 'shape'");
  d = good;
  d.nodes[0].attrs = graph::Attrs{{"shape", std::string("3,2")}};
  expect_error(d, "attribute 'shape' must be a list of ints");
  d = good;
  d.nodes[0].inputs = {d.num_slots + 5};
  expect_error(d, "out of range");
  d = good;
  d.nodes[0].inputs = {d.nodes.back().outputs[0]};
  expect_error(d, "before anything writes it");
  d = good;
  d.nodes[1].outputs = d.nodes[0].outputs;
  expect_error(d, "written twice");
  d = good;
  d.nodes[0].specs.clear();
  expect_error(d, "output specs");
  d = good;
  d.num_slots = -1;
  expect_error(d, "num_slots");
  d = good;
  d.outputs.push_back(d.num_slots);
  expect_error(d, "out of range");
  d = good;
  graph::NodeDef read;
  read.op = "ReadVariableOp";
  read.attrs = graph::Attrs{{"variable", int64_t{3}}};
  read.outputs = {d.num_slots};
  read.specs = {graph::Spec({}, DType::kFloat64)};
  d.num_slots += 1;
  d.nodes.push_back(read);
  expect_error(d, "uses variable 3 of 0");
}

TEST(Graph, CondRunsTheBranchThePredicatePicks) {
  Builder b(nullptr, nullptr);
  std::shared_ptr<graph::Graph> g;
  {
    graph::ActiveBuilder active(&b);
    const Array x = b.add_input(values({2}, {1, 2}));
    const Array big = ops::mul(x, ops::full({}, DType::kFloat64, 100.0));
    const Array pred = ops::greater(ops::sum(x), ops::full({}, DType::kFloat64, 0.0));
    Builder then_b(nullptr, nullptr, &b), else_b(nullptr, nullptr, &b);
    std::shared_ptr<graph::Graph> then_g, else_g;
    Array taken;
    {
      graph::ActiveBuilder in_then(&then_b);
      taken = ops::add(big, ops::full({}, DType::kFloat64, 1.0));  // captures big
      then_g = then_b.finish({taken});
    }
    {
      graph::ActiveBuilder in_else(&else_b);
      else_g = else_b.finish({ops::neg(x)});  // captures x
    }
    EXPECT_EQ(then_b.captured().size(), 1u);
    EXPECT_EQ(else_b.captured()[0].uid(), x.uid());
    const Values out = graph::record_cond(pred, then_g, then_b.captured(), else_g,
                                          else_b.captured(), {taken});
    EXPECT_EQ(to_vec(out[0]), (std::vector<double>{101, 201}));
    g = b.finish({out[0]});
  }
  Values vars;
  std::vector<char> assigned;
  EXPECT_EQ(to_vec(g->run({values({2}, {3, 4})}, vars, assigned)[0]),
            (std::vector<double>{301, 401}));
  EXPECT_EQ(to_vec(g->run({values({2}, {-3, 1})}, vars, assigned)[0]),
            (std::vector<double>{3, -1}));
  // Round trip, and a cond whose branches disagree with its inputs is refused.
  graph::GraphDef def = g->definition();
  const auto g2 = graph::Graph::from_definition(def);
  EXPECT_TRUE(g->same_computation(*g2));
  EXPECT_EQ(to_vec(g2->run({values({2}, {-3, 1})}, vars, assigned)[0]),
            (std::vector<double>{3, -1}));
  for (auto& n : def.nodes) {
    if (n.op == "cond") n.subgraphs.pop_back();
  }
  EXPECT_THROW(graph::Graph::from_definition(def), Error);
}

TEST(Graph, ElementwiseChainsRunAsOneStep) {
  Builder b(nullptr, nullptr);
  std::shared_ptr<graph::Graph> g;
  const Array x0 = values({2, 3}, {1, -2, 3, -4, 5, -6});
  {
    graph::ActiveBuilder active(&b);
    const Array x = b.add_input(x0);
    const Array two = ops::full({}, DType::kFloat64, 2.0);
    const Array y = ops::relu(ops::add(ops::mul(x, two), x));   // one chain
    const Array z = ops::sum(y);                                 // not elementwise
    const Array w = ops::greater(ops::sqrt(ops::abs(x)), two);   // another (bool result)
    g = b.finish({ops::mul(y, z), w});
  }
  EXPECT_EQ(g->nodes().size(), 8u);
  EXPECT_EQ(g->num_steps(), 4u);  // fused(mul, add, relu), sum, fused(abs, sqrt, greater), mul
  Values vars;
  std::vector<char> assigned;
  const Values out = g->run({x0}, vars, assigned);
  const Array y = ops::relu(ops::add(ops::mul(x0, ops::full({}, DType::kFloat64, 2.0)), x0));
  EXPECT_EQ(to_vec(out[0]), to_vec(ops::mul(y, ops::sum(y))));
  EXPECT_EQ(out[1].dtype(), DType::kBool);
  EXPECT_EQ(to_vec(ops::cast(out[1], DType::kFloat64)), (std::vector<double>{0, 0, 0, 0, 1, 1}));
}

TEST(Graph, ElementwiseChainFusesTrailingBiases) {
  // A bias along the last axis (a Dense or Conv layer's) runs fused: blocks are whole
  // rows, over several blocks and threads; the same numbers as the ops one by one.
  using ops::ChainStep;
  const std::vector<ChainStep> steps = {{true, static_cast<int>(BinaryOp::add), 0, 1},
                                        {false, static_cast<int>(UnaryOp::relu), -1, 0},
                                        {true, static_cast<int>(BinaryOp::mul), -1, 2}};
  for (const int64_t c : {1, 3, 32, 1000, 5000}) {  // 5000: past the fused period cap
    const int64_t rows = 40000 / c + 3;
    std::vector<double> xv(static_cast<size_t>(rows * c)), bv(static_cast<size_t>(c)),
        wv(static_cast<size_t>(2 * c));
    for (size_t i = 0; i < xv.size(); ++i) xv[i] = std::sin(0.37 * static_cast<double>(i));
    for (size_t i = 0; i < bv.size(); ++i) bv[i] = std::cos(1.3 * static_cast<double>(i));
    for (size_t i = 0; i < wv.size(); ++i) wv[i] = 0.5 + 0.001 * static_cast<double>(i);
    const Array x = values({rows, c}, xv), b = values({c}, bv);
    const Array w = ops::reshape(values({2 * c}, wv), {2, c});  // not trailing: falls back
    const Array w1 = ops::slice(w, {ops::SliceArg{0, 1, 1, std::nullopt}});  // (1, c)
    EXPECT_EQ(to_vec(ops::elementwise_chain(steps, {x, b, w1})),
              to_vec(ops::mul(ops::relu(ops::add(x, b)), w1))) << c;
  }
}

TEST(Graph, ElementwiseChainFallsBackForBroadcasts) {
  // Inputs that broadcast otherwise (a column, not the result's trailing dims) run one op
  // at a time, with the same numbers and the ops' own errors.
  using ops::ChainStep;
  const std::vector<ChainStep> steps = {{true, static_cast<int>(BinaryOp::add), 0, 1},
                                        {false, static_cast<int>(UnaryOp::exp), -1, 0}};
  const Array a = values({2, 3}, {0, 1, 2, 3, 4, 5}), col = values({2, 1}, {1, 2});
  EXPECT_EQ(to_vec(ops::elementwise_chain(steps, {a, col})),
            to_vec(ops::exp(ops::add(a, col))));
  EXPECT_EQ(to_vec(ops::elementwise_chain(steps, {a, values({}, {1})})),
            to_vec(ops::exp(ops::add(a, values({}, {1})))));
  EXPECT_THROW(ops::elementwise_chain(steps, {a, values({2}, {1, 2})}), Error);
  EXPECT_THROW(ops::elementwise_chain({{false, 0, 3, 0}}, {a}), Error);   // no operand 3
  EXPECT_THROW(ops::elementwise_chain({{false, 0, -1, 0}}, {a}), Error);  // no step before
}
