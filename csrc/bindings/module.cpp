// pybind11 module tapeflow._core: thin wrappers over ops.h, no logic. Every op
// releases the GIL while its kernel runs.
#include <cstring>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <structmember.h>

#include "autodiff/backprop.h"
#include "autodiff/tape.h"
#include "autodiff/walk.h"
#include "core/denormal.h"
#include "core/thread_pool.h"
#include "cuda/cuda_backend.h"
#include "graph/graph.h"
#include "ops.h"

namespace py = pybind11;
using namespace tapeflow;

// Shapes and strides convert from and to Python sequences as std::vector<int64_t> does.
namespace pybind11::detail {
template <>
struct type_caster<tapeflow::DimVector> : list_caster<tapeflow::DimVector, int64_t> {};
}  // namespace pybind11::detail

namespace {

// Python exception classes for each ErrorKind, installed by tapeflow/__init__.py via
// _set_error_classes (they carry TF's OpError signature, so they live in Python).
py::object g_error_classes[6];

py::buffer_info array_buffer(const Array& a) {
  if (a.device().type != DeviceType::kCPU)
    throw Error(ErrorKind::kInvalidArgument, "[numpy] the array lives on " + a.device().str() +
                "; copy it to the host first (_core.to_device(a, 'CPU:0'))");
  std::string fmt;
  visit_dtype(a.dtype(), [&](auto t) { fmt = py::format_descriptor<decltype(t)>::format(); });
  // numpy reads "q" as longlong, a dtype distinct from np.int64 ("l" on LP64), which
  // would print as dtype=int64 in reprs; use the native long code where it is 64-bit.
  if (a.dtype() == DType::kInt64 && sizeof(long) == 8) fmt = "l";
  std::vector<py::ssize_t> shape(a.shape().begin(), a.shape().end()), strides;
  for (const int64_t s : a.strides()) strides.push_back(s * a.itemsize());
  return py::buffer_info(a.raw_data(), a.itemsize(), fmt, a.ndim(), shape, strides,
                         /*readonly=*/true);
}

DType numpy_dtype(const py::array& arr) {
  const py::dtype dt = arr.dtype();
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (!py::bool_(dt.attr("isnative")))
    throw Error(ErrorKind::kInvalidArgument,
                "[from_numpy] non-native byte order; convert with arr.astype(arr.dtype.newbyteorder('='))");
  if (kind == 'f' && size == 4) return DType::kFloat32;
  if (kind == 'f' && size == 8) return DType::kFloat64;
  if (kind == 'i' && size == 4) return DType::kInt32;
  if (kind == 'i' && size == 8) return DType::kInt64;
  if (kind == 'b' && size == 1) return DType::kBool;
  throw Error(ErrorKind::kInvalidArgument,
              "[from_numpy] unsupported numpy dtype " + std::string(py::str(dt)) +
                  "; supported: float32, float64, int32, int64, bool");
}

Array from_numpy(const py::array& arr) {
  const DType dt = numpy_dtype(arr);
  Shape shape(arr.shape(), arr.shape() + arr.ndim());
  Strides strides;
  for (py::ssize_t d = 0; d < arr.ndim(); ++d) {
    const auto s = arr.strides(d);
    if (s % static_cast<py::ssize_t>(itemsize(dt)) != 0)
      throw Error(ErrorKind::kInvalidArgument,
                  "[from_numpy] strides that are not a multiple of the item size; "
                  "use np.ascontiguousarray first");
    strides.push_back(s / static_cast<py::ssize_t>(itemsize(dt)));
  }
  const void* data = arr.data();
  py::gil_scoped_release release;
  return ops::from_buffer(data, shape, strides, dt);
}

int64_t index_value(const py::handle h) {
  // Anything with __index__ (ints, numpy integers); others are a TypeError, as in numpy.
  PyObject* idx = PyNumber_Index(h.ptr());
  if (idx == nullptr) throw py::error_already_set();
  const py::object owned = py::reinterpret_steal<py::object>(idx);
  return owned.cast<int64_t>();
}

std::vector<ops::SliceArg> slice_args(const py::tuple& items) {
  std::vector<ops::SliceArg> out;
  for (const py::handle h : items) {
    ops::SliceArg s;
    if (py::isinstance<py::slice>(h)) {
      const py::object start = h.attr("start"), stop = h.attr("stop"), step = h.attr("step");
      if (!start.is_none()) s.start = index_value(start);
      if (!stop.is_none()) s.stop = index_value(stop);
      if (!step.is_none()) s.step = index_value(step);
    } else {
      s.index = index_value(h);
    }
    out.push_back(s);
  }
  return out;
}

constexpr int64_t kReleaseGilAbove = 4096;

// ---- the Tensor operator fast path -----------------------------------------------------
// `a + b` (or `a * 2.0`) on tapeflow Tensors of one dtype is the tutorial's commonest
// line; its Python op (ops/_base.py's binary) costs more than the kernel. The operators
// installed here do the same thing in C++ (read both `_a` slots, run the op, make a
// Tensor holding the result, record it on active tapes as the Python op would; + - * /
// ** // % and the four orderings) and hand every other case, unchanged, to the Python
// op: other types (Variables, arrays, numbers that do not convert), mixed dtypes (TF's
// error message), int true division.
struct FastOperators {
  PyTypeObject* tensor = nullptr;  // tapeflow.Tensor (exact type only)
  Py_ssize_t slot = 0;             // offset of its `_a` slot
  PyObject* active = nullptr;      // tapeflow.autodiff.tape.active (a list)
} g_fast;

PyObject* make_tensor(Array&& a) {
  py::object arr = py::cast(std::move(a));
  PyObject* t = g_fast.tensor->tp_alloc(g_fast.tensor, 0);
  if (t == nullptr) throw py::error_already_set();
  *reinterpret_cast<PyObject**>(reinterpret_cast<char*>(t) + g_fast.slot) = arr.release().ptr();
  return t;
}

// The Array held by a Python Array object, borrowed (nullptr if it is not one).
const Array* borrowed_array(PyObject* a) {
  py::detail::make_caster<Array> caster;
  if (a == nullptr || !caster.load(a, false)) return nullptr;
  return &py::detail::cast_op<const Array&>(caster);
}

// An exact Tensor's `_a`, read from its slot (nullptr for anything else).
const Array* fast_operand(PyObject* o) {
  if (Py_TYPE(o) != g_fast.tensor) return nullptr;
  return borrowed_array(*reinterpret_cast<PyObject**>(reinterpret_cast<char*>(o) + g_fast.slot));
}

// A Python float or int operand as a 0-d Array of the tensor's dtype, converted exactly as
// tensor.py's _scalar_fast does; nullopt where that declines (float into an int tensor,
// anything into bool, out of range), so the Python op raises TF's error.
// Recent scalars per dtype (0-d host Arrays are immutable, so they can be shared; the GIL
// guards the cache). Keyed by the value's bits, so 0.0 and -0.0 stay apart.
struct ScalarCache {
  static constexpr int kSlots = 16;
  uint64_t key[kSlots] = {};
  Array value[kSlots];
};
ScalarCache g_scalars[kNumDTypes];

template <class Make>
Array cached_scalar(DType dt, uint64_t bits, Make make) {
  if (ops::default_device()) return make();  // a tf.device scope: make it there
  ScalarCache& c = g_scalars[static_cast<int>(dt)];
  const int slot = static_cast<int>((bits ^ (bits >> 29) ^ (bits >> 47)) % ScalarCache::kSlots);
  if (c.value[slot].defined() && c.key[slot] == bits) return c.value[slot];
  c.key[slot] = bits;
  c.value[slot] = make();
  return c.value[slot];
}

std::optional<Array> scalar_operand(PyObject* o, DType dt) {
  if (PyFloat_CheckExact(o)) {
    if (!is_floating(dt)) return std::nullopt;
    const double v = PyFloat_AS_DOUBLE(o);
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return cached_scalar(dt, bits, [&] { return ops::full({}, dt, v); });
  }
  if (!PyLong_CheckExact(o)) return std::nullopt;
  if (is_floating(dt)) {
    const double v = PyLong_AsDouble(o);
    if (v == -1.0 && PyErr_Occurred()) {
      PyErr_Clear();
      return std::nullopt;
    }
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return cached_scalar(dt, bits, [&] { return ops::full({}, dt, v); });
  }
  if (!is_integer(dt)) return std::nullopt;
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (overflow != 0 || (v == -1 && PyErr_Occurred())) {
    PyErr_Clear();
    return std::nullopt;
  }
  if (dt == DType::kInt32 && (v < INT32_MIN || v > INT32_MAX)) return std::nullopt;
  return cached_scalar(dt, static_cast<uint64_t>(v), [&] { return ops::full_int({}, dt, v); });
}

void tape_record(PyObject* op, PyObject* inputs, PyObject* outputs, PyObject* attrs);

// reflected: the operator of the right operand (`2.0 - t` is t.__rsub__(2.0)).
// tf_name: the op's TF name when it has a gradient. While a tape is active, a float
// result is recorded as the Python op records it: inputs (a number operand as a new
// Tensor), output, no attributes (tape.py's RULES has the op's rule).
void install_fast_operator(py::object cls, const char* name, BinaryOp op, bool float_only,
                           bool reflected, const char* tf_name, py::object fallback) {
  PyObject* const op_name = tf_name ? PyUnicode_InternFromString(tf_name) : nullptr;  // kept
  cls.attr(name) = py::cpp_function(
      [op, float_only, reflected, op_name, fallback](py::handle self, py::handle other) -> py::object {
        const Array* x = fast_operand(self.ptr());
        if (x == nullptr || (float_only && !is_floating(x->dtype())))
          return fallback(self, other);
        const Array* y = fast_operand(other.ptr());
        std::optional<Array> scalar;
        if (y == nullptr) {
          scalar = scalar_operand(other.ptr(), x->dtype());
          if (!scalar) return fallback(self, other);
          y = &*scalar;
        }
        if (x->dtype() != y->dtype()) return fallback(self, other);
        const Array& a = reflected ? *y : *x;
        const Array& b = reflected ? *x : *y;
        Array out;
        FlushDenormals flush;  // as TF's kernels (core/denormal.h)
        if (x->size() < kReleaseGilAbove && y->size() < kReleaseGilAbove) {
          out = ops::binary(op, a, b);
        } else {
          py::gil_scoped_release r;
          out = ops::binary(op, a, b);
        }
        const bool record = op_name != nullptr && PyList_GET_SIZE(g_fast.active) != 0 &&
                            is_floating(out.dtype());
        py::object result = py::reinterpret_steal<py::object>(make_tensor(std::move(out)));
        if (record) {
          const py::object y_obj = scalar ? py::reinterpret_steal<py::object>(make_tensor(Array(*scalar)))
                                          : py::reinterpret_borrow<py::object>(other);
          py::tuple inputs(2);
          inputs[reflected ? 1 : 0] = self;
          inputs[reflected ? 0 : 1] = y_obj;
          const py::tuple outputs = py::make_tuple(result);
          tape_record(op_name, inputs.ptr(), outputs.ptr(), Py_None);
        }
        return result;
      },
      py::name(name), py::is_method(cls));
}

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

// The active tapes (tape.py's `active`, a list of Tapes), as C++ objects.
std::vector<PyTape*> active_tapes() {
  PyObject* const active = g_fast.active;
  std::vector<PyTape*> tapes(static_cast<size_t>(PyList_GET_SIZE(active)));
  for (Py_ssize_t t = 0; t < PyList_GET_SIZE(active); ++t)
    tapes[static_cast<size_t>(t)] = &py::cast<PyTape&>(py::handle(PyList_GET_ITEM(active, t)));
  return tapes;
}

// tape.record (see autodiff::offer).
void tape_record(PyObject* op, PyObject* inputs, PyObject* outputs, PyObject* attrs) {
  if (!PyTuple_Check(inputs) || !PyTuple_Check(outputs) || !PyUnicode_Check(op))
    throw py::type_error("record: op must be a str, inputs and outputs tuples");
  autodiff::offer(active_tapes(), TupleKeys{inputs}, TupleKeys{outputs}, [&] {
    return std::make_shared<PyRecord>(PyRecord{
        py::reinterpret_borrow<py::str>(op), py::reinterpret_borrow<py::tuple>(inputs),
        py::reinterpret_borrow<py::tuple>(outputs), py::reinterpret_borrow<py::object>(attrs)});
  });
}

// tape.variable_read (see autodiff::variable_read): TF's ReadVariableOp.
void tape_variable_read(PyObject* var, PyObject* value) {
  static const py::str op("ReadVariableOp");
  autodiff::variable_read(
      active_tapes(), key_of(var), key_of(value),
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

autodiff::Node node_of(const PyRecord& rec) {
  autodiff::Node n;
  const Py_ssize_t ni = PyTuple_GET_SIZE(rec.inputs.ptr()), no = PyTuple_GET_SIZE(rec.outputs.ptr());
  n.inputs.reserve(ni);
  n.in_arrays.reserve(ni);
  for (Py_ssize_t i = 0; i < ni; ++i) {
    PyObject* x = PyTuple_GET_ITEM(rec.inputs.ptr(), i);
    n.inputs.push_back(key_of(x));
    n.in_arrays.push_back(array_of(x));
  }
  n.outputs.reserve(no);
  n.out_arrays.reserve(no);
  for (Py_ssize_t i = 0; i < no; ++i) {
    PyObject* o = PyTuple_GET_ITEM(rec.outputs.ptr(), i);
    n.outputs.push_back(key_of(o));
    n.out_arrays.push_back(array_of(o));
  }
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

py::list native_backprop(const PyTape& tape, const py::list& seeds, const py::list& sources,
                         const py::function& fallback) {
  const auto& records = tape.records();
  const std::vector<autodiff::Node> nodes = nodes_of(tape);
  std::vector<std::pair<int64_t, Array>> seed_grads;
  for (const py::handle s : seeds) {  // (target, gradient or None: ones, target's value)
    const auto seed = py::reinterpret_borrow<py::tuple>(s);
    if (!seed[1].is_none()) {
      seed_grads.emplace_back(key_of(seed[0].ptr()), seed[1].cast<Array>());
      continue;
    }
    const Array* like = borrowed_array(seed[2].ptr());
    if (like == nullptr) throw Error(ErrorKind::kInternal, "[backprop] a seed needs its target");
    seed_grads.emplace_back(key_of(seed[0].ptr()), ops::full(like->shape(), like->dtype(), 1.0));
  }
  std::vector<int64_t> source_keys;
  for (const py::handle s : sources) source_keys.push_back(key_of(s.ptr()));
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
  py::list out(grads.size());
  for (size_t i = 0; i < grads.size(); ++i)
    out[i] = grads[i].defined() ? py::cast(std::move(grads[i])) : py::none();
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

py::tuple random_result(const ops::RandomResult& r) { return py::make_tuple(r.values, r.blocks); }

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

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "tapeflow native core: Array, CPU kernels, Philox random numbers";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      const py::object& cls = g_error_classes[static_cast<int>(e.kind())];
      if (cls) {
        py::object exc = cls(py::none(), py::none(), e.what());
        PyErr_SetObject(cls.ptr(), exc.ptr());
      } else {
        PyErr_SetString(e.kind() == ErrorKind::kResourceExhausted ? PyExc_MemoryError
                                                                   : PyExc_ValueError,
                        e.what());
      }
    }
  });
  m.def("_set_error_classes", [](py::dict classes) {
    // In ErrorKind's order.
    const char* names[] = {"InvalidArgument", "OutOfRange", "ResourceExhausted",
                           "Unimplemented", "Internal", "GuardFailed"};
    for (int i = 0; i < 6; ++i) g_error_classes[i] = classes[names[i]];
  });

  py::enum_<DType>(m, "DType")
      .value("float32", DType::kFloat32)
      .value("float64", DType::kFloat64)
      .value("int32", DType::kInt32)
      .value("int64", DType::kInt64)
      .value("bool", DType::kBool);

  py::class_<Array>(m, "Array", py::buffer_protocol())
      .def_buffer(&array_buffer)
      .def_property_readonly("shape", [](const Array& a) { return py::tuple(py::cast(a.shape())); })
      .def_property_readonly("strides", [](const Array& a) { return py::tuple(py::cast(a.strides())); })
      .def_property_readonly("offset", &Array::offset)
      .def_property_readonly("dtype", &Array::dtype)
      // The dtype as its enum value (0 float32, 1 float64, 2 int32, 3 int64, 4 bool): a
      // small int is ~3x cheaper to return and compare than the enum object.
      .def_property_readonly("dtype_index", [](const Array& a) { return static_cast<int>(a.dtype()); })
      .def_property_readonly("ndim", &Array::ndim)
      .def_property_readonly("size", &Array::size)
      .def_property_readonly("nbytes", &Array::nbytes)
      .def_property_readonly("device", [](const Array& a) { return a.device().str(); })
      .def_property_readonly("is_contiguous", &Array::is_contiguous)
      .def("shares_storage", [](const Array& a, const Array& b) { return a.storage() == b.storage(); })
      .def("storage_use_count", [](const Array& a) { return a.storage().use_count(); })
      .def_property_readonly("uid", &Array::uid)
      .def("renamed", &Array::renamed, "The same data as a new value (a new uid).")
      .def("__repr__", [](const Array& a) { return "<_core.Array " + a.describe() + ">"; })
      // numpy tries the buffer protocol first (host arrays: zero-copy); a GPU array
      // refuses it, and numpy falls back to this, which copies to the host.
      .def("__array__", [](const Array& a, py::object dtype, py::object copy) {
        const Array h = ops::to_device(a, cpu_device());
        py::array out = py::array(py::buffer_info(array_buffer(h))).attr("copy")();
        if (!dtype.is_none()) out = out.attr("astype")(dtype);
        return out;
      }, py::arg("dtype") = py::none(), py::arg("copy") = py::none());

  m.def("from_numpy", &from_numpy, py::arg("array"),
        "Copies a numpy array (any strides) into a new contiguous Array.");
  // Every binding that runs kernels flushes denormals meanwhile, as TF (core/denormal.h);
  // most also release the GIL.
  auto rel = py::call_guard<py::gil_scoped_release, FlushDenormals>();
  auto flush = py::call_guard<FlushDenormals>();

  // Elementwise ops release the GIL only for inputs big enough to be worth it: on tiny
  // tensors the release/re-acquire would cost more than the kernel.
#define TAPEFLOW_BIND_UNARY(name, ...)                                  \
  m.def(#name, [](const Array& x) {                                     \
    FlushDenormals flush_denormals;                                    \
    if (x.size() < kReleaseGilAbove) return ops::name(x);              \
    py::gil_scoped_release r;                                          \
    return ops::name(x);                                               \
  }, py::arg("x"));
  TAPEFLOW_UNARY_OPS(TAPEFLOW_BIND_UNARY)
#undef TAPEFLOW_BIND_UNARY
#define TAPEFLOW_BIND_BINARY(name, ...)                                 \
  m.def(#name, [](const Array& a, const Array& b) {                     \
    FlushDenormals flush_denormals;                                    \
    if (a.size() < kReleaseGilAbove && b.size() < kReleaseGilAbove)    \
      return ops::name(a, b);                                          \
    py::gil_scoped_release r;                                          \
    return ops::name(a, b);                                            \
  }, py::arg("a"), py::arg("b"));
  TAPEFLOW_BINARY_OPS(TAPEFLOW_BIND_BINARY)
