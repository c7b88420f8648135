// The gradient tape (autodiff/tape.h) over Python records, and the two reverse walks
// (autodiff/backprop.h, autodiff/walk.h) over a tape's records.
#include <memory>
#include <string>
#include <vector>

#include "autodiff/backprop.h"
#include "autodiff/tape.h"
#include "autodiff/walk.h"
#include "bindings/common.h"
#include "core/denormal.h"
#include "ops.h"

namespace tapeflow::bindings {

// ---- the tape and the reverse pass ---------------------------------------------------
// autodiff/tape.h's Tape over Python records (op name, input and output Tensors,
// attributes); values are keyed by object identity, as Python's id().
int64_t key_of(PyObject* o) { return static_cast<int64_t>(reinterpret_cast<intptr_t>(o)); }

struct PyRecord {
  py::str op;
  py::tuple inputs, outputs;
  py::object attrs;
};

// A tape, plus the objects it watches (kept alive, so their keys stay theirs; Variables
// among them are what watched_variables() lists).
struct PyTape : autodiff::Tape<PyRecord> {
  using Tape::Tape;
  std::vector<py::object> watched;
  void watch_object(py::handle obj) {
    if (watch(key_of(obj.ptr()))) watched.push_back(py::reinterpret_borrow<py::object>(obj));
  }
};

// A Tensor's or Variable's `_a`, borrowed; nullptr for anything else.
const Array* array_of(PyObject* o) {
  if (Py_TYPE(o) == g_fast.tensor) return fast_operand(o);
  static PyObject* const name = PyUnicode_InternFromString("_a");
  PyObject* a = PyObject_GetAttr(o, name);
  if (a == nullptr) {
    PyErr_Clear();
    return nullptr;
  }
  Py_DECREF(a);  // still held by o (a slot or attribute), so the pointer stays valid
  return borrowed_array(a);
}

// The keys of a tuple's items (a record's inputs or outputs).
struct TupleKeys {
  PyObject* tuple;
  struct It {
    PyObject* t;
    Py_ssize_t i;
    int64_t operator*() const { return key_of(PyTuple_GET_ITEM(t, i)); }
    It& operator++() { ++i; return *this; }
    bool operator!=(const It& o) const { return i != o.i; }
  };
  It begin() const { return {tuple, 0}; }
  It end() const { return {tuple, PyTuple_GET_SIZE(tuple)}; }
};

// The active tapes (tape.py's `active`, a list of Tapes, innermost last), read in place:
// a range of C++ Tapes without copying the list (ops offer every record to it).
struct ActiveTapes {
  PyObject* list = g_fast.active;
  struct It {
    PyObject* list;
    Py_ssize_t i;
    PyTape* operator*() const { return &py::cast<PyTape&>(py::handle(PyList_GET_ITEM(list, i))); }
    It& operator++() { ++i; return *this; }
    bool operator!=(const It& o) const { return i != o.i; }
  };
  It begin() const { return {list, 0}; }
  It end() const { return {list, PyList_GET_SIZE(list)}; }
};

// tape.record (see autodiff::offer).
void tape_record(PyObject* op, PyObject* inputs, PyObject* outputs, PyObject* attrs) {
  if (!PyTuple_Check(inputs) || !PyTuple_Check(outputs) || !PyUnicode_Check(op))
    throw py::type_error("record: op must be a str, inputs and outputs tuples");
  autodiff::offer(ActiveTapes{}, TupleKeys{inputs}, TupleKeys{outputs}, [&] {
    return std::make_shared<PyRecord>(PyRecord{
        py::reinterpret_borrow<py::str>(op), py::reinterpret_borrow<py::tuple>(inputs),
        py::reinterpret_borrow<py::tuple>(outputs), py::reinterpret_borrow<py::object>(attrs)});
  });
}

// tape.variable_read (see autodiff::variable_read): TF's ReadVariableOp.
void tape_variable_read(PyObject* var, PyObject* value) {
  static const py::str op("ReadVariableOp");
  autodiff::variable_read(
      ActiveTapes{}, key_of(var), key_of(value),
      [&] { return py::bool_(py::handle(var).attr("_trainable")).cast<bool>(); },
      [&](PyTape& tape) { tape.watch_object(var); },
      [&] {
        return std::make_shared<PyRecord>(PyRecord{
            op, py::make_tuple(py::handle(var)), py::make_tuple(py::handle(value)), py::none()});
      });
}

// A record's attributes as bytes, appended to `key`: None, bools, ints, floats, strings,
// slices, Ellipsis and tuples or lists of them. False for anything else (a function, a
// Tensor): such a rule is not cached.
bool append_attrs(std::string& key, PyObject* a) {
  auto put = [&](char tag, const void* p, size_t n) {
    key.push_back(tag);
    key.append(static_cast<const char*>(p), n);
  };
  if (a == Py_None) {
    key.push_back('N');
  } else if (a == Py_Ellipsis) {
    key.push_back('E');
  } else if (PyBool_Check(a)) {
    key.push_back(a == Py_True ? 'T' : 'F');
  } else if (PyLong_Check(a) || (!PyFloat_Check(a) && PyIndex_Check(a))) {  // numpy ints too
    const py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(a));
    if (!i) throw py::error_already_set();
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
    if (overflow != 0 || (v == -1 && PyErr_Occurred())) {
      PyErr_Clear();
      return false;
    }
    put('i', &v, sizeof v);
  } else if (PyFloat_Check(a)) {
    const double v = PyFloat_AS_DOUBLE(a);
    put('f', &v, sizeof v);
  } else if (PyUnicode_Check(a)) {
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(a, &n);
    if (s == nullptr) throw py::error_already_set();
    const int64_t len = n;
    put('s', &len, sizeof len);
    key.append(s, static_cast<size_t>(n));
  } else if (PySlice_Check(a)) {
    auto* sl = reinterpret_cast<PySliceObject*>(a);
    key.push_back(':');
    return append_attrs(key, sl->start) && append_attrs(key, sl->stop) &&
           append_attrs(key, sl->step);
  } else if (PyTuple_Check(a) || PyList_Check(a)) {
    const py::sequence seq = py::reinterpret_borrow<py::sequence>(a);
    const int64_t n = static_cast<int64_t>(seq.size());
    put('(', &n, sizeof n);
    for (const py::handle item : seq)
      if (!append_attrs(key, item.ptr())) return false;
  } else {
    return false;
  }
  return true;
}

