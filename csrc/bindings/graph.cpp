// Graphs (csrc/graph): traced graphs, their builders, their definitions as Python data,
// and the nodes that call Python.
#include <memory>
#include <string>
#include <vector>

#include "bindings/common.h"
#include "core/denormal.h"
#include "graph/graph.h"
#include "ops.h"

namespace tapeflow::bindings {

// ---- graphs ---------------------------------------------------------------------------
// A Python object held by a graph node or a builder hook: released with the GIL held,
// whichever thread drops the last reference.
std::shared_ptr<py::object> hold(py::object o) {
  return std::shared_ptr<py::object>(new py::object(std::move(o)), [](py::object* p) {
    py::gil_scoped_acquire gil;
    delete p;
  });
}

// Calls fn(list of Arrays) -> list of Arrays; while tracing, also a node doing the same at
// every run (tf.print, tf.py_function). Never folded or pruned.
// run_when_traced=false (tf.print, which has no outputs): while tracing, only the node.
graph::Values py_call(py::object fn, const graph::Values& inputs, bool run_when_traced) {
  auto call = [f = hold(std::move(fn))](const graph::Values& in) {
    py::gil_scoped_acquire gil;
    return (*f)(in).cast<graph::Values>();
  };
  if (!graph::recording()) return call(inputs);
  if (run_when_traced) return graph::record_call("py_call", inputs, call, true, true);
  graph::trace_state().builder->record(
      "py_call", graph::Attrs{}, inputs, {}, [call](const graph::Values& in, graph::RunState&) { return call(in); },
      true, true);
  return {};
}

std::unique_ptr<graph::Builder> make_builder(py::object resolve_variable, py::object origin,
                                             graph::Builder* parent) {
  auto resolve = [f = hold(std::move(resolve_variable))](const Array& a) {
    py::gil_scoped_acquire gil;
    return (*f)(a).cast<int>();
  };
  auto where = [f = hold(std::move(origin))]() {
    py::gil_scoped_acquire gil;
    return (*f)().cast<std::string>();
  };
  return std::make_unique<graph::Builder>(resolve, where, parent);
}

// Runs a graph on `inputs` with the captured Variables `variables` (Python objects): their
// `_a` are read before the run; assigned ones are written back after it through
// `write_back(variable, array)` when given (a trace in progress records the assignment),
// else by setting `_a` directly.
py::list run_graph(const graph::Graph& g, const graph::Values& inputs, const py::list& variables,
                   const py::object& write_back) {
  static PyObject* const a_name = PyUnicode_InternFromString("_a");
  graph::Values values;
  values.reserve(variables.size());
  for (const py::handle v : variables) {
    const py::object a = py::reinterpret_steal<py::object>(PyObject_GetAttr(v.ptr(), a_name));
    if (!a) throw py::error_already_set();
    values.push_back(a.cast<Array>());
  }
  std::vector<char> assigned;
  graph::Values out;
  {
    py::gil_scoped_release release;
    FlushDenormals flush;  // as TF's kernels (core/denormal.h)
    out = g.run(inputs, values, assigned);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (!assigned[i]) continue;
    // A variable's value is its own (a uid no other variable shares): traces find the
    // variable an op reads by its value's uid.
    py::object a = py::cast(values[i].renamed());
    if (!write_back.is_none()) {
      write_back(variables[i], a);
    } else if (PyObject_SetAttr(variables[i].ptr(), a_name, a.ptr()) < 0) {
      throw py::error_already_set();
    }
  }
  py::list result(out.size());
  for (size_t i = 0; i < out.size(); ++i) result[i] = py::cast(std::move(out[i]));
  return result;
}

// A graph's definition as plain Python data (what tapeflow.saved_model writes as JSON,
// with the constants' Arrays beside it), and back. Types are checked by the caller
// (python/tapeflow/graph/serialize.py); meaning by Graph::from_definition.
py::tuple spec_tuple(const graph::Spec& s) {
  return py::make_tuple(py::tuple(py::cast(s.first)), dtype_name(s.second));
}

graph::Spec spec_of(const py::handle& t) {
  const auto pair = t.cast<std::pair<std::vector<int64_t>, std::string>>();
  return graph::Spec(Shape(pair.first), dtype_from_name(pair.second));
}

py::dict graph_definition(const graph::Graph& g) {
  const graph::GraphDef d = g.definition();
  py::dict out;
  out["num_slots"] = d.num_slots;
  out["num_variables"] = d.num_variables;
  out["inputs"] = d.inputs;
  out["outputs"] = d.outputs;
  py::list output_specs, constants, nodes;
  for (const graph::Spec& s : d.output_specs) output_specs.append(spec_tuple(s));
  for (const auto& c : d.constants) constants.append(py::make_tuple(c.first, c.second));
  for (const graph::NodeDef& n : d.nodes) {
    py::dict node, attrs;
    for (const auto& [name, value] : n.attrs.items()) attrs[py::str(name)] = value;
    py::list specs;
    for (const graph::Spec& s : n.specs) specs.append(spec_tuple(s));
    node["op"] = n.op;
    node["attrs"] = attrs;
    node["inputs"] = n.inputs;
    node["outputs"] = n.outputs;
    node["specs"] = specs;
    node["side_effect"] = n.side_effect;
    node["origin"] = n.origin;
    if (!n.subgraphs.empty()) {
      py::list subgraphs;
      for (const auto& g : n.subgraphs) subgraphs.append(graph_definition(*g));
      node["subgraphs"] = subgraphs;
    }
    nodes.append(node);
  }
  out["output_specs"] = output_specs;
  out["constants"] = constants;
  out["nodes"] = nodes;
  return out;
}

std::shared_ptr<graph::Graph> graph_from_definition(const py::dict& d) {
  graph::GraphDef def;
  def.num_slots = d["num_slots"].cast<int32_t>();
  def.num_variables = d["num_variables"].cast<int>();
  def.inputs = d["inputs"].cast<std::vector<int32_t>>();
  def.outputs = d["outputs"].cast<std::vector<int32_t>>();
  for (const py::handle s : d["output_specs"]) def.output_specs.push_back(spec_of(s));
  for (const py::handle c : d["constants"])
    def.constants.push_back(c.cast<std::pair<int32_t, Array>>());
  for (const py::handle h : d["nodes"]) {
    const py::dict n = h.cast<py::dict>();
    graph::NodeDef node;
    node.op = n["op"].cast<std::string>();
    for (const auto& [name, value] : n["attrs"].cast<py::dict>())
      node.attrs.set(name.cast<std::string>(), value.cast<graph::AttrValue>());
    node.inputs = n["inputs"].cast<std::vector<int32_t>>();
    node.outputs = n["outputs"].cast<std::vector<int32_t>>();
    for (const py::handle s : n["specs"]) node.specs.push_back(spec_of(s));
    node.side_effect = n["side_effect"].cast<bool>();
    node.origin = n["origin"].cast<std::string>();
    if (n.contains("subgraphs"))
      for (const py::handle g : n["subgraphs"])
        node.subgraphs.push_back(graph_from_definition(g.cast<py::dict>()));
    def.nodes.push_back(std::move(node));
  }
  return graph::Graph::from_definition(std::move(def));
}

void bind_graph(py::module_& m) {
  py::class_<graph::Graph, std::shared_ptr<graph::Graph>>(m, "Graph",
      "A traced function's graph (csrc/graph/graph.h).")
      .def("run", &run_graph, py::arg("inputs"), py::arg("variables"),
           py::arg("write_back") = py::none(),
           "Runs the graph on input Arrays with the captured Variables (read before, "
           "assigned ones written back after: write_back(variable, array) if given); "
           "returns the output Arrays.")
      .def_property_readonly("num_inputs", &graph::Graph::num_inputs)
      .def_property_readonly("num_outputs", &graph::Graph::num_outputs)
      .def_property_readonly("num_constants", &graph::Graph::num_constants)
      .def_property_readonly("num_variables", &graph::Graph::num_variables)
      .def_property_readonly("num_steps", &graph::Graph::num_steps,
                             "Steps a run executes (fused elementwise chains count once).")
      .def_property_readonly("output_specs", [](const graph::Graph& g) {
        py::list out;
        for (const auto& [shape, dtype] : g.output_specs())
          out.append(py::make_tuple(py::tuple(py::cast(shape)), static_cast<int>(dtype)));
        return out;
      })
      .def_property_readonly("ops", [](const graph::Graph& g) {
        std::vector<std::string> v;
        for (const auto& n : g.nodes()) v.push_back(n.op);
        return v;
      })
      .def("definition", &graph_definition,
           "The graph as plain data: a dict of slots, constants (slot, Array) and nodes "
           "(op, attrs, inputs, outputs, specs, side_effect, origin).")
      .def_static("from_definition", &graph_from_definition, py::arg("definition"),
                  "Builds (and checks) a graph from definition() data.")
      .def("same_computation", &graph::Graph::same_computation, py::arg("other"),
           "Whether `other` computes the same function of its inputs (graph.h).")
      .def("__str__", &graph::Graph::describe);
  m.def("graph_op_registered", &graph::op_registered, py::arg("op"),
        "Whether graphs holding `op` can be written out and rebuilt.");
  m.def("graph_ops", &graph::registered_ops, "Every op a graph can hold, sorted.");
  py::class_<graph::Builder>(m, "GraphBuilder", "Records a trace (csrc/graph/graph.h).")
      .def(py::init(&make_builder), py::arg("resolve_variable"), py::arg("origin"),
           py::arg("parent").none(true) = nullptr, py::keep_alive<1, 4>())
      .def_property_readonly("captured", &graph::Builder::captured,
                             "The outer values a branch builder reads, in input order.")
      .def("input", &graph::Builder::add_input, py::arg("value"))
      .def("assign_variable", &graph::Builder::assign_variable, py::arg("var"),
           py::arg("old_value"), py::arg("value"))
      .def("is_symbolic", &graph::Builder::is_symbolic, py::arg("value"))
      .def("producer", &graph::Builder::producer, py::arg("value"))
      .def_property("num_variables", &graph::Builder::num_variables,
                    &graph::Builder::set_num_variables)
      .def("finish", &graph::Builder::finish, py::arg("outputs"));
  m.def("graph_set_active", [](graph::Builder* b) { graph::trace_state() = graph::TraceState{b, 0}; },
        py::arg("builder").none(true),
        "Makes `builder` (kept alive by the caller) record this thread's ops; None: stop.");
  m.def("graph_cond", &graph::record_cond, py::arg("pred"), py::arg("then_graph"),
        py::arg("then_captured"), py::arg("else_graph"), py::arg("else_captured"),
        py::arg("outputs"),
        "Records a tf.cond node running one of two branch graphs; returns its outputs.");
  m.def("graph_guard", &graph::guard, py::arg("cond"), py::arg("expected"),
        "Python branched on bool(cond) == expected: while tracing, a node that checks it "
        "at every run (GuardFailed when it differs).");
  m.def("py_call", &py_call, py::arg("fn"), py::arg("inputs"), py::arg("run_when_traced") = true,
        "fn(list of Arrays) -> list of Arrays, and a graph node that calls it while tracing.");
}

}  // namespace tapeflow::bindings