#undef TAPEFLOW_BIND_BINARY
  m.def("unary_ops", [] {
    std::vector<std::string> v;
    for (int i = 0; i < kNumUnaryOps; ++i) v.push_back(ops::unary_name(static_cast<UnaryOp>(i)));
    return v;
  });
  m.def("binary_ops", [] {
    std::vector<std::string> v;
    for (int i = 0; i < kNumBinaryOps; ++i) v.push_back(ops::binary_name(static_cast<BinaryOp>(i)));
    return v;
  });

  m.def("where", &ops::where, rel);
  // A fill converts its number as TF's constants do, outside any kernel: denormals stay.
  m.def("full", &ops::full, py::arg("shape"), py::arg("dtype"), py::arg("value"),
        py::call_guard<py::gil_scoped_release>());
  m.def("full_int", &ops::full_int, py::arg("shape"), py::arg("dtype"), py::arg("value"),
        py::call_guard<py::gil_scoped_release>());
  m.def("cast", &ops::cast, py::arg("x"), py::arg("dtype"), rel);
  m.def("copy", &ops::copy, rel);
  m.def("shape_of", &ops::shape_of, py::arg("x"), py::arg("dtype"), rel);
  m.def("size_of", &ops::size_of, py::arg("x"), py::arg("dtype"), rel);
  m.def("contiguous", &ops::contiguous, rel);
  m.def("reshape", &ops::reshape, py::arg("x"), py::arg("shape"), rel);
  m.def("transpose", &ops::transpose, py::arg("x"), py::arg("perm") = ops::Axes{}, rel);
  m.def("broadcast_to", &ops::broadcast_to, rel);
  m.def("broadcast_shapes", [](const Shape& a, const Shape& b) { return ops::broadcast_shapes(a, b); });
  m.def("expand_dims", &ops::expand_dims, rel);
  m.def("squeeze", &ops::squeeze, py::arg("x"), py::arg("axes") = ops::Axes{}, rel);
  m.def("slice", [](const Array& x, const py::tuple& items) {
    const auto args = slice_args(items);
    py::gil_scoped_release r;
    return ops::slice(x, args);
  }, flush);

  m.def("slice_assign", [](const Array& x, const py::tuple& items, const Array& value) {
    const auto args = slice_args(items);
    py::gil_scoped_release r;
    return ops::slice_assign(x, args, value);
  }, flush);
  m.def("scatter_add", &ops::scatter_add, py::arg("indices"), py::arg("updates"), py::arg("shape"),
        py::arg("axis") = 0, rel);

  m.def("reduce", [](const std::string& op, const Array& x, std::optional<ops::Axes> axes, bool keepdims) {
    for (int i = 0; i < kNumReduceOps; ++i) {
      if (op == ops::reduce_name(static_cast<ReduceOp>(i))) {
        py::gil_scoped_release r;
        return ops::reduce(static_cast<ReduceOp>(i), x, axes, keepdims);
      }
    }
    throw Error(ErrorKind::kInvalidArgument, "[reduce] unknown reduction '" + op + "'");
  }, py::arg("op"), py::arg("x"), py::arg("axes") = py::none(), py::arg("keepdims") = false, flush);
  m.def("mean", &ops::mean, py::arg("x"), py::arg("axes") = py::none(), py::arg("keepdims") = false, rel);
  m.def("argmax", &ops::argmax, py::arg("x"), py::arg("axis"), py::arg("output_type") = DType::kInt64, rel);
  m.def("argmin", &ops::argmin, py::arg("x"), py::arg("axis"), py::arg("output_type") = DType::kInt64, rel);

  m.def("cumsum", &ops::cumsum, py::arg("x"), py::arg("axis") = 0, py::arg("exclusive") = false,
        py::arg("reverse") = false, rel);
  m.def("cumprod", &ops::cumprod, py::arg("x"), py::arg("axis") = 0,
        py::arg("exclusive") = false, py::arg("reverse") = false, rel);
  m.def("cumulative_logsumexp", &ops::cumulative_logsumexp, py::arg("x"), py::arg("axis") = 0,
        py::arg("exclusive") = false, py::arg("reverse") = false, rel);

  m.def("matmul", &ops::matmul, py::arg("a"), py::arg("b"), py::arg("transpose_a") = false,
        py::arg("transpose_b") = false, rel);
  m.def("concat", &ops::concat, py::arg("values"), py::arg("axis"), rel);
  m.def("stack", &ops::stack, py::arg("values"), py::arg("axis") = 0, rel);
  m.def("gather", &ops::gather, py::arg("params"), py::arg("indices"), py::arg("axis") = 0, rel);
  m.def("one_hot", &ops::one_hot, py::arg("indices"), py::arg("depth"), py::arg("on_value") = 1.0,
        py::arg("off_value") = 0.0, py::arg("axis") = -1, py::arg("dtype") = DType::kFloat32, rel);
  m.def("tile", &ops::tile, py::arg("x"), py::arg("multiples"), rel);
  m.def("pad", &ops::pad, py::arg("x"), py::arg("paddings"), py::arg("constant_value") = 0.0, rel);

  m.def("softmax", &ops::softmax, py::arg("x"), py::arg("axis") = -1, rel);
  m.def("sparse_softmax_xent", [](const Array& logits, const Array& labels) {
    const auto r = ops::sparse_softmax_xent(logits, labels);
    return py::make_tuple(r[0], r[1]);
  }, py::arg("logits"), py::arg("labels"), flush);
  m.def("apply_adam", [](const Array& var, const Array& mm, const Array& v, const Array& g,
                         const Array& lr, const Array& b1p, const Array& b2p, double b1,
                         double b2, double eps) {
    const auto r = [&] {
      py::gil_scoped_release release;
      return ops::apply_adam(var, mm, v, g, lr, b1p, b2p, b1, b2, eps);
    }();
    return py::make_tuple(r[0], r[1], r[2]);
  }, py::arg("var"), py::arg("m"), py::arg("v"), py::arg("grad"), py::arg("lr"),
     py::arg("beta1_power"), py::arg("beta2_power"), py::arg("one_minus_beta1"),
     py::arg("one_minus_beta2"), py::arg("epsilon"), flush);

  m.def("random_uniform", [](const Shape& s, DType d, ops::PhiloxKey k, ops::PhiloxCounter c) {
    return random_result(ops::random_uniform(s, d, k, c));
  }, py::arg("shape"), py::arg("dtype"), py::arg("key"), py::arg("counter"), flush);
  m.def("random_uniform_int", [](const Shape& s, DType d, int64_t lo, int64_t hi, ops::PhiloxKey k,
                                 ops::PhiloxCounter c) {
    return random_result(ops::random_uniform_int(s, d, lo, hi, k, c));
  }, py::arg("shape"), py::arg("dtype"), py::arg("minval"), py::arg("maxval"), py::arg("key"),
     py::arg("counter"), flush);
  m.def("random_normal", [](const Shape& s, DType d, ops::PhiloxKey k, ops::PhiloxCounter c) {
    return random_result(ops::random_normal(s, d, k, c));
  }, py::arg("shape"), py::arg("dtype"), py::arg("key"), py::arg("counter"), flush);
  m.def("random_truncated_normal", [](const Shape& s, DType d, ops::PhiloxKey k, ops::PhiloxCounter c) {
    return random_result(ops::random_truncated_normal(s, d, k, c));
  }, py::arg("shape"), py::arg("dtype"), py::arg("key"), py::arg("counter"), flush);
  m.def("philox", &ops::philox_block, py::arg("counter"), py::arg("key"));

  m.def("to_device", [](const Array& a, const std::string& device) {
    const Device d = device_from_name(device);
    py::gil_scoped_release r;
    return ops::to_device(a, d);
  }, py::arg("x"), py::arg("device"));
  m.def("set_default_device", [](std::optional<std::string> device) {
    ops::set_default_device(device ? std::optional<Device>(device_from_name(*device)) : std::nullopt);
  }, py::arg("device"));
  m.def("default_device", []() -> std::optional<std::string> {
    const auto d = ops::default_device();
    if (!d) return std::nullopt;
    return d->str();
  });
  m.def("cuda_device_count", &cuda::device_count);
  m.def("cuda_device_name", &cuda::device_name, py::arg("index") = 0);
  m.def("cuda_synchronize", &cuda::synchronize, py::arg("index") = 0, rel);
  m.def("cuda_has_cublas", &cuda::has_cublas);
  m.def("cuda_set_use_cublas", &cuda::set_use_cublas, py::arg("on"));
  m.def("device_bytes_in_use", &device_bytes_in_use);
  m.def("device_bytes_cached", &device_bytes_cached);

  m.def("backprop", &native_backprop, py::arg("tape"), py::arg("seeds"),
        py::arg("sources"), py::arg("fallback"),
        "The first-order reverse pass over a tape's records (see autodiff/backprop.h): "
        "seeds are (target, gradient Array or None for ones, the target's Array); returns "
        "one Array or None per source. fallback(record, inputs, outputs, output_grads, "
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

  m.def("_install_fast_operators", [](py::object tensor_cls, py::list active, py::dict fallbacks) {
    py::object descr = tensor_cls.attr("_a");
    if (Py_TYPE(descr.ptr()) != &PyMemberDescr_Type)
      throw Error(ErrorKind::kInternal, "[fast operators] Tensor._a is not a slot");
    g_fast.tensor = reinterpret_cast<PyTypeObject*>(tensor_cls.ptr());
    g_fast.slot = reinterpret_cast<PyMemberDescrObject*>(descr.ptr())->d_member->offset;
    g_fast.active = active.release().ptr();  // module-level list: kept for the process
    Py_INCREF(tensor_cls.ptr());
    const struct {
      const char* name;
      BinaryOp op;
      bool float_only, reflected;
      const char* tf_name;  // ops with a gradient: what the Python op records
    } table[] = {
        {"__add__", BinaryOp::add, false, false, "AddV2"},
        {"__sub__", BinaryOp::sub, false, false, "Sub"},
        {"__mul__", BinaryOp::mul, false, false, "Mul"},
        {"__truediv__", BinaryOp::div, true, false, "RealDiv"},
        {"__radd__", BinaryOp::add, false, true, "AddV2"},
        {"__rsub__", BinaryOp::sub, false, true, "Sub"},
        {"__rmul__", BinaryOp::mul, false, true, "Mul"},
        {"__rtruediv__", BinaryOp::div, true, true, "RealDiv"},
        {"__pow__", BinaryOp::pow, false, false, "Pow"},
        {"__rpow__", BinaryOp::pow, false, true, "Pow"},
        {"__floordiv__", BinaryOp::floordiv, false, false, nullptr},
        {"__rfloordiv__", BinaryOp::floordiv, false, true, nullptr},
        {"__mod__", BinaryOp::mod, false, false, "FloorMod"},
        {"__rmod__", BinaryOp::mod, false, true, "FloorMod"},
        {"__lt__", BinaryOp::less, false, false, nullptr},
        {"__le__", BinaryOp::less_equal, false, false, nullptr},
        {"__gt__", BinaryOp::greater, false, false, nullptr},
        {"__ge__", BinaryOp::greater_equal, false, false, nullptr}};
    for (const auto& e : table)
      install_fast_operator(tensor_cls, e.name, e.op, e.float_only, e.reflected, e.tf_name,
                            fallbacks[e.name]);
  }, "Installs Tensor's + - * / ** // % (and reflected) < <= > >= with a native path for a "
     "Tensor and a Tensor of its dtype or a Python number, recorded on active tapes as "
     "the Python ops record (ops/_base.py's binary does the rest).");

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

  m.def("kernel_isa", &ops::kernel_isa);
  m.def("cuda_available", &ops::cuda_available);
  m.def("num_threads", &num_threads);
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  m.def("host_bytes_in_use", &host_bytes_in_use);
  m.def("host_bytes_cached", &host_bytes_cached);
  m.def("host_fresh_allocations", &host_fresh_allocations);
  m.def("empty_cache", &empty_cache);
}