// The keys and Arrays of a record's inputs or outputs.
void add_values(const py::tuple& values, std::vector<int64_t>& keys,
                std::vector<const Array*>& arrays) {
  const Py_ssize_t n = PyTuple_GET_SIZE(values.ptr());
  keys.reserve(static_cast<size_t>(n));
  arrays.reserve(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* x = PyTuple_GET_ITEM(values.ptr(), i);
    keys.push_back(key_of(x));
    arrays.push_back(array_of(x));
  }
}

autodiff::Node node_of(const PyRecord& rec) {
  autodiff::Node n;
  add_values(rec.inputs, n.inputs, n.in_arrays);
  add_values(rec.outputs, n.outputs, n.out_arrays);
  Py_ssize_t len = 0;
  const char* name = PyUnicode_AsUTF8AndSize(rec.op.ptr(), &len);
  if (name == nullptr) throw py::error_already_set();
  n.op_key.assign(name, static_cast<size_t>(len));
  n.op_key.push_back('\0');
  if (!append_attrs(n.op_key, rec.attrs.ptr())) n.op_key.clear();
  return n;
}

std::vector<autodiff::Node> nodes_of(const PyTape& tape) {
  std::vector<autodiff::Node> nodes;
  nodes.reserve(tape.records().size());
  for (const auto& rec : tape.records()) nodes.push_back(node_of(*rec));
  return nodes;
}

// A seed's or source's Array: a Python Array, or a Tensor's or Variable's `_a` (borrowed).
const Array* any_array(PyObject* o) {
  const Array* a = array_of(o);
  return a != nullptr ? a : borrowed_array(o);
}

// seeds: (target, output gradient or None: ones, the target's value), each gradient and
// value a Tensor, Variable or Array. Returns one Tensor per float source, None for a
// source that is unconnected or not float (TF's gradient of an integer is None).
py::list native_backprop(const PyTape& tape, const py::list& seeds, const py::list& sources,
                         const py::function& fallback) {
  const auto& records = tape.records();
  const std::vector<autodiff::Node> nodes = nodes_of(tape);
  std::vector<std::pair<int64_t, Array>> seed_grads;
  for (const py::handle s : seeds) {
    const auto seed = py::reinterpret_borrow<py::tuple>(s);
    if (!seed[1].is_none()) {
      const Array* g = any_array(seed[1].ptr());
      if (g == nullptr) throw py::type_error("backprop: an output gradient must be a Tensor");
      seed_grads.emplace_back(key_of(seed[0].ptr()), *g);
      continue;
    }
    const Array* like = any_array(seed[2].ptr());
    if (like == nullptr) throw Error(ErrorKind::kInternal, "[backprop] a seed needs its target");
    seed_grads.emplace_back(key_of(seed[0].ptr()), ops::full(like->shape(), like->dtype(), 1.0));
  }
  std::vector<int64_t> source_keys;
  std::vector<size_t> float_sources;  // positions in `sources` of the float ones
  for (size_t i = 0; i < sources.size(); ++i) {
    PyObject* s = PyList_GET_ITEM(sources.ptr(), static_cast<Py_ssize_t>(i));
    const Array* a = any_array(s);
    if (a == nullptr || !is_floating(a->dtype())) continue;
    source_keys.push_back(key_of(s));
    float_sources.push_back(i);
  }
  const auto call_python = [&](size_t i, const autodiff::RuleArgs& args,
                               const autodiff::Grads& dys, const std::vector<bool>& needs) {
    py::tuple pd(dys.size()), pn(needs.size());
    for (size_t k = 0; k < dys.size(); ++k) pd[k] = py::cast(dys[k]);
    for (size_t k = 0; k < needs.size(); ++k) pn[k] = py::bool_(needs[k]);
    const py::object ins = args.inputs ? py::cast(*args.inputs) : py::none();
    const py::object outs = args.outputs ? py::cast(*args.outputs) : py::none();
    autodiff::Grads out;
    for (const py::handle g : fallback(records[i], ins, outs, pd, pn))
      out.push_back(g.is_none() ? Array() : g.cast<Array>());
    return out;
  };
  autodiff::Grads grads = autodiff::backprop(nodes, seed_grads, source_keys, call_python);
  py::list out(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) out[i] = py::none();
  for (size_t k = 0; k < grads.size(); ++k)
    if (grads[k].defined())
      out[float_sources[k]] = py::reinterpret_steal<py::object>(make_tensor(std::move(grads[k])));
  return out;
}

// The same walk over Python Tensors, while a tape records the backward pass: each rule
// runs in Python (rule(record, output_grads, needs)) and gradients are summed with
// Python's add, so the recording tape sees every op of the gradient.
py::list recorded_backprop(const PyTape& tape, const py::list& seeds, const py::list& sources,
                           const py::function& rule, const py::function& add,
                           const py::function& zeros_like) {
  const auto& records = tape.records();
  const std::vector<autodiff::Node> nodes = nodes_of(tape);
  std::vector<std::pair<int64_t, py::object>> seed_grads;
  for (const py::handle s : seeds) {  // (target, its output gradient)
    const auto seed = py::reinterpret_borrow<py::tuple>(s);
    seed_grads.emplace_back(key_of(seed[0].ptr()), seed[1]);
  }
  std::vector<int64_t> source_keys;
  for (const py::handle s : sources) source_keys.push_back(key_of(s.ptr()));
  struct PythonWalk {
    const std::vector<std::shared_ptr<PyRecord>>& records;
    const py::function &py_rule, &py_add, &py_zeros_like;
    static bool defined(const py::object& g) { return g && !g.is_none(); }
    py::object add(const py::object& a, const py::object& b) const { return py_add(a, b); }
    py::object zeros_like_output(size_t i, size_t k) const {
      return py_zeros_like(records[i]->outputs[k]);
    }
    std::vector<py::object> rule(size_t i, const std::vector<py::object>& dys,
                                 const std::vector<bool>& needs) const {
      py::tuple pd(dys.size()), pn(needs.size());
      for (size_t k = 0; k < dys.size(); ++k) pd[k] = dys[k];
      for (size_t k = 0; k < needs.size(); ++k) pn[k] = py::bool_(needs[k]);
      std::vector<py::object> out;
      for (const py::handle g : py_rule(records[i], pd, pn))
        out.push_back(py::reinterpret_borrow<py::object>(g));
      return out;
    }
  };
  const auto grads = autodiff::walk<py::object>(nodes, seed_grads, source_keys,
                                                PythonWalk{records, rule, add, zeros_like});
  py::list out(grads.size());
  for (size_t i = 0; i < grads.size(); ++i)
    out[i] = PythonWalk::defined(grads[i]) ? grads[i] : py::none();
  return out;
}

void bind_tape(py::module_& m) {
  m.def("backprop", &native_backprop, py::arg("tape"), py::arg("seeds"),
        py::arg("sources"), py::arg("fallback"),
        "The first-order reverse pass over a tape's records (see autodiff/backprop.h): "
        "seeds are (target, output gradient or None for ones, the target's value), as "
        "Tensors, Variables or Arrays; returns one Tensor per float source, else None. fallback(record, inputs, outputs, output_grads, "
        "needs) runs a record's rule (on the given Arrays while it is traced, else on the "
        "record's values: inputs and outputs None).", py::call_guard<FlushDenormals>());
  m.def("recorded_backprop", &recorded_backprop, py::arg("tape"), py::arg("seeds"),
        py::arg("sources"), py::arg("rule"), py::arg("add"), py::arg("zeros_like"),
        "The reverse pass over a tape's records on Python Tensors, for a tape recording it: "
        "seeds are (target, output gradient Tensor); rule(record, output_grads, needs) "
        "runs a record's rule; returns one Tensor or None per source.");
  m.def("cached_rules", &autodiff::cached_rules, "How many traced gradient rules are cached.");
  m.def("clear_cached_rules", &autodiff::clear_cached_rules, "Forgets the traced gradient rules.");
  py::class_<PyRecord, std::shared_ptr<PyRecord>>(m, "Record",
      "One recorded op (autodiff/tape.h): its TF name, input and output Tensors, and the "
      "attributes its gradient rule reads.")
      .def_readonly("op", &PyRecord::op)
      .def_readonly("inputs", &PyRecord::inputs)
      .def_readonly("outputs", &PyRecord::outputs)
      .def_readonly("attrs", &PyRecord::attrs);
  py::class_<PyTape>(m, "Tape", "One gradient tape's watched values and kept records "
                                "(autodiff/tape.h).")
      .def(py::init<bool>(), py::arg("watch_accessed_variables"))
      .def_property_readonly("watch_accessed_variables", &PyTape::watch_accessed_variables)
      .def("watch", &PyTape::watch_object, py::arg("obj"), "Starts watching a Tensor or Variable.")
      .def_readonly("watched", &PyTape::watched, "What it watches, in the order watched.")
      .def_property_readonly("records", [](const PyTape& t) {
        return std::vector<std::shared_ptr<PyRecord>>(t.records().begin(), t.records().end());
      }, "The records it kept, in execution order.")
      .def_readwrite("paused", &PyTape::paused);
  m.def("tape_record", [](py::handle op, py::handle inputs, py::handle outputs,
                          py::handle attrs) {
    tape_record(op.ptr(), inputs.ptr(), outputs.ptr(), attrs.ptr());
  }, py::arg("op"), py::arg("inputs"), py::arg("outputs"), py::arg("attrs") = py::none(),
     "autodiff/tape.py's record (see there).");
  m.def("tape_variable_read", [](py::handle var, py::handle value) {
    tape_variable_read(var.ptr(), value.ptr());
  }, "autodiff/tape.py's variable_read (see there).");
}

}  // namespace tapeflow::bindings
